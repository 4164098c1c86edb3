// A one-neuron neural stage: a linear neuron, trained online by sign-error
// LMS, that predicts what the polynomial predictor (predictor.h) will miss.
//
// Its inputs are the polynomial residuals e (value - polynomial prediction,
// read as W-bit two's complement) of already-coded neighbours, with P
// "previous" taps (P is recorded in the body; the encoder tries two):
//   rank 1:  e[i-1] .. e[i-P], P in 1..255 (tried: 8, 32 and 128);
//   rank 2+: left 1..P, above-left, above, above-right, two rows up, and the
//            plane below (rank 3+) or left P+1 (rank 2); P in 1..27 (tried:
//            3 and 27 — long rows of sound, short ones of images);
//   and, given a side sequence (the first column of records), side[i-1],
//   side[i], side[i+1].
// A neighbour outside the array (or off either end of the row, for the
// left and above-left/right taps) is 0. Each input is clipped to
// +-(8 m + 1), m the running mean of |e| (m -= m >> 4, m += |e| >> 4 after
// each element; +-2^62 once m reaches 2^60), so that one outlier does not
// spoil its neighbours' predictions. The inputs are then brought to at most
// kInputBits bits by one arithmetic right shift s shared by all taps
// (s = max(0, bit_width(max |e|) - kInputBits)), so the dot product with
// the Q14 weights (|w| <= kWeightLimit) fits an int64. The output
//   correction = ((sum_j w_j * (e_j >> s)) >> 14) << s   (modulo 2^W)
// is added to the polynomial prediction. After the element is coded, with
// r its final residual, every weight moves against the sign of the error by
// a step that grows with its input's size relative to the mean m (clipped
// and shifted like the inputs):
//   w_j += sign(r) * sign(input_j) * kStep * q_j / 4,
//   q_j = clamp((|input_j| * 4 * floor(2^32 / m)) >> 32, 1, 16)  (4 when m = 0),
// clamped to the weight limit (a sign-error LMS with normalised, clipped
// data: 0.5 % smaller sound than sign-sign, about 13 % slower).
// Weights start at 0: the stage begins as the plain polynomial predictor.
//
// Sign-error LMS minimises |r|, not its code length: on the ordered integers
// of floats and on fields with fill values it usually costs bits (docs/
// array.md, "Neural stage"), so the encoder uses it only where the
// estimate on a sample says it pays.
//
// Integer arithmetic only, the same on encoder and decoder; one instance
// per coded pass (CodeValues), elements in coding order.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "model/array/blend_predictor.h"
#include "model/array/predictor.h"
#include "model/array/residual_coder.h"

namespace lmarc::array {

template <typename U>
class LmsPredictor {
 public:
  static constexpr int kMaxTaps = 255;  // P is stored in one byte
  static constexpr int kInputBits = 20;
  static constexpr int kWeightShift = 14;           // weights in Q14
  static constexpr int32_t kWeightLimit = 1 << 17;  // |w| <= 8.0
  static constexpr int32_t kStep = 16;              // 2^-10 per update

  // `previous_taps` in 1..MaxPreviousTaps(geometry). `side`, when given,
  // holds geometry.size() polynomial residuals of another, already coded
  // sequence of the same length (the first column of records: the other
  // channel of a sound): side[i-1], side[i] and side[i+1] become three more
  // inputs (kSideTaps) of element i's prediction.
  LmsPredictor(const Geometry& geometry, int previous_taps, const U* side = nullptr);
  static constexpr int kSideTaps = 3;

  // kMaxTaps for rank 1, else 27 (plus five taps for the rows above and
  // the plane: 32 in all).
  static int MaxPreviousTaps(const Geometry& geometry) {
    return geometry.rank() == 1 ? kMaxTaps : 27;
  }
  // The values of P the encoder compares (the fast level those up to 32).
  static std::vector<int> TriedPreviousTaps(const Geometry& geometry) {
    return geometry.rank() == 1 ? std::vector<int>{32, 8, 128} : std::vector<int>{3, 27};
  }

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
    int64_t row_shift;   // position along the row relative to x: -(P+1)..+1
  };

  const uint64_t row_length_;
  const uint64_t size_;
  const U* side_;
  int taps_count_ = 0;
  int inputs_count_ = 0;  // taps, plus kSideTaps with a side sequence
  // Where every tap is inside the array and its row: index >= max_offset_,
  // x >= before_, x + after_ < row_length_.
  uint64_t max_offset_ = 0, before_ = 0, after_ = 0;
  std::array<Tap, kMaxTaps> taps_{};
  std::array<int32_t, kMaxTaps + kSideTaps> weights_{};
  std::array<int64_t, kMaxTaps + kSideTaps> inputs_{};  // of the last prediction, shifted
  uint64_t mean_magnitude_ = 0;          // running mean of |e|, in units of e
  uint64_t inverse_mean_ = 0;            // 2^32 / that mean in input units (0: mean 0)
};

