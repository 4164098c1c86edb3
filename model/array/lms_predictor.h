// A one-neuron neural stage: a linear neuron, trained online by sign-sign
// LMS, that predicts what the polynomial predictor (predictor.h) will miss.
//
// Its inputs are the polynomial residuals e (value - polynomial prediction,
// read as W-bit two's complement) of up to kTaps already-coded neighbours:
//   rank 1:  e[i-1] .. e[i-8];
//   rank 2+: left 1..3, above-left, above, above-right, two rows up, and the
//            plane below (rank 3+) or left 4 (rank 2).
// A neighbour outside the array (or off either end of the row, for the
// left and above-left/right taps) is 0. Each input is clipped to
// +-(4 m + 1), m the running mean of |e| (m -= m >> 4, m += |e| >> 4 after
// each element; +-2^62 once m reaches 2^60), so that one outlier does not
// spoil its neighbours' predictions. The inputs are then brought to at most
// kInputBits bits by one arithmetic right shift s shared by all taps
// (s = max(0, bit_width(max |e|) - kInputBits)), so the dot product with
// the Q14 weights (|w| <= kWeightLimit) fits an int64. The output
//   correction = ((sum_j w_j * (e_j >> s)) >> 14) << s   (modulo 2^W)
// is added to the polynomial prediction. After the element is coded, with
// r its final residual, every weight moves by kStep against the sign of the
// error: w_j += kStep * sign(r) * sign(input_j), clamped to the limit.
// Weights start at 0: the stage begins as the plain polynomial predictor.
//
// Sign-sign LMS minimises |r|, not its code length: on the ordered integers
// of floats and on fields with fill values it usually costs bits (docs/
// array.md, "Neural stage"), so the encoder uses it only where
// RefinementPays on a sample.
//
// Integer arithmetic only, the same on encoder and decoder; one instance
// per coded pass (CodeValues), elements in coding order.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "model/array/predictor.h"
#include "model/array/residual_coder.h"

namespace lmarc::array {

template <typename U>
class LmsPredictor {
 public:
  static constexpr int kTaps = 8;
  static constexpr int kInputBits = 20;
  static constexpr int kWeightShift = 14;           // weights in Q14
  static constexpr int32_t kWeightLimit = 1 << 17;  // |w| <= 8.0
  static constexpr int32_t kStep = 16;              // 2^-10 per update

  explicit LmsPredictor(const Geometry& geometry);

  // Correction for element `index` at coordinate x of its row, from the
  // polynomial residuals of earlier elements (residuals[index - offset]).
  // Remembers the inputs for Update.
  U Predict(const U* residuals, uint64_t index, uint64_t x);

  // Trains on the final residual of the element last predicted, and tracks
  // the scale of its polynomial residual.
  void Update(U final_residual, U polynomial_residual);

 private:
  using Signed = std::make_signed_t<U>;
  struct Tap {
    uint64_t offset;     // elements back in coding order
    int64_t row_shift;   // position along the row relative to x: -8..+1
  };

