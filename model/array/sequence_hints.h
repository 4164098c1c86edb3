// Coding hints for sequences (sound): contexts for the residual coder
// (CodingHint) from the pass's own recent residuals and, for the channels
// after the first, the first channel's residuals at the same time.
//
// With m the running mean of |r| over the final residuals r (m += |r| -
// m / 16, kept in 1/16 units) and n that of the side residuals:
//   energy  = m in half-octave steps (after dropping the value bits beyond
//             16), 0..31;
//   texture = r[i-1], r[i-2], r[i-3], each in five levels relative to m
//             (0: |r| < m/4; +-1: below 2m; +-2: larger);
//   skew    = side[i], side[i+1], side[i-1] likewise relative to n (62, all
//             zero levels, without a side sequence);
//   fraction = the middle state.
// Integer arithmetic only.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <type_traits>

#include "model/array/residual_coder.h"

namespace lmarc::array {

template <typename U>
class SequenceHints {
 public:
  // `side` (or null) holds the side sequence, `size` elements; values have
  // `value_bits` bits.
  SequenceHints(const U* side, uint64_t size, int value_bits)
      : side_(side), size_(size), energy_shift_(std::max(0, value_bits - 16)) {}

  CodingHint Hint(uint64_t index) const {
    CodingHint hint;
    hint.energy = CodingHint::EnergyState((mean_ >> 4) >> energy_shift_);
    hint.texture =
        (Level(last_[0], mean_) * 5 + Level(last_[1], mean_)) * 5 + Level(last_[2], mean_);
    if (side_ != nullptr) {
      const auto side = [&](uint64_t at) {
        return at < size_ ? Level(static_cast<Signed>(side_[at]), side_mean_) : 2;
      };
      hint.skew = (side(index) * 5 + side(index + 1)) * 5 + (index > 0 ? side(index - 1) : 2);
    } else {
      hint.skew = 62;
    }
    hint.fraction = CodingHint::kFractionStates / 2;
    return hint;
  }

  // Records the final residual of element `index`.
  void Update(uint64_t index, U residual) {
    const int64_t r = static_cast<Signed>(residual);
    mean_ += Magnitude(r) - (mean_ >> 4);
    last_[2] = last_[1];
    last_[1] = last_[0];
    last_[0] = r;
    if (side_ != nullptr) {
      side_mean_ += Magnitude(static_cast<Signed>(side_[index])) - (side_mean_ >> 4);
    }
  }

 private:
  using Signed = std::make_signed_t<U>;
  static uint64_t Magnitude(int64_t r) {
    return r < 0 ? uint64_t{0} - static_cast<uint64_t>(r) : static_cast<uint64_t>(r);
  }
  // r in five levels relative to the mean magnitude (mean16 in 1/16 units).
  static int Level(int64_t r, uint64_t mean16) {
    const uint64_t a16 = Magnitude(r) << 4;
    const int level = a16 * 4 < mean16 ? 0 : (a16 < 2 * mean16 ? 1 : 2);
    return r < 0 ? 2 - level : 2 + level;
  }

  const U* side_;
  const uint64_t size_;
  const int energy_shift_;
  uint64_t mean_ = 0, side_mean_ = 0;  // 16 x running mean of |r|, |side|
  int64_t last_[3] = {0, 0, 0};
};

}  // namespace lmarc::array
