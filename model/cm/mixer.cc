#include "model/cm/mixer.h"

namespace lmarc::cm {
namespace {

// Stretched-domain bias input: a constant 1.0 logit that lets every weight
// set learn an offset.
constexpr int kBiasInput = 256;
// Learning rates: rate r changes a weight by r/1024 * input * error in real
// units (input in logits, error in probability).
constexpr int kLayer1Rate = 6;
constexpr int kLayer2Rate = 2;

// sum(inputs[i] * weights[i]) / 2^16, clamped to the stretch range. Each
// product fits in 31 bits (see kWeightLimit); it is scaled down by 2^8 before
// summing so that the sum of up to 16 terms cannot overflow either.
template <int N>
int DotProduct(const int32_t* inputs, const int32_t* weights) {
  int32_t sum = 0;
  for (int i = 0; i < N; ++i) sum += (inputs[i] * weights[i]) >> 8;
  const int x = sum >> 8;
  return x > kStretchLimit ? kStretchLimit : (x < -kStretchLimit ? -kStretchLimit : x);
}

// weights[i] += rate/1024 * input * error (real units), clamped. The product
// input * error * rate stays below 2^11 * 2^12 * 2^5 = 2^28.
template <int N>
void Train(const int32_t* inputs, int32_t* weights, int error, int rate, int32_t limit) {
  const int32_t scaled_error = error * rate;
  for (int i = 0; i < N; ++i) {
    const int32_t w = weights[i] + ((inputs[i] * scaled_error) >> 14);
    weights[i] = w > limit ? limit : (w < -limit ? -limit : w);
  }
}

// The layer-1 products are the hot loop; an AVX2 clone is picked at load
// time where available (integer arithmetic: identical results either way).
__attribute__((target_clones("avx2", "default"))) int WideDotProduct(const int32_t* inputs,
                                                                    const int32_t* weights) {
  return DotProduct<Mixer::kWidth>(inputs, weights);
}

__attribute__((target_clones("avx2", "default"))) void WideTrain(const int32_t* inputs,
                                                                int32_t* weights, int error,
                                                                int rate, int32_t limit) {
  Train<Mixer::kWidth>(inputs, weights, error, rate, limit);
}

}  // namespace

Mixer::Mixer(int num_inputs, const std::vector<int>& selector_sizes, int final_sets)
    : num_families_(static_cast<int>(selector_sizes.size())), bias_index_(num_inputs) {
  for (int f = 0; f < num_families_; ++f) {
    // Start every input at weight 0.15: a cautious even blend that training
    // reshapes (higher starting weights overshoot on small inputs).
    weights_[f].assign(static_cast<size_t>(selector_sizes[static_cast<size_t>(f)]) * kWidth,
                       (1 << 16) * 3 / 20);
  }
  final_weights_.assign(static_cast<size_t>(final_sets) * kMaxSelectors,
                        (1 << 16) / num_families_);
}

uint32_t Mixer::Mix(const LogisticTables& logistic, int final_set) {
  inputs_[bias_index_] = kBiasInput;
  final_set_ = final_set;
  const int32_t* fw = &final_weights_[static_cast<size_t>(final_set) * kMaxSelectors];
  // Layer 2 is summed as the family outputs appear (scalar, in registers).
  int64_t final_sum = 0;
  for (int f = 0; f < num_families_; ++f) {
    const int32_t* w = &weights_[f][static_cast<size_t>(selected_[f]) * kWidth];
    const int hidden = WideDotProduct(inputs_, w);
    hidden_[f] = hidden;
    hidden_p_[f] = static_cast<uint32_t>(Squash(logistic, hidden));
    final_sum += int64_t{hidden} * fw[f];
  }
  final_p_ = static_cast<uint32_t>(Squash(logistic, static_cast<int>(final_sum >> 16)));
  return final_p_;
}

void Mixer::Update(int bit) {
  const int target = bit << 12;
  for (int f = 0; f < num_families_; ++f) {
    const int error = target - static_cast<int>(hidden_p_[f] >> 4);
    int32_t* w = &weights_[f][static_cast<size_t>(selected_[f]) * kWidth];
    WideTrain(inputs_, w, error, kLayer1Rate, kWeightLimit);
  }
  const int final_error = target - static_cast<int>(final_p_ >> 4);
  int32_t* fw = &final_weights_[static_cast<size_t>(final_set_) * kMaxSelectors];
  for (int f = 0; f < num_families_; ++f) {
    const int32_t w = fw[f] + ((hidden_[f] * final_error * kLayer2Rate) >> 14);
    fw[f] = w > kWeightLimit ? kWeightLimit : (w < -kWeightLimit ? -kWeightLimit : w);
  }
  count_ = 0;
}

}  // namespace lmarc::cm
