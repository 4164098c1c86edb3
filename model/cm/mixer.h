// Logistic mixer, fixed point, one layer.
//
// One weight set per bit is chosen by a small context (the predictor passes
// its index); the dot product of the stretched inputs with that set, squashed,
// is the mixed prediction. The set is trained online to minimise coding cost:
// w += rate * input * (bit - p).
//
// Units: inputs and the output are stretched values (1/256 logit,
// |x| <= 2047); weights are Q16 (65536 = 1.0); errors are 12-bit
// ((bit << 12) - p16 / 16).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "model/cm/logistic.h"

namespace lmarc::cm {

// The two hot loops, defined in mixer.cc with an AVX2 clone picked at load
// time where available (integer arithmetic: identical results either way).
// `inputs` and `weights` hold kMixerWidth values each.
int MixerDotProduct(const int32_t* inputs, const int32_t* weights);
void MixerTrain(const int32_t* inputs, int32_t* weights, int error);

// Inputs per bit including the bias: two 8-lane vectors. Unused ones stay 0.
inline constexpr int kMixerWidth = 16;

class Mixer {
 public:
  static constexpr int kWidth = kMixerWidth;

  // `num_inputs` (< kWidth) inputs per bit plus a constant bias input;
  // `num_sets` weight sets.
  Mixer(int num_inputs, int num_sets);

  // The caller writes inputs()[0 .. num_inputs-1] (stretched values) before
  // each Mix; the bias and the padding after it are never written.
  int32_t* inputs() { return inputs_; }

  // Mixes the current inputs with weight set `set`; returns P(1) in 2^-16.
  uint32_t Mix(const LogisticTables& logistic, int set) {
    selected_ = &weights_[static_cast<size_t>(set) * kWidth];
    p_ = static_cast<uint32_t>(Squash(logistic, MixerDotProduct(inputs_, selected_)));
    return p_;
  }

  // Trains the set used by the last Mix.
  void Update(int bit) { MixerTrain(inputs_, selected_, (bit << 12) - static_cast<int>(p_ >> 4)); }

 private:
  alignas(64) int32_t inputs_[kWidth] = {};
  std::unique_ptr<int32_t[]> weights_;  // [set * kWidth + i]
  int32_t* selected_;                   // the set of the last Mix
  uint32_t p_ = 32768;                  // the last Mix's output
};

}  // namespace lmarc::cm