  const uint64_t row_length_;
  std::array<Tap, kTaps> taps_{};
  std::array<int32_t, kTaps> weights_{};
  std::array<int64_t, kTaps> inputs_{};  // of the last prediction, shifted
  uint64_t mean_magnitude_ = 0;          // running mean of |e|, in units of e
};

template <typename U>
LmsPredictor<U>::LmsPredictor(const Geometry& geometry) : row_length_(geometry.row_length()) {
  if (geometry.rank() == 1) {
    for (int t = 0; t < kTaps; ++t) taps_[t] = {static_cast<uint64_t>(t + 1), -(t + 1)};
    return;
  }
  const uint64_t above = geometry.above_stride();
  const uint64_t last_tap = geometry.rank() >= 3 ? geometry.stride(geometry.rank() - 3) : 4;
  const int64_t last_shift = geometry.rank() >= 3 ? 0 : -4;
  taps_ = {{{1, -1},
            {2, -2},
            {3, -3},
            {above + 1, -1},
            {above, 0},
            {above - 1, 1},
            {2 * above, 0},
            {last_tap, last_shift}}};
}

template <typename U>
U LmsPredictor<U>::Predict(const U* residuals, uint64_t index, uint64_t x) {
  uint64_t largest = 0;
  std::array<int64_t, kTaps> raw{};
  const uint64_t clip = mean_magnitude_ >= (uint64_t{1} << 60) ? (uint64_t{1} << 62)
                                                               : 4 * mean_magnitude_ + 1;
  for (int t = 0; t < kTaps; ++t) {
    const Tap& tap = taps_[t];
    const int64_t position = static_cast<int64_t>(x) + tap.row_shift;
    const bool inside = tap.offset <= index && position >= 0 &&
                        position < static_cast<int64_t>(row_length_);
    raw[t] = inside ? static_cast<Signed>(residuals[index - tap.offset]) : 0;
    uint64_t magnitude =
        raw[t] < 0 ? uint64_t{0} - static_cast<uint64_t>(raw[t]) : static_cast<uint64_t>(raw[t]);
    if (magnitude > clip) {
      magnitude = clip;
      raw[t] = raw[t] < 0 ? -static_cast<int64_t>(clip) : static_cast<int64_t>(clip);
    }
    largest |= magnitude;
  }
  const int width = std::bit_width(largest);
  const int shift = width > kInputBits ? width - kInputBits : 0;
  int64_t sum = 0;
  for (int t = 0; t < kTaps; ++t) {
    inputs_[t] = raw[t] >> shift;
    sum += weights_[t] * inputs_[t];
  }
  return static_cast<U>(static_cast<uint64_t>(sum >> kWeightShift) << shift);
}

template <typename U>
void LmsPredictor<U>::Update(U final_residual, U polynomial_residual) {
  const int64_t e = static_cast<Signed>(polynomial_residual);
  const uint64_t m = e < 0 ? uint64_t{0} - static_cast<uint64_t>(e) : static_cast<uint64_t>(e);
  mean_magnitude_ = mean_magnitude_ - (mean_magnitude_ >> 4) + (m >> 4);
  const Signed error = static_cast<Signed>(final_residual);
  if (error == 0) return;
  const int32_t step = error > 0 ? kStep : -kStep;
  for (int t = 0; t < kTaps; ++t) {
    int32_t w = weights_[t];
    if (inputs_[t] > 0) w += step;
    if (inputs_[t] < 0) w -= step;
    weights_[t] = w > kWeightLimit ? kWeightLimit : (w < -kWeightLimit ? -kWeightLimit : w);
  }
}

// ResidualCostEstimate bits of `spec`'s residuals without and with the
// neural stage, on the first rows of `values` (ordered integers): about
// `sample_elements` of them (whole rows, at least one).
struct RefinementEstimate {
  uint64_t plain_bits = 0;
  uint64_t refined_bits = 0;
  RefinementEstimate& operator+=(const RefinementEstimate& other) {
    plain_bits += other.plain_bits;
    refined_bits += other.refined_bits;
    return *this;
  }
  // The stage must save at least 1/64 of the estimate.
  bool Pays() const {
    return refined_bits < plain_bits && refined_bits + plain_bits / 64 <= plain_bits;
  }
};

template <typename U>
RefinementEstimate EstimateRefinement(const U* values, const Geometry& geometry,
                                      const PredictorSpec& spec, uint64_t sample_elements) {
  const uint64_t row_length = geometry.row_length();
  const uint64_t rows = std::min(geometry.rows(), sample_elements / row_length + 1);
  RowPredictor predictor(geometry, spec);
  LmsPredictor<U> neuron(geometry);
  std::vector<U> polynomial_residuals(rows * row_length);
  ResidualCostEstimate<U> plain, refined;
  for (uint64_t row = 0; row < rows; ++row) {
    predictor.StartRow(row);
    for (uint64_t x = 0; x < row_length; ++x) {
      const uint64_t index = row * row_length + x;
      const U residual = static_cast<U>(values[index] - predictor.Predict(values, index, x));
      const U correction = neuron.Predict(polynomial_residuals.data(), index, x);
      const U final_residual = static_cast<U>(residual - correction);
      polynomial_residuals[index] = residual;
      neuron.Update(final_residual, residual);
      plain.Add(residual);
      refined.Add(final_residual);
    }
  }
  return {plain.Bits(), refined.Bits()};
}

}  // namespace lmarc::array
