#include "model/array/predictor.h"

#include <bit>
#include <string>

#include "model/array/residual_coder.h"

namespace lmarc::array {
namespace {

__extension__ typedef unsigned __int128 Uint128;

// Predictors are chosen among the innermost this many dims of the Geometry.
constexpr int kCandidateDims = 4;

// Sampling unit of ChoosePredictor: a whole row, or a segment of a longer row.
constexpr uint64_t kSampleSegment = 4096;

}  // namespace

Geometry::Geometry(const std::vector<uint64_t>& shape) {
  for (const uint64_t extent : shape) {
    if (extent > 1) extents_.push_back(extent);
  }
  if (extents_.empty()) extents_.push_back(1);
  strides_.assign(extents_.size(), 1);
  for (int d = rank() - 2; d >= 0; --d) strides_[d] = strides_[d + 1] * extents_[d + 1];
}

Status ValidatePredictorSpec(const PredictorSpec& spec, const Geometry& geometry) {
  int named = 0;
  for (int d = 0; d < geometry.rank(); ++d) named += spec.order(d) > 0;
  const bool beyond_rank = (uint32_t{spec.orders} >> (2 * geometry.rank())) != 0;
  if (beyond_rank || named == 0 || named > kMaxPredictorDims) {
    return Corrupt("array: predictor orders " + std::to_string(spec.orders) +
                   " are invalid for rank " + std::to_string(geometry.rank()));
  }
  return Status::Ok();
}

std::vector<PredictorSpec> CandidatePredictors(const Geometry& geometry) {
  const int rank = geometry.rank();
  const int first = rank > kCandidateDims ? rank - kCandidateDims : 0;
  std::vector<PredictorSpec> candidates;
  for (int dims = 1; dims <= kMaxPredictorDims; ++dims) {
    for (unsigned mask = 1; mask < (1u << rank); ++mask) {
      if ((mask & ((1u << first) - 1)) != 0 || std::popcount(mask) != dims) continue;
      PredictorSpec spec{0};
      for (int d = 0; d < rank; ++d) {
        if (mask >> d & 1) spec.set_order(d, 1);
      }
      candidates.push_back(spec);
    }
  }
  return candidates;
}

RowPredictor::RowPredictor(const Geometry& geometry, const PredictorSpec& spec)
    : geometry_(geometry), spec_(spec), coordinates_(geometry.rank(), 0) {}

void RowPredictor::StartRow(uint64_t row) {
  const int last = geometry_.rank() - 1;
  uint64_t rest = row;
  for (int d = last - 1; d >= 0; --d) {
    coordinates_[d] = rest % geometry_.extent(d);
    rest /= geometry_.extent(d);
  }
  for (uint64_t x = 0; x <= kMaxPredictorOrder; ++x) {
    coordinates_[last] = x;
    Build(coordinates_, row * geometry_.row_length() + x, &terms_[x]);
  }
}

void RowPredictor::Build(const std::vector<uint64_t>& coordinates, uint64_t index,
                         Terms* terms) const {
  terms->count = 0;
  // Effective orders: k_d, reduced to the coordinate near the start of d.
  struct Axis {
    uint64_t stride;
    int order;
  };
  std::array<Axis, kMaxPredictorDims> axes{};
  int axis_count = 0;
  for (int d = 0; d < geometry_.rank(); ++d) {
    const uint64_t k = static_cast<uint64_t>(spec_.order(d));
    const uint64_t effective = coordinates[d] < k ? coordinates[d] : k;
    if (effective > 0) axes[axis_count++] = {geometry_.stride(d), static_cast<int>(effective)};
  }
  if (axis_count == 0) {
    if (index > 0) {
      terms->offset[0] = 1;
      terms->coefficient[0] = 1;
      terms->count = 1;
    }
    return;
  }
  // prediction = value - prod_d (1 - S_d)^k_d value: every product of shift
  // powers j_d (0..k_d, not all 0) with coefficient -prod_d C(k_d, j_d) (-1)^j_d.
  constexpr int kBinomial[kMaxPredictorOrder + 1][kMaxPredictorOrder + 1] = {
      {1, 0, 0, 0}, {1, 1, 0, 0}, {1, 2, 1, 0}, {1, 3, 3, 1}};
  std::array<int, kMaxPredictorDims> shift{};
  while (true) {
    // Next shift vector, odometer style; done when it wraps to all zeros.
    int a = 0;
    while (a < axis_count && shift[a] == axes[a].order) shift[a++] = 0;
    if (a == axis_count) break;
    ++shift[a];
    uint64_t offset = 0;
    int coefficient = -1;
    for (int b = 0; b < axis_count; ++b) {
      offset += static_cast<uint64_t>(shift[b]) * axes[b].stride;
      coefficient *= kBinomial[axes[b].order][shift[b]] * (shift[b] % 2 == 1 ? -1 : 1);
    }
    terms->offset[terms->count] = offset;
    terms->coefficient[terms->count] = coefficient;
    ++terms->count;
  }
}

namespace {

// ResidualCostEstimate of `spec` on the sample units of ChoosePredictor.
template <typename U>
uint64_t SampleCost(const U* values, const Geometry& geometry, const PredictorSpec& spec,
                    uint64_t step, uint64_t* sampled) {
  const uint64_t row_length = geometry.row_length();
  const uint64_t segment = row_length < kSampleSegment ? row_length : kSampleSegment;
  const uint64_t segments_per_row = (row_length + segment - 1) / segment;
  const uint64_t units = geometry.rows() * segments_per_row;
  RowPredictor predictor(geometry, spec);
  ResidualCostEstimate<U> cost;
  uint64_t current_row = UINT64_MAX;
  for (uint64_t unit = 0; unit < units; unit += step) {
    const uint64_t row = unit / segments_per_row;
    const uint64_t begin = (unit % segments_per_row) * segment;
    const uint64_t end = begin + segment < row_length ? begin + segment : row_length;
    if (row != current_row) {
      predictor.StartRow(row);
      current_row = row;
    }
    for (uint64_t x = begin; x < end; ++x) {
      const uint64_t index = row * row_length + x;
      cost.Add(static_cast<U>(values[index] - predictor.Predict(values, index, x)));
    }
  }
  *sampled = cost.count();
  return cost.Bits();
}

}  // namespace

template <typename U>
PredictorSpec ChoosePredictor(const U* values, const Geometry& geometry,
                              uint64_t sample_elements, uint64_t* estimated_bits) {
  const uint64_t row_length = geometry.row_length();
  const uint64_t segment = row_length < kSampleSegment ? row_length : kSampleSegment;
  const uint64_t units = geometry.rows() * ((row_length + segment - 1) / segment);
  const uint64_t wanted_units = sample_elements / segment > 0 ? sample_elements / segment : 1;
  const uint64_t step = units > wanted_units ? units / wanted_units : 1;

  // Every spec tried, with its cost: the climb never evaluates one twice.
  std::vector<std::pair<PredictorSpec, uint64_t>> tried;
  uint64_t sampled = 0;
  auto cost_of = [&](const PredictorSpec& spec) {
    for (const auto& [known, bits] : tried) {
      if (known == spec) return bits;
    }
    const uint64_t bits = SampleCost(values, geometry, spec, step, &sampled);
    tried.emplace_back(spec, bits);
    return bits;
  };

  PredictorSpec best;
  uint64_t best_bits = UINT64_MAX;
  for (const PredictorSpec& spec : CandidatePredictors(geometry)) {
    const uint64_t bits = cost_of(spec);
    if (bits < best_bits) best_bits = bits, best = spec;
  }
  const int rank = geometry.rank();
  const int first = rank > kCandidateDims ? rank - kCandidateDims : 0;
  for (bool improved = true; improved;) {
    improved = false;
    const PredictorSpec center = best;
    for (int d = first; d < rank; ++d) {
      for (const int delta : {-1, +1}) {
        const int k = center.order(d) + delta;
        if (k < 0 || k > kMaxPredictorOrder) continue;
        PredictorSpec next = center;
        next.set_order(d, k);
        if (!ValidatePredictorSpec(next, geometry).ok()) continue;
        const uint64_t bits = cost_of(next);
        if (bits < best_bits) best_bits = bits, best = next, improved = true;
      }
    }
  }
  *estimated_bits = static_cast<uint64_t>(static_cast<Uint128>(best_bits) * geometry.size() /
                                          (sampled > 0 ? sampled : 1));
  return best;
}

#define LMARC_INSTANTIATE_CHOOSE_PREDICTOR(U) \
  template PredictorSpec ChoosePredictor<U>(const U*, const Geometry&, uint64_t, uint64_t*);
LMARC_INSTANTIATE_CHOOSE_PREDICTOR(uint8_t)
LMARC_INSTANTIATE_CHOOSE_PREDICTOR(uint16_t)
LMARC_INSTANTIATE_CHOOSE_PREDICTOR(uint32_t)
LMARC_INSTANTIATE_CHOOSE_PREDICTOR(uint64_t)
#undef LMARC_INSTANTIATE_CHOOSE_PREDICTOR

}  // namespace lmarc::array