template <typename U>
LmsPredictor<U>::LmsPredictor(const Geometry& geometry, int previous_taps, const U* side)
    : row_length_(geometry.row_length()), size_(geometry.size()), side_(side) {
  int t = 0;
  for (int k = 1; k <= previous_taps; ++k) taps_[t++] = {static_cast<uint64_t>(k), -k};
  if (geometry.rank() >= 2) {
    const uint64_t above = geometry.above_stride();
    taps_[t++] = {above + 1, -1};
    taps_[t++] = {above, 0};
    taps_[t++] = {above - 1, 1};
    taps_[t++] = {2 * above, 0};
    taps_[t++] = geometry.rank() >= 3
                     ? Tap{geometry.stride(geometry.rank() - 3), 0}
                     : Tap{static_cast<uint64_t>(previous_taps + 1), -(previous_taps + 1)};
  }
  taps_count_ = t;
  inputs_count_ = side_ != nullptr ? t + kSideTaps : t;
  for (int k = 0; k < t; ++k) {
    max_offset_ = std::max(max_offset_, taps_[k].offset);
    if (taps_[k].row_shift < 0) before_ = std::max(before_, static_cast<uint64_t>(-taps_[k].row_shift));
    if (taps_[k].row_shift > 0) after_ = std::max(after_, static_cast<uint64_t>(taps_[k].row_shift));
  }
}

