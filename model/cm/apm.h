// APM / SSE stage: refines a probability given a context by interpolating a
// learned transfer curve.
//
// Each context owns 17 knots spaced 256 apart over the stretched domain
// [-2048, 2048]; the input probability is stretched, located between two
// knots, and the output is their linear interpolation. Training moves both
// knots toward the coded bit, each in proportion to its interpolation weight.
// Knots are Q16 probabilities, initialised to the identity curve.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/cm/logistic.h"

namespace lmarc::cm {

class Apm {
 public:
  static constexpr int kKnots = 17;

  // `contexts` curves; `rate_shift` sets the adaptation speed (higher = slower).
  Apm(const LogisticTables& logistic, int contexts, int rate_shift);

  // Refined P(1) (2^-16 units) of probability p16 under `context`.
  uint32_t Refine(const LogisticTables& logistic, uint32_t p16, uint32_t context) {
    const int position = Stretch(logistic, p16) + 2048;  // 1..4095
    index_ = context * kKnots + static_cast<uint32_t>(position >> 8);
    weight_ = (position & 255) >> 1;  // 0..127: the Update shifts assume 7 bits
    return (knots_[index_] * static_cast<uint32_t>(128 - weight_) +
            knots_[index_ + 1] * static_cast<uint32_t>(weight_)) >> 7;
  }

  void Update(int bit) {
    const int32_t target = bit ? 65535 : 0;
    const int32_t low = knots_[index_];
    const int32_t high = knots_[index_ + 1];
    // Each knot moves toward the target, never past it: stays in [0, 65535].
    knots_[index_] = static_cast<uint16_t>(low + (((target - low) * (128 - weight_)) >> (rate_shift_ + 7)));
    knots_[index_ + 1] = static_cast<uint16_t>(high + (((target - high) * weight_) >> (rate_shift_ + 7)));
  }

 private:
  std::vector<uint16_t> knots_;  // [context * kKnots + knot], Q16
  int rate_shift_;
  uint32_t index_ = 0;  // lower knot used by the last Refine
  int weight_ = 0;      // weight of the upper knot, 0..127
};

}  // namespace lmarc::cm
