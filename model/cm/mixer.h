// Two-layer logistic mixer, fixed point.
//
// Layer 1: kSelectors weight sets are chosen per bit by small contexts (the
// predictor passes one selector value per set family); each family's dot
// product of the stretched inputs with its selected weights gives one
// stretched prediction. Layer 2: a final weight set, chosen by its own
// context, mixes those predictions. Every dot product is trained online to
// minimise coding cost: w += rate * input * (bit - p).
//
// Units: inputs and outputs are stretched values (1/256 logit, |x| <= 2047);
// weights are Q16 (65536 = 1.0); errors are 12-bit ((bit << 12) - p16 / 16).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/cm/logistic.h"

namespace lmarc::cm {

class Mixer {
 public:
  // Inputs per bit including the bias; unused ones stay 0. A compile-time
  // width lets the dot products vectorise.
  static constexpr int kWidth = 16;
  static constexpr int kMaxSelectors = 4;

  // `num_inputs` (< kWidth) inputs per bit, plus a constant bias input;
  // selector_sizes[i] = number of weight sets in family i; final_sets =
  // number of layer-2 weight sets.
  Mixer(int num_inputs, const std::vector<int>& selector_sizes, int final_sets);

  void Add(int stretched) { inputs_[count_++] = stretched; }

  // Chooses the weight set of family `family` for the current bit.
  void Select(int family, int set) { selected_[family] = set; }

  // Mixes the inputs added since the last Update; returns P(1) in 2^-16.
  uint32_t Mix(const LogisticTables& logistic, int final_set);

  void Update(int bit);

 private:
  // Weights stay within +-kWeightLimit so that every product input*weight
  // fits in 31 bits (|input| <= 2047 < 2^11, |weight| < 2^19).
  static constexpr int32_t kWeightLimit = (8 << 16) - 1;

  int num_families_;
  int bias_index_;   // inputs_[bias_index_] is the bias; later ones stay 0
  int count_ = 0;    // inputs added for the current bit
  alignas(64) int32_t inputs_[kWidth] = {};
  int selected_[kMaxSelectors] = {};
  std::vector<int32_t> weights_[kMaxSelectors];  // [set * kWidth + i]
  // Layer 2.
  alignas(16) int32_t hidden_[kMaxSelectors] = {};  // stretched family outputs
  uint32_t hidden_p_[kMaxSelectors];             // their probabilities
  std::vector<int32_t> final_weights_;           // [set * kMaxSelectors + j]
  int final_set_ = 0;
  uint32_t final_p_ = 32768;
};

}  // namespace lmarc::cm
