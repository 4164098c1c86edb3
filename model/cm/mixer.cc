#include "model/cm/mixer.h"

namespace lmarc::cm {
namespace {

// Stretched-domain bias input: a constant 1.0 logit that lets every weight
// set learn an offset.
constexpr int kBiasInput = 256;
// Learning rate: rate r changes a weight by r/1024 * input * error in real
// units (input in logits, error in probability).
constexpr int kRate = 6;
// Weights stay within +-kWeightLimit so that every product input*weight
// fits in 31 bits (|input| <= 2047 < 2^11, |weight| < 2^19).
constexpr int32_t kWeightLimit = (8 << 16) - 1;

}  // namespace

// sum(inputs[i] * weights[i]) / 2^16, clamped to the stretch range. Each
// product fits in 31 bits (see kWeightLimit); it is scaled down by 2^8 before
// summing so that the sum of kMixerWidth terms cannot overflow either.
__attribute__((target_clones("avx2", "default"))) int MixerDotProduct(const int32_t* inputs,
                                                                     const int32_t* weights) {
  int32_t sum = 0;
  for (int i = 0; i < kMixerWidth; ++i) sum += (inputs[i] * weights[i]) >> 8;
  const int x = sum >> 8;
  return x > kStretchLimit ? kStretchLimit : (x < -kStretchLimit ? -kStretchLimit : x);
}

// weights[i] += rate/1024 * input * error (real units), clamped. The product
// input * error * rate stays below 2^11 * 2^12 * 2^3 = 2^26.
__attribute__((target_clones("avx2", "default"))) void MixerTrain(const int32_t* inputs,
                                                                 int32_t* weights, int error) {
  const int32_t scaled_error = error * kRate;
  for (int i = 0; i < kMixerWidth; ++i) {
    const int32_t w = weights[i] + ((inputs[i] * scaled_error) >> 14);
    weights[i] = w > kWeightLimit ? kWeightLimit : (w < -kWeightLimit ? -kWeightLimit : w);
  }
}

Mixer::Mixer(int num_inputs, int num_sets)
    : weights_(new int32_t[static_cast<size_t>(num_sets) * kWidth]) {
  // Start every input at weight 0.15: a cautious even blend that training
  // reshapes (higher starting weights overshoot on small inputs). The padding
  // weights multiply zero inputs and stay at their start value.
  for (size_t i = 0; i < static_cast<size_t>(num_sets) * kWidth; ++i) {
    weights_[i] = (1 << 16) * 3 / 20;
  }
  selected_ = weights_.get();
  inputs_[num_inputs] = kBiasInput;
}

}  // namespace lmarc::cm
