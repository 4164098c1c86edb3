// Blend predictor for images: several classic pixel predictors, each
// weighted by how well it did on the already-coded neighbours, as in
// TMW/"blending" coders and JPEG XL's weighted predictor.
//
// It applies to a Geometry [h, w] (one sample per pixel) or [h, w, c] with
// c in 2..4 samples per pixel (coded pixel by pixel, samples in order), of
// elements of at most 16 bits (BlendApplies). For sample s of pixel (y, x),
// with W, N, NW, NE, WW, NN the same sample of the neighbouring pixels
// (missing ones replaced: no row above -> N = NW = NE = NN = W; no pixel to
// the left -> W = WW = NW = N; no pixel to the right -> NE = N; the very
// first pixel predicts 0) and, for s > 0, X0/W0/N0/NW0 sample 0 of the
// pixel and of its neighbours, the sub-predictions are
//   W, N, W + N - NW, W + NE - N, 2N - NN, 2W - WW, (W + NE) / 2 (floor),
//   and for s > 0: W + X0 - W0, N + X0 - N0, W + N - NW + X0 - (W0 + N0 - NW0).
// Each sub-predictor k keeps |value - prediction_k| (capped at 2^20) of the
// two latest rows of pixels; its weight is
//   2^34 / (1 + e_k) + 1,   e_k = its errors at W, WW, N, NW and NE (0 if
//   absent; 1/e weighs better than 1/e^2 on the image set: -0.2 to -1.6 %),
// the blend is B = round(8 sum w_k p_k / sum w_k) in 1/8 units, and the
// prediction is round(B / 8) (halves up) clamped to [0, value limit].
// Integer arithmetic only (|p_k| < 2^19, weights at most 2^34 + 1: the
// sums of 10 products stay below 2^58, times 8 below 2^61).
//
// With each prediction it hands the residual coder a CodingHint: the
// texture (NE - N, N - NW, NW - W in five levels each), the skew (W, N and
// W + NE - N minus B, in 1/8 units, in five levels each), the energy (its
// own recent absolute errors around the pixel, in half-octave steps) and
// the fraction (B - 8 * prediction + 4, 0..7).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "model/array/predictor.h"
#include "model/array/residual_coder.h"

namespace lmarc::array {

// Whether the blend predictor applies to `geometry` with elements of
// `element_bits` bits.
inline bool BlendApplies(const Geometry& geometry, int element_bits) {
  if (element_bits > 16) return false;
  if (geometry.rank() == 2) return geometry.extent(0) >= 2 && geometry.extent(1) >= 2;
  return geometry.rank() == 3 && geometry.extent(0) >= 2 && geometry.extent(1) >= 2 &&
         geometry.extent(2) <= 4;
}

template <typename U>
class BlendPredictor {
 public:
  static constexpr int kPredictors = 10;
  static constexpr int kSamplePredictors = 7;  // the first 7 use one sample only
  static constexpr uint32_t kErrorCap = 1u << 20;

  // `geometry` must pass BlendApplies; values are at most `value_limit`.
  BlendPredictor(const Geometry& geometry, U value_limit)
      : width_(geometry.extent(1)),
        samples_(geometry.rank() == 3 ? geometry.extent(2) : 1),
        line_(width_ * samples_),
        value_limit_(value_limit),
        detail_shift_(std::max(0, static_cast<int>(std::bit_width(value_limit)) - 8)),
        errors_(2 * line_ * kSlotErrors, 0) {}

  // Call before the first element of each row of the Geometry, rows in
  // order: a row is a row of pixels ([h, w]) or one pixel ([h, w, c]).
  void StartRow(uint64_t row) {
    row_y_ = samples_ == 1 ? row : row / width_;
    row_pixel_ = samples_ == 1 ? 0 : row % width_;
  }