template <typename U>
U LmsPredictor<U>::Predict(const U* residuals, uint64_t index, uint64_t x) {
  // The raw inputs, then clipped, then shifted, all in inputs_.
  int64_t* in = inputs_.data();
  if (index >= max_offset_ && x >= before_ && x + after_ < row_length_) {
    for (int t = 0; t < taps_count_; ++t) in[t] = static_cast<Signed>(residuals[index - taps_[t].offset]);
  } else {
    for (int t = 0; t < taps_count_; ++t) {
      const Tap& tap = taps_[t];
      const int64_t position = static_cast<int64_t>(x) + tap.row_shift;
      const bool inside = tap.offset <= index && position >= 0 &&
                          position < static_cast<int64_t>(row_length_);
      in[t] = inside ? static_cast<Signed>(residuals[index - tap.offset]) : 0;
    }
  }
  if (side_ != nullptr) {  // side[index - 1], side[index], side[index + 1]
    for (int j = 0; j < kSideTaps; ++j) {
      const uint64_t at = index + static_cast<uint64_t>(j);
      in[taps_count_ + j] = at >= 1 && at - 1 < size_ ? static_cast<Signed>(side_[at - 1]) : 0;
    }
  }
  const uint64_t clip = mean_magnitude_ >= (uint64_t{1} << 60) ? (uint64_t{1} << 62)
                                                               : 8 * mean_magnitude_ + 1;
  uint64_t largest = 0;
  for (int t = 0; t < inputs_count_; ++t) {
    uint64_t magnitude =
        in[t] < 0 ? uint64_t{0} - static_cast<uint64_t>(in[t]) : static_cast<uint64_t>(in[t]);
    if (magnitude > clip) {
      magnitude = clip;
      in[t] = in[t] < 0 ? -static_cast<int64_t>(clip) : static_cast<int64_t>(clip);
    }
    largest |= magnitude;
  }
  const int width = std::bit_width(largest);
  const int shift = width > kInputBits ? width - kInputBits : 0;
  // 2^32 / the mean input magnitude, for the step sizes of the next Update.
  const uint64_t scaled_mean = std::min<uint64_t>(mean_magnitude_, clip) >> shift;
  inverse_mean_ = scaled_mean == 0 ? 0 : (uint64_t{1} << 32) / scaled_mean;
  int64_t sum = 0;
  for (int t = 0; t < inputs_count_; ++t) {
    in[t] >>= shift;
    sum += weights_[t] * in[t];
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
  // Each weight moves by kStep times its input's magnitude relative to the
  // mean, a / m, clamped to [1/4, 4] in quarters.
  const bool positive = error > 0;
  for (int t = 0; t < inputs_count_; ++t) {
    const int64_t input = inputs_[t];
    if (input == 0) continue;
    const uint64_t magnitude = static_cast<uint64_t>(input < 0 ? -input : input);
    const uint64_t quarters =
        inverse_mean_ == 0 ? 4 : std::clamp<uint64_t>((magnitude * 4 * inverse_mean_) >> 32, 1, 16);
    const int32_t step = static_cast<int32_t>(kStep * quarters / 4);
    int32_t w = weights_[t] + ((input > 0) == positive ? step : -step);
    weights_[t] = w > kWeightLimit ? kWeightLimit : (w < -kWeightLimit ? -kWeightLimit : w);
  }
}

// The neural stage of a pass: `taps` previous taps of the first neuron (0:
// no stage) and `second_taps` of a second neuron, without side inputs, that
// predicts what the first missed from the first's residuals (0: none) —
// the cascade of lossless audio coders.
struct NeuralStage {
  int taps = 0;
  int second_taps = 0;
  bool on() const { return taps > 0; }
};
// The second neuron the encoder tries: 64 previous taps on 1-D passes
// (sound), 16 otherwise.
inline int SecondStageTaps(const Geometry& pass_geometry) {
  return pass_geometry.rank() == 1 ? 64 : 16;
}

// Whole rows covering about `sample_elements` of `geometry` (at least one):
// where the encoder's estimates look.
inline uint64_t SampleRows(const Geometry& geometry, uint64_t sample_elements) {
  return std::min(geometry.rows(), sample_elements / geometry.row_length() + 1);
}

// The residuals of the base predictor — `spec`'s polynomial or, with
// `blend`, the blend predictor (values at most `blend_limit`) — on the
// first `rows` rows of `values` (ordered integers), modulo 2^W: what the
// neural stage learns from, and for the first column of records the side
// input of the others.
template <typename U>
std::vector<U> BaseResiduals(const U* values, const Geometry& geometry, const PredictorSpec& spec,
                             uint64_t rows, bool blend = false, U blend_limit = 0) {
  const uint64_t row_length = geometry.row_length();
  RowPredictor predictor(geometry, spec);
  std::optional<BlendPredictor<U>> blender;
  if (blend) blender.emplace(geometry, blend_limit);
  std::vector<U> residuals(rows * row_length);
  for (uint64_t row = 0; row < rows; ++row) {
    if (blender) {
      blender->StartRow(row);
    } else {
      predictor.StartRow(row);
    }
    for (uint64_t x = 0; x < row_length; ++x) {
      const uint64_t index = row * row_length + x;
      const U base =
          blender ? blender->Predict(values, index, x) : predictor.Predict(values, index, x);
      if (blender) blender->Update(values[index]);
      residuals[index] = static_cast<U>(values[index] - base);
    }
  }
  return residuals;
}

struct RefinementEstimate {
  uint64_t plain_bits = 0;
  uint64_t refined_bits = 0;
  RefinementEstimate& operator+=(const RefinementEstimate& other) {
    plain_bits += other.plain_bits;
    refined_bits += other.refined_bits;
    return *this;
  }
  bool Pays() const { return SavesEnough(plain_bits, refined_bits); }
};

// ResidualCostEstimate bits of base `residuals` (BaseResiduals: whole rows
// of `geometry` from the first) without and with the neural `stage` (and
// `side` inputs of its first neuron).
template <typename U>
RefinementEstimate EstimateRefinement(std::span<const U> residuals, const Geometry& geometry,
                                      NeuralStage stage, const U* side = nullptr) {
  const uint64_t row_length = geometry.row_length();
  const uint64_t rows = residuals.size() / row_length;
  LmsPredictor<U> neuron(geometry, stage.taps, side);
  std::optional<LmsPredictor<U>> second;
  std::vector<U> first_residuals;
  if (stage.second_taps > 0) {
    second.emplace(geometry, stage.second_taps);
    first_residuals.resize(residuals.size());
  }
  ResidualCostEstimate<U> plain, refined;
  for (uint64_t row = 0; row < rows; ++row) {
    for (uint64_t x = 0; x < row_length; ++x) {
      const uint64_t index = row * row_length + x;
      const U residual = residuals[index];
      const U first_residual =
          static_cast<U>(residual - neuron.Predict(residuals.data(), index, x));
      const U final_residual =
          second ? static_cast<U>(first_residual - second->Predict(first_residuals.data(), index, x))
                 : first_residual;
      neuron.Update(first_residual, residual);
      if (second) {
        first_residuals[index] = first_residual;
        second->Update(final_residual, first_residual);
      }
      plain.Add(residual);
      refined.Add(final_residual);
    }
  }
  return {plain.Bits(), refined.Bits()};
}

}  // namespace lmarc::array
