// Prediction of an array element from already-coded neighbours, on the
// ordered integers of the value map (value_map.h).
//
// The array is seen through its Geometry: the layout's shape without its
// extents of 1 (a shape of all 1s becomes {1}), in C order, coded row by row
// (a row runs along the last, fastest dimension).
//
// A PredictorSpec gives an order k_d in 0..3 to each dimension d of that
// squeezed shape, at most three of them non-zero. With S_d the shift by one
// element along d, the residual operator is the tensor product
//   residual = prod over d of (1 - S_d)^k_d  applied to the values,
// i.e. prediction = value - residual: polynomial extrapolation of degree
// k_d - 1 along each named dim. k = 1 on one dim is the previous value along
// it; k = 1 on two or three dims is the Lorenzo predictor (left + above -
// above-left, the 7-term cube corner); k = 2 extrapolates linearly, k = 3
// quadratically (smooth coordinate fields: a residual of a few bits where
// Lorenzo leaves tens). Near the start of a dim its order is reduced to the
// coordinate there (no element before it is used); where every order is so
// reduced to 0, the prediction is the previous element in coding order
// (index - 1), or 0 for the very first element.
//
// All arithmetic is modulo 2^W (W = bit width of the element), so prediction
// and its inverse are exact for any values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "src/status.h"

namespace lmarc::array {

class Geometry {
 public:
  // `shape`: the layout's extents, outermost first, at least one, product
  // >= 1 (an empty array has no geometry: there is nothing to predict).
  explicit Geometry(const std::vector<uint64_t>& shape);

  int rank() const { return static_cast<int>(extents_.size()); }
  uint64_t extent(int d) const { return extents_[d]; }
  uint64_t stride(int d) const { return strides_[d]; }  // in elements
  uint64_t size() const { return strides_[0] * extents_[0]; }
  uint64_t row_length() const { return extents_.back(); }
  uint64_t rows() const { return size() / row_length(); }
  // Distance to the element one row up (dim rank-2), 0 for 1-D arrays.
  uint64_t above_stride() const { return rank() >= 2 ? strides_[rank() - 2] : 0; }

 private:
  std::vector<uint64_t> extents_;  // squeezed shape: every extent >= 2, or {1}
  std::vector<uint64_t> strides_;  // strides_[rank-1] == 1
};

inline constexpr int kMaxPredictorOrder = 3;
inline constexpr int kMaxPredictorDims = 3;  // dims with a non-zero order

struct PredictorSpec {
  // Two bits per dim: bits 2d..2d+1 hold k_d (dim 0 = outermost). Stored in
  // bodies as a little-endian u16.
  uint16_t orders = 1;

  int order(int d) const { return orders >> (2 * d) & 3; }
  void set_order(int d, int k) {
    orders =
        static_cast<uint16_t>((orders & ~(3u << (2 * d))) | static_cast<unsigned>(k) << (2 * d));
  }
  bool operator==(const PredictorSpec&) const = default;
};

// Corrupt unless `spec` gives orders only to dims < geometry.rank() and a
// non-zero order to 1..kMaxPredictorDims of them.
[[nodiscard]] Status ValidatePredictorSpec(const PredictorSpec& spec, const Geometry& geometry);

// Where the encoder's search starts: order 1 on each non-empty subset of at
// most 3 of the innermost 4 dims (the previous value along one dim, and the
// Lorenzo predictors).
std::vector<PredictorSpec> CandidatePredictors(const Geometry& geometry);

// Predicts the elements of one row at a time. The terms of a prediction
// depend on the row (the outer coordinates, as far as they are < 3) and on
// the coordinate x along the row only through min(x, 3), so StartRow builds
// four term lists.
class RowPredictor {
 public:
  // `spec` must pass ValidatePredictorSpec for `geometry`, which must outlive
  // the predictor.
  RowPredictor(const Geometry& geometry, const PredictorSpec& spec);

  // Prepares the rows' term lists; `row` in [0, geometry.rows()).
  void StartRow(uint64_t row);

  // Prediction for the element at `index` (coordinate x in the current row)
  // from values[index - offset] of earlier elements, modulo 2^W.
  template <typename U>
  U Predict(const U* values, uint64_t index, uint64_t x) const {
    // Unsigned arithmetic at least as wide as int: wraps, never overflows.
    using Wide = decltype(U{} + 0u);
    const Terms& terms = terms_[x < kMaxPredictorOrder ? x : kMaxPredictorOrder];
    Wide sum = 0;
    for (int t = 0; t < terms.count; ++t) {
      sum += static_cast<Wide>(terms.coefficient[t]) * values[index - terms.offset[t]];
    }
    return static_cast<U>(sum);
  }

 private:
  // (k + 1)^3 - 1 for three dims of order k = 3.
  static constexpr int kMaxTerms = 63;
  struct Terms {
    int count = 0;
    std::array<uint64_t, kMaxTerms> offset{};
    std::array<int, kMaxTerms> coefficient{};  // |c| <= 27, applied modulo 2^W
  };
  void Build(const std::vector<uint64_t>& coordinates, uint64_t index, Terms* terms) const;

  const Geometry& geometry_;
  PredictorSpec spec_;
  std::vector<uint64_t> coordinates_;  // of the current element while building
  std::array<Terms, kMaxPredictorOrder + 1> terms_;  // for x = 0, 1, 2 and x >= 3
};

// Searches for the spec whose residuals on a sample of `values` (whole rows,
// or segments of long rows, spread evenly; about `sample_elements`, or all)
// have the lowest ResidualCostEstimate: the best of CandidatePredictors, then
// hill climbing by changing one order by +-1 while that improves the
// estimate (ties keep the earlier spec). *estimated_bits receives the
// winner's estimate scaled to the whole array.
template <typename U>
PredictorSpec ChoosePredictor(const U* values, const Geometry& geometry,
                              uint64_t sample_elements, uint64_t* estimated_bits);

}  // namespace lmarc::array