  // Prediction of element `index` (C order), at coordinate `row_x` of its
  // row, from values[< index].
  U Predict(const U* values, uint64_t index, uint64_t row_x) {
    const uint64_t s = samples_ == 1 ? 0 : row_x;
    const uint64_t x = samples_ == 1 ? row_x : row_pixel_, y = row_y_;
    x_ = x;
    y_ = y;
    s_ = s;
    const auto at = [&](uint64_t i) { return static_cast<int64_t>(values[i]); };
    const bool up = y > 0, left = x > 0, right = x + 1 < width_;
    const int64_t w = left ? at(index - samples_) : (up ? at(index - line_) : 0);
    const int64_t n = up ? at(index - line_) : w;
    const int64_t nw = up && left ? at(index - line_ - samples_) : (up ? n : w);
    const int64_t ne = up && right ? at(index - line_ + samples_) : n;
    const int64_t ww = x > 1 ? at(index - 2 * samples_) : w;
    const int64_t nn = y > 1 ? at(index - 2 * line_) : n;
    p_[0] = w;
    p_[1] = n;
    p_[2] = w + n - nw;
    p_[3] = w + ne - n;
    p_[4] = 2 * n - nn;
    p_[5] = 2 * w - ww;
    p_[6] = (w + ne) >> 1;
    count_ = kSamplePredictors;
    if (s > 0) {
      const uint64_t first = index - s;  // sample 0 of this pixel
      const int64_t x0 = at(first);
      const int64_t w0 = left ? at(first - samples_) : (up ? at(first - line_) : x0);
      const int64_t n0 = up ? at(first - line_) : w0;
      const int64_t nw0 = up && left ? at(first - line_ - samples_) : (up ? n0 : w0);
      p_[7] = w + x0 - w0;
      p_[8] = n + x0 - n0;
      p_[9] = w + n - nw + x0 - (w0 + n0 - nw0);
      count_ = kPredictors;
    }
    hint_.texture = (Detail(ne - n) * 5 + Detail(n - nw)) * 5 + Detail(nw - w);
    if (!up && !left) {
      hint_.skew = kNeutralSkew;
      hint_.energy = 0;
      hint_.fraction = kFraction / 2;
      prediction_ = s > 0 ? p_[7] : 0;
      return Clamp(prediction_);
    }
    // The error slots of the present neighbours W, N (weight 2 in the
    // energy), WW, NW, NE (weight 1), located once for all sub-predictors.
    std::array<const uint32_t*, 5> near;
    int present = 0;
    if (left) near[present++] = ErrorSlot(x - 1, y);
    if (up) near[present++] = ErrorSlot(x, y - 1);
    const int doubled = present;
    if (x > 1) near[present++] = ErrorSlot(x - 2, y);
    if (up && left) near[present++] = ErrorSlot(x - 1, y - 1);
    if (up && right) near[present++] = ErrorSlot(x + 1, y - 1);
    uint64_t energy = 0;
    for (int i = 0; i < present; ++i) {
      energy += (i < doubled ? 2 : 1) * uint64_t{near[i][kPredictors]};
    }
    if (s > 0) energy += 2 * errors_[(Slot(x, y) - s) * kSlotErrors + kPredictors];
    hint_.energy = CodingHint::EnergyState(energy >> detail_shift_);
    // Weighted mean; weights 2^34 / (1 + e) + 1.
    int64_t weighted = 0, total = 0;
    for (int k = 0; k < count_; ++k) {
      uint64_t e = 1;
      for (int i = 0; i < present; ++i) e += near[i][k];
      const int64_t weight = static_cast<int64_t>((uint64_t{1} << 34) / e) + 1;
      weighted += weight * p_[k];
      total += weight;
    }
    // Floor division, rounded to nearest.
    const int64_t precise = FloorDivide(weighted * kFraction + total / 2, total);
    prediction_ = FloorDivide(precise + kFraction / 2, kFraction);
    hint_.fraction = static_cast<int>(precise - prediction_ * kFraction + kFraction / 2);
    const auto skew = [&](int64_t p) {
      const int64_t d = p * kFraction - precise;
      const int64_t a = (d < 0 ? -d : d) >> detail_shift_;
      const int level = a < kFraction / 2 ? 0 : (a < 3 * kFraction ? 1 : 2);
      return d < 0 ? 2 - level : 2 + level;
    };
    hint_.skew = (skew(p_[0]) * 5 + skew(p_[1])) * 5 + skew(p_[3]);
    return Clamp(prediction_);
  }

  // Records the errors of the element last predicted, whose value is `value`.
  void Update(U value) {
    const int64_t v = static_cast<int64_t>(value);
    // Only the sub-predictors this sample has: a slot of sample 0 is never
    // read beyond them.
    uint32_t* e = &errors_[Slot(x_, y_) * kSlotErrors];
    for (int k = 0; k < count_; ++k) {
      const int64_t d = v > p_[k] ? v - p_[k] : p_[k] - v;
      e[k] = static_cast<uint32_t>(std::min<int64_t>(d, kErrorCap));
    }
    const int64_t final_error = v > prediction_ ? v - prediction_ : prediction_ - v;
    e[kPredictors] = static_cast<uint32_t>(std::min<int64_t>(final_error, kErrorCap));
  }

  // Contexts of the element last predicted, for the residual coder.
  CodingHint hint() const { return hint_; }

 private:
  // The skew of a pixel without neighbours: every offset at level 0.
  static constexpr int kNeutralSkew = (2 * 5 + 2) * 5 + 2;
  // The sub-predictors' errors and the blend's own, per sample.
  static constexpr int kSlotErrors = kPredictors + 1;

  // A pixel difference in 5 levels: 0, +-(1..2), +-(3..) after dropping
  // detail_shift_ low bits.
  int Detail(int64_t d) const {
    const int64_t a = (d < 0 ? -d : d) >> detail_shift_;
    const int level = a == 0 ? 0 : (a <= 2 ? 1 : 2);
    return d < 0 ? 2 - level : 2 + level;
  }
  static constexpr int64_t kFraction = CodingHint::kFractionStates;
  static int64_t FloorDivide(int64_t a, int64_t b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
  }
  // Error slot of sample s_ of pixel (x, y): two rows of pixels in turn.
  uint64_t Slot(uint64_t x, uint64_t y) const { return (y & 1) * line_ + x * samples_ + s_; }
  const uint32_t* ErrorSlot(uint64_t x, uint64_t y) const {
    return &errors_[Slot(x, y) * kSlotErrors];
  }
  U Clamp(int64_t p) const {
    return static_cast<U>(std::clamp<int64_t>(p, 0, static_cast<int64_t>(value_limit_)));
  }

  const uint64_t width_, samples_, line_;
  const U value_limit_;
  const int detail_shift_;        // value bits beyond 8, dropped from differences
  std::vector<uint32_t> errors_;  // [2 rows][width][samples][kSlotErrors]
  CodingHint hint_;
  int64_t prediction_ = 0;  // the blend rounded to an integer, before clamping
  std::array<int64_t, kPredictors> p_{};
  int count_ = 0;
  uint64_t row_y_ = 0, row_pixel_ = 0;  // of the current row
  uint64_t x_ = 0, y_ = 0, s_ = 0;      // pixel and sample last predicted
};

}  // namespace lmarc::array
