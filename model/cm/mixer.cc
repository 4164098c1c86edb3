#include "model/cm/mixer.h"

namespace lmarc::cm {
namespace {

// Stretched-domain bias input: a constant 1.0 logit that lets every weight
// set learn an offset.
constexpr int kBiasInput = 256;

}  // namespace

Mixer::Mixer(int num_inputs, int num_sets)
    : weights_(new int16_t[static_cast<size_t>(num_sets) * kWidth]) {
  // Start every input at weight 0.15: a cautious even blend that training
  // reshapes (higher starting weights overshoot on small inputs). The padding
  // weights multiply zero inputs and stay at their start value.
  for (size_t i = 0; i < static_cast<size_t>(num_sets) * kWidth; ++i) {
    weights_[i] = static_cast<int16_t>((1 << kMixerWeightShift) * 3 / 20);
  }
  selected_ = weights_.get();
  inputs_[num_inputs] = kBiasInput;
}

}  // namespace lmarc::cm
