#include "model/array/array_codec.h"

#include <algorithm>
#include <bit>
#include <optional>
#include <string>
#include <type_traits>

#include "model/array/blend_predictor.h"
#include "model/array/lms_predictor.h"
#include "model/array/predictor.h"
#include "model/array/residual_coder.h"
#include "model/array/row_length.h"
#include "model/array/sequence_hints.h"
#include "model/array/value_map.h"
#include "model/array/value_table.h"
#include "src/arith_coder.h"
#include "src/byte_order.h"
#include "src/byte_reader.h"

namespace lmarc {
namespace {

using array::ArrayLayout;
using array::Geometry;
using array::PredictorSpec;

// kRows is a prefix: it gives a 1-D array a row length (row_length.h) and
// is followed by one of the others, which then sees the 2-D geometry.
// kRefined is a prefix too (after kRows, if both): the passes over the
// values or columns (not a value table's own pass) add the neural stage.
// kBlend, a prefix before kValues only (after the others), replaces the
// polynomial predictor by the blend predictor (images: blend_predictor.h);
// the body then has no predictor orders. kShift, a prefix before all
// others, with a u8 k: every ordered value had k trailing zero bits
// ("wasted bits": 20-bit sound in 24-bit containers, 12-bit pixels in 16),
// and the values coded are shifted right by k.
enum class Transform : uint8_t {
  kValues = 0,
  kValueTable = 1,
  kColumns = 2,
  kRows = 3,
  kRefined = 4,
  kBlend = 5,
  kShift = 6
};

// kColumns: a 2-D array of 2..kMaxColumns columns (records of mixed fields,
// e.g. LAMMPS dumps) coded column by column, each with its own predictor
// and residual statistics.
constexpr uint64_t kMaxColumns = 16;

bool ColumnsApply(const Geometry& geometry) {
  return geometry.rank() == 2 && geometry.row_length() >= 2 && geometry.row_length() <= kMaxColumns;
}

// Column c of a 2-D array of `columns` columns.
template <typename U>
std::vector<U> Column(const std::vector<U>& values, uint64_t columns, uint64_t c) {
  std::vector<U> column(values.size() / columns);
  for (uint64_t r = 0; r < column.size(); ++r) column[r] = values[r * columns + c];
  return column;
}

template <typename U>
constexpr U kAllOnes = static_cast<U>(~U{0});

// The largest ordered value of `dtype`: 2^W - 1, or 2^24 - 1 for i24.
template <typename U>
U ValueLimit(array::DType dtype) {
  return dtype == array::DType::kI24 ? static_cast<U>((uint32_t{1} << 24) - 1) : kAllOnes<U>;
}

// Elements on which the encoder estimates each predictor's cost: 16 Ki at
// level 1, doubling per level (whole arrays of up to 4 Mi elements at 9).
uint64_t SampleElements(int level) { return uint64_t{1} << (13 + level); }

// Elements on which the encoder compares row lengths: a quarter of the
// predictor's sample, at least level 1's.
uint64_t RowSearchElements(int level) {
  return std::max(SampleElements(1), SampleElements(level) / 4);
}

// Levels >= 2 mix four length models; level 1 uses one (about twice as fast).
bool MixedModel(int level) { return level >= 2; }

// The encoder tries the neural stage at every level; level 1 (the fast one)
// only the previous-taps candidates of at most kFastLevelTaps (decoding
// time grows with the taps) and no second neuron.
bool FullRefinementSearch(int level) { return level >= 2; }
constexpr int kFastLevelTaps = 32;
// The neural stage's estimates look at level 3's sample or more: a neuron
// needs some thousands of elements to show what it gains.
uint64_t RefinementSampleElements(int level) { return SampleElements(std::max(level, 3)); }

// The neural stage for passes over `pass_geometry`: of the tried previous
// taps the one whose estimate (`estimate(stage)`, summed over the passes)
// is lowest, when it pays; then the second neuron, when it lowers the
// estimate further. Off (taps 0) when nothing pays. `bits` (or null)
// receives the estimate with the chosen stage (or without one).
template <typename U, typename Estimate>
array::NeuralStage ChooseRefinement(int level, const Geometry& pass_geometry,
                                    const Estimate& estimate, uint64_t* bits = nullptr) {
  array::NeuralStage best;
  array::RefinementEstimate best_estimate;
  std::vector<int> tried = array::LmsPredictor<U>::TriedPreviousTaps(pass_geometry);
  if (!FullRefinementSearch(level)) {
    std::erase_if(tried, [](int taps) { return taps > kFastLevelTaps; });
  }
  uint64_t plain_bits = 0;
  for (const int taps : tried) {
    const array::RefinementEstimate e = estimate(array::NeuralStage{taps, 0});
    plain_bits = e.plain_bits;
    if (e.Pays() && (!best.on() || e.refined_bits < best_estimate.refined_bits)) {
      best.taps = taps;
      best_estimate = e;
    }
  }
  if (best.on() && FullRefinementSearch(level)) {
    const array::NeuralStage cascade{best.taps, array::SecondStageTaps(pass_geometry)};
    const uint64_t cascade_bits = estimate(cascade).refined_bits;
    if (cascade_bits < best_estimate.refined_bits) {
      best = cascade;
      best_estimate.refined_bits = cascade_bits;
    }
  }
  if (bits != nullptr) *bits = best.on() ? best_estimate.refined_bits : plain_bits;
  return best;
}

// The table is tried only when at most this fraction of the values is distinct.
constexpr uint64_t kTableMaxDistinctFraction = 2;  // 1/2

// Encoder's choices, all recorded in the body header.
template <typename U>
struct Plan {
  Transform transform = Transform::kValues;
  std::vector<U> table;       // kValueTable: the sorted distinct values
  uint8_t table_order = 1;    // kValueTable: predictor order along the table (1..3)
  PredictorSpec predictor;
  std::vector<PredictorSpec> column_predictors;  // kColumns: one per column
  bool blend = false;         // kBlend prefix (kValues or kValueTable)
  array::NeuralStage neural;  // kRefined prefix when on

  // The largest value the main pass codes: a rank with a value table.
  U MaxValue(U value_limit) const {
    return table.empty() ? value_limit : static_cast<U>(table.size() - 1);
  }
};

// How one coding pass predicts its elements.
template <typename U>
struct PassModel {
  PredictorSpec spec = {};         // the polynomial predictor, unless `blend`
  bool blend = false;              // the blend predictor instead (images)
  array::NeuralStage neural = {};  // refines the prediction when on
  const U* side = nullptr;         // side inputs of the neural stage, or none
};

// Codes values[0, geometry.size()) in order. Encoding: `values` holds the
// ordered integers (left unchanged). Decoding: `values` receives them. One
// loop for both sides keeps them in lockstep. `max_value` bounds the values
// (ValueLimit, or the table size - 1 for ranks): the residual coder's value
// context looks at the top bits of that range. `value_mask` = ValueLimit:
// with fewer bits than W (i24: 24) values are taken modulo 2^24 and
// residuals are coded sign-extended from 24 bits, not modulo 2^W. With the
// neural stage, `kept_residuals` (or null) receives this pass's polynomial
// residuals.
template <typename U, typename Bits>
[[nodiscard]] Status CodeValues(Bits& bits, const Geometry& geometry, const PassModel<U>& model,
                                bool mix, U max_value, U value_mask, U* values,
                                std::vector<U>* kept_residuals = nullptr) {
  const int unused_bits = 8 * static_cast<int>(sizeof(U)) - std::bit_width(value_mask);
  // d modulo 2^value_bits, sign-extended to W bits.
  const auto wrap = [unused_bits](U d) {
    using Wide = decltype(U{} + 0u);
    using Signed = std::make_signed_t<Wide>;
    constexpr int kShiftSpare = 8 * static_cast<int>(sizeof(Wide) - sizeof(U));
    const int shift = unused_bits + kShiftSpare;
    return static_cast<U>(static_cast<Signed>(static_cast<Wide>(static_cast<Wide>(d) << shift)) >> shift);
  };
  const array::NeuralStage& neural = model.neural;
  array::RowPredictor predictor(geometry, model.spec);
  std::optional<array::BlendPredictor<U>> blender;
  if (model.blend) blender.emplace(geometry, max_value);
  // Sound: a 1-D pass with the neural stage gets hints from its residuals.
  std::optional<array::SequenceHints<U>> sequence;
  if (!model.blend && neural.on() && geometry.rank() == 1) {
    sequence.emplace(model.side, geometry.size(), std::bit_width(value_mask));
  }
  using CoderModel = typename array::ResidualCoder<U>::Model;
  array::ResidualCoder<U> coder(geometry,
                                model.blend || sequence ? CoderModel::kHinted
                                : mix                   ? CoderModel::kMixed
                                                        : CoderModel::kNeighbours,
                                max_value);
  // The neural stage (lms_predictor.h) learns from the polynomial residuals.
  std::optional<array::LmsPredictor<U>> neuron;
  std::vector<U> polynomial_residuals;
  // A second neuron learns from the first's residuals.
  std::optional<array::LmsPredictor<U>> second;
  std::vector<U> first_residuals;
  if (neural.on()) {
    neuron.emplace(geometry, neural.taps, model.side);
    polynomial_residuals.resize(geometry.size());
  }
  if (neural.second_taps > 0) {
    second.emplace(geometry, neural.second_taps);
    first_residuals.resize(geometry.size());
  }
  const uint64_t row_length = geometry.row_length();
  for (uint64_t row = 0; row < geometry.rows(); ++row) {
    if (blender) {
      blender->StartRow(row);
    } else {
      predictor.StartRow(row);
    }
    coder.StartRow(row);
    const uint64_t base = row * row_length;
    for (uint64_t x = 0; x < row_length; ++x) {
      const uint64_t index = base + x;
      const U polynomial =
          blender ? blender->Predict(values, index, x) : predictor.Predict(values, index, x);
      U prediction = polynomial;
      if (neuron) prediction += neuron->Predict(polynomial_residuals.data(), index, x);
      const U first_prediction = prediction;
      if (second) prediction += second->Predict(first_residuals.data(), index, x);
      const array::CodingHint hint =
          blender ? blender->hint() : (sequence ? sequence->Hint(index) : array::CodingHint{});
      const U residual = coder.Code(bits, index, x, prediction,
                                    wrap(static_cast<U>(values[index] - prediction)), hint);
      values[index] = static_cast<U>((prediction + residual) & value_mask);
      if (blender) blender->Update(values[index]);
      if (sequence) sequence->Update(index, residual);
      if (neuron) {
        polynomial_residuals[index] = wrap(static_cast<U>(values[index] - polynomial));
        const U first_residual = wrap(static_cast<U>(values[index] - first_prediction));
        neuron->Update(first_residual, polynomial_residuals[index]);
        if (second) {
          first_residuals[index] = first_residual;
          second->Update(residual, first_residual);
        }
      }
    }
    // A decoder past the end of its input only produces garbage: stop.
    if (bits.overrun()) return Corrupt("array: body ended before all elements were decoded");
    if (coder.corrupt()) return Corrupt("array: impossible residual in the body");
  }
  if (kept_residuals != nullptr) *kept_residuals = std::move(polynomial_residuals);
  return Status::Ok();
}

// Codes the columns of the records in `values` ([rows, columns], C order)
// one after the other, each with its own predictor; with the neural stage
// the first column's polynomial residuals are side inputs of the others
// (the other channel of a sound). Encoding leaves `values` as they are;
// decoding fills them.
template <typename U, typename Bits>
[[nodiscard]] Status CodeColumns(Bits& bits, const Geometry& geometry,
                                 const std::vector<PredictorSpec>& specs,
                                 array::NeuralStage neural, bool mix, U value_limit,
                                 std::vector<U>* values) {
  const uint64_t columns = geometry.row_length();
  const Geometry column_geometry({geometry.rows()});
  std::vector<U> first_residuals;
  for (uint64_t c = 0; c < columns; ++c) {
    std::vector<U> column = Column(*values, columns, c);
    const PassModel<U> model{.spec = specs[c],
                             .neural = neural,
                             .side = first_residuals.empty() ? nullptr : first_residuals.data()};
    RETURN_IF_ERROR(CodeValues(bits, column_geometry, model, mix, value_limit, value_limit,
                               column.data(), c == 0 ? &first_residuals : nullptr));
    for (uint64_t r = 0; r < column.size(); ++r) (*values)[r * columns + c] = column[r];
  }
  return Status::Ok();
}

template <typename U>
Plan<U> ChoosePlan(std::vector<U>* values, const Geometry& geometry, U value_limit, int level) {
  const uint64_t sample = SampleElements(level);
  Plan<U> plan;
  uint64_t direct_bits = 0;
  plan.predictor = array::ChoosePredictor(values->data(), geometry, sample, &direct_bits);
  // Images: the blend is a candidate instead of the polynomial, on the
  // values or the ranks (EncodeTyped decides).
  const auto choose_blend = [&] {
    plan.blend = array::BlendApplies(geometry, std::bit_width(plan.MaxValue(value_limit)));
  };

  std::vector<U> table = array::SortedDistinct(values->data(), values->size());
  if (table.size() > values->size() / kTableMaxDistinctFraction) {
    choose_blend();
    return plan;
  }
  std::vector<U> ranks = *values;
  array::ToRanks(table, ranks.data(), ranks.size());
  uint64_t rank_bits = 0, table_bits = 0;
  const PredictorSpec rank_predictor =
      array::ChoosePredictor(ranks.data(), geometry, sample, &rank_bits);
  const Geometry table_geometry({table.size()});
  const PredictorSpec table_predictor =
      array::ChoosePredictor(table.data(), table_geometry, sample, &table_bits);
  if (rank_bits + table_bits < direct_bits) {
    plan.transform = Transform::kValueTable;
    plan.table = std::move(table);
    plan.table_order = static_cast<uint8_t>(table_predictor.order(0));
    plan.predictor = rank_predictor;
    *values = std::move(ranks);
  }
  choose_blend();
  return plan;
}

// Appends the header fields after the layout record and the coded bits of
// `values` (ordered integers; ranks for a value table) under `plan`.
template <typename U>
Status EncodePlanned(const Geometry& geometry, const Plan<U>& plan, U value_limit,
                     std::vector<U>* values, int level, std::vector<uint8_t>* body) {
  if (plan.neural.on()) {
    body->push_back(static_cast<uint8_t>(Transform::kRefined));
    body->push_back(static_cast<uint8_t>(plan.neural.taps));
    body->push_back(static_cast<uint8_t>(plan.neural.second_taps));
  }
  if (plan.blend) body->push_back(static_cast<uint8_t>(Transform::kBlend));
  body->push_back(static_cast<uint8_t>(plan.transform));
  if (plan.transform == Transform::kValueTable) {
    array::AppendVarint(plan.table.size(), body);
    body->push_back(plan.table_order);
  }
  if (plan.transform == Transform::kColumns) {
    for (const PredictorSpec& spec : plan.column_predictors) AppendLe16(spec.orders, body);
  } else if (!plan.blend) {
    AppendLe16(plan.predictor.orders, body);
  }
  ArithEncoder encoder(body);
  array::EncodingBits bits(&encoder);
  const bool mix = MixedModel(level);
  if (plan.transform == Transform::kColumns) {
    RETURN_IF_ERROR(
        CodeColumns(bits, geometry, plan.column_predictors, plan.neural, mix, value_limit, values));
  } else {
    if (plan.transform == Transform::kValueTable) {
      std::vector<U> table = plan.table;
      RETURN_IF_ERROR(CodeValues(bits, Geometry({table.size()}),
                                 PassModel<U>{.spec = PredictorSpec{plan.table_order}}, mix,
                                 value_limit, value_limit, table.data()));
    }
    const PassModel<U> model{.spec = plan.predictor, .blend = plan.blend, .neural = plan.neural};
    RETURN_IF_ERROR(CodeValues(bits, geometry, model, mix, plan.MaxValue(value_limit), value_limit,
                               values->data()));
  }
  encoder.Finish();
  return Status::Ok();
}

template <typename U>
Status EncodeTyped(std::span<const uint8_t> raw, const ArrayLayout& layout, int level,
                   std::vector<uint8_t>* body) {
  Geometry geometry(layout.shape);
  U value_limit = ValueLimit<U>(layout.dtype);
  std::vector<U> values(geometry.size());
  array::MapToOrdered(raw, layout.dtype, layout.byte_order, values.data());
  U any_bits = 0;
  for (const U v : values) any_bits |= v;
  const int wasted = any_bits == 0 ? 0 : std::countr_zero(any_bits);
  if (wasted > 0) {
    body->push_back(static_cast<uint8_t>(Transform::kShift));
    body->push_back(static_cast<uint8_t>(wasted));
    for (U& v : values) v = static_cast<U>(v >> wasted);
    value_limit = static_cast<U>(value_limit >> wasted);
  }
  if (geometry.rank() == 1) {
    const uint64_t elements = geometry.size();
    const uint64_t row_length =
        array::ChooseRowLength(values.data(), elements, RowSearchElements(level));
    if (row_length > 0) {
      body->push_back(static_cast<uint8_t>(Transform::kRows));
      array::AppendVarint(row_length, body);
      geometry = Geometry({elements / row_length, row_length});
    }
  }
  // Records of unlike fields: also coded column by column, each column with
  // its own predictor; the smaller body wins (estimates mislead here: a
  // lattice's columns predict each other).
  std::vector<uint8_t> by_columns;
  if (ColumnsApply(geometry)) {
    Plan<U> columns_plan;
    columns_plan.transform = Transform::kColumns;
    const uint64_t columns = geometry.row_length();
    const Geometry column_geometry({geometry.rows()});
    const uint64_t column_sample = SampleElements(level) / columns + 1;
    std::vector<std::vector<U>> column_values;
    for (uint64_t c = 0; c < columns; ++c) {
      column_values.push_back(Column(values, columns, c));
      uint64_t bits = 0;
      columns_plan.column_predictors.push_back(
          array::ChoosePredictor(column_values[c].data(), column_geometry, column_sample, &bits));
    }
    // The columns' base residuals on the sample, once for every estimate;
    // the first column's on all rows: the side inputs of the others.
    const uint64_t sample_rows =
        array::SampleRows(column_geometry, RefinementSampleElements(level) / columns + 1);
    std::vector<std::vector<U>> residuals;
    for (uint64_t c = 0; c < columns; ++c) {
      residuals.push_back(array::BaseResiduals(column_values[c].data(), column_geometry,
                                               columns_plan.column_predictors[c],
                                               c == 0 ? column_geometry.rows() : sample_rows));
    }
    columns_plan.neural = ChooseRefinement<U>(level, column_geometry, [&](array::NeuralStage stage) {
      array::RefinementEstimate estimate;
      for (uint64_t c = 0; c < columns; ++c) {
        const std::span<const U> sample(residuals[c].data(),
                                        sample_rows * column_geometry.row_length());
        estimate += array::EstimateRefinement(sample, column_geometry, stage,
                                              c > 0 ? residuals[0].data() : nullptr);
      }
      return estimate;
    });
    RETURN_IF_ERROR(EncodePlanned(geometry, columns_plan, value_limit, &values, level, &by_columns));
  }
  Plan<U> plan = ChoosePlan(&values, geometry, value_limit, level);
  // The neural stage on the chosen base; the blend (a candidate for images)
  // must beat the polynomial, each with its own neural stage.
  const auto refine = [&](bool blend, uint64_t* bits) {
    const std::vector<U> base_residuals =
        array::BaseResiduals(values.data(), geometry, plan.predictor,
                             array::SampleRows(geometry, RefinementSampleElements(level)), blend,
                             plan.MaxValue(value_limit));
    return ChooseRefinement<U>(
        level, geometry,
        [&](array::NeuralStage stage) {
          return array::EstimateRefinement(std::span<const U>(base_residuals), geometry, stage);
        },
        bits);
  };
  uint64_t planned_bits = 0;
  plan.neural = refine(plan.blend, &planned_bits);
  if (plan.blend) {
    uint64_t polynomial_bits = 0;
    const array::NeuralStage polynomial_neural = refine(false, &polynomial_bits);
    if (polynomial_bits <= planned_bits) {
      plan.blend = false;
      plan.neural = polynomial_neural;
    }
  }
  const size_t start = body->size();
  RETURN_IF_ERROR(EncodePlanned(geometry, plan, value_limit, &values, level, body));
  if (!by_columns.empty() && by_columns.size() < body->size() - start) {
    body->resize(start);
    body->insert(body->end(), by_columns.begin(), by_columns.end());
  }
  return Status::Ok();
}

template <typename U>
Status DecodeTyped(ByteReader* reader, std::span<const uint8_t> body, const ArrayLayout& layout,
                   int level, std::span<uint8_t> raw) {
  Geometry geometry(layout.shape);
  U value_limit = ValueLimit<U>(layout.dtype);
  const uint64_t elements = geometry.size();
  uint8_t transform = 0;
  RETURN_IF_ERROR(reader->U8("transform", &transform));
  uint8_t wasted = 0;
  if (transform == static_cast<uint8_t>(Transform::kShift)) {
    RETURN_IF_ERROR(reader->U8("wasted bits", &wasted));
    if (wasted < 1 || wasted >= std::bit_width(value_limit)) {
      return Corrupt("array: " + std::to_string(wasted) + " wasted bits of " +
                     std::to_string(std::bit_width(value_limit)));
    }
    value_limit = static_cast<U>(value_limit >> wasted);
    RETURN_IF_ERROR(reader->U8("transform", &transform));
  }
  // Ordered values (shifted back) to the raw elements.
  const auto finish = [&](std::vector<U>& values) {
    if (wasted > 0) {
      for (U& v : values) v = static_cast<U>(v << wasted);
    }
    array::MapFromOrdered(values.data(), layout.dtype, layout.byte_order, raw);
  };
  if (transform == static_cast<uint8_t>(Transform::kRows)) {
    uint64_t row_length = 0;
    RETURN_IF_ERROR(array::ReadVarint(reader, "row length", &row_length));
    if (geometry.rank() != 1 || !array::RowLengthFits(elements, row_length)) {
      return Corrupt("array: row length " + std::to_string(row_length) + " does not fit " +
                     std::to_string(elements) + " elements of rank " +
                     std::to_string(geometry.rank()));
    }
    geometry = Geometry({elements / row_length, row_length});
    RETURN_IF_ERROR(reader->U8("transform", &transform));
  }
  uint8_t refined_taps = 0, second_taps = 0;
  const bool transform_was_refined = transform == static_cast<uint8_t>(Transform::kRefined);
  if (transform_was_refined) {
    RETURN_IF_ERROR(reader->U8("neural stage taps", &refined_taps));
    RETURN_IF_ERROR(reader->U8("second neuron taps", &second_taps));
    RETURN_IF_ERROR(reader->U8("transform", &transform));
  }
  const bool blend = transform == static_cast<uint8_t>(Transform::kBlend);
  if (blend) {
    RETURN_IF_ERROR(reader->U8("transform", &transform));
    if (transform > static_cast<uint8_t>(Transform::kValueTable)) {
      return Corrupt("array: blend predictor on transform " + std::to_string(transform));
    }
  }
  if (transform > static_cast<uint8_t>(Transform::kColumns)) {
    return Corrupt("array: transform " + std::to_string(transform) + " is unknown");
  }
  const array::NeuralStage neural{refined_taps, second_taps};
  if (transform_was_refined) {
    // The passes' geometry: a column (1-D) or the whole array.
    const bool by_columns = transform == static_cast<uint8_t>(Transform::kColumns) &&
                            ColumnsApply(geometry);
    const int limit = array::LmsPredictor<U>::MaxPreviousTaps(
        by_columns ? Geometry({geometry.rows()}) : geometry);
    if (refined_taps < 1 || refined_taps > limit || second_taps > limit) {
      return Corrupt("array: neural stage of " + std::to_string(refined_taps) + " and " +
                     std::to_string(second_taps) + " previous taps (1.." + std::to_string(limit) +
                     ", 0.." + std::to_string(limit) + ")");
    }
  }
  if (transform == static_cast<uint8_t>(Transform::kColumns)) {
    if (!ColumnsApply(geometry)) return Corrupt("array: column transform on a shape that has no columns");
    const uint64_t columns = geometry.row_length();
    const Geometry column_geometry({geometry.rows()});
    std::vector<PredictorSpec> specs(columns);
    for (PredictorSpec& spec : specs) {
      RETURN_IF_ERROR(reader->U16("column predictor orders", &spec.orders));
      RETURN_IF_ERROR(array::ValidatePredictorSpec(spec, column_geometry));
    }
    ArithDecoder decoder(body.subspan(reader->position()));
    array::DecodingBits bits(&decoder);
    std::vector<U> values(elements);
    RETURN_IF_ERROR(
        CodeColumns(bits, geometry, specs, neural, MixedModel(level), value_limit, &values));
    finish(values);
    return Status::Ok();
  }
  uint64_t table_size = 0;
  uint8_t table_order = 0;
  if (transform == static_cast<uint8_t>(Transform::kValueTable)) {
    RETURN_IF_ERROR(array::ReadVarint(reader, "value table size", &table_size));
    // At most 2^W distinct W-bit values, and never more than elements.
    if (table_size < 1 || table_size > elements || table_size - 1 > value_limit) {
      return Corrupt("array: value table size " + std::to_string(table_size) +
                     " is impossible for " + std::to_string(elements) + " elements");
    }
    RETURN_IF_ERROR(reader->U8("table predictor order", &table_order));
  }
  // The header is checked whole before anything is decoded.
  const U max_value = table_size > 0 ? static_cast<U>(table_size - 1) : value_limit;
  if (blend && !array::BlendApplies(geometry, std::bit_width(max_value))) {
    return Corrupt("array: blend predictor on a shape or value range it does not apply to");
  }
  PredictorSpec spec;
  if (!blend) {
    RETURN_IF_ERROR(reader->U16("predictor orders", &spec.orders));
    RETURN_IF_ERROR(array::ValidatePredictorSpec(spec, geometry));
  }

  ArithDecoder decoder(body.subspan(reader->position()));
  array::DecodingBits bits(&decoder);
  const bool mix = MixedModel(level);
  std::vector<U> table;
  if (table_size > 0) {
    const Geometry table_geometry({table_size});
    const PredictorSpec table_spec{table_order};
    RETURN_IF_ERROR(array::ValidatePredictorSpec(table_spec, table_geometry));
    table.resize(table_size);
    RETURN_IF_ERROR(CodeValues(bits, table_geometry, PassModel<U>{.spec = table_spec}, mix,
                               value_limit, value_limit, table.data()));
    RETURN_IF_ERROR(array::ValidateTable(table));
  }
  std::vector<U> values(elements);
  const PassModel<U> model{.spec = spec, .blend = blend, .neural = neural};
  RETURN_IF_ERROR(
      CodeValues(bits, geometry, model, mix, max_value, value_limit, values.data()));
  if (table_size > 0) RETURN_IF_ERROR(array::FromRanks(table, values.data(), elements));
  finish(values);
  return Status::Ok();
}

}  // namespace

Status ArrayCodec::Encode(std::span<const uint8_t> raw, int level,
                          std::vector<uint8_t>* body) const {
  ArrayLayout bytes;
  bytes.shape = {raw.size()};
  return EncodeArray(raw, bytes, level, body);
}

Status ArrayCodec::EncodeArray(std::span<const uint8_t> raw, const ArrayLayout& layout, int level,
                               std::vector<uint8_t>* body) const {
  if (level < kMinLevel || level > kMaxLevel) {
    return InvalidArgument("array: level " + std::to_string(level) + " is outside 1..9");
  }
  RETURN_IF_ERROR(array::ValidateLayout(layout, raw.size()));
  body->push_back(kFormatVersion);
  body->push_back(static_cast<uint8_t>(level));
  array::AppendLayoutRecord(layout, body);
  if (raw.empty()) return Status::Ok();
  switch (array::ElementBytes(layout.dtype)) {
    case 1: return EncodeTyped<uint8_t>(raw, layout, level, body);
    case 2: return EncodeTyped<uint16_t>(raw, layout, level, body);
    case 3:  // i24
    case 4: return EncodeTyped<uint32_t>(raw, layout, level, body);
    default: return EncodeTyped<uint64_t>(raw, layout, level, body);
  }
}

Status ArrayCodec::Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const {
  ByteReader reader(body, "array body");
  uint8_t version = 0, level = 0;
  RETURN_IF_ERROR(reader.U8("format version", &version));
  if (version != kFormatVersion) {
    return Unsupported("array: body format version " + std::to_string(version) + " is unknown");
  }
  RETURN_IF_ERROR(reader.U8("level", &level));
  if (level < kMinLevel || level > kMaxLevel) {
    return Corrupt("array: level " + std::to_string(level) + " is outside 1..9");
  }
  ArrayLayout layout;
  RETURN_IF_ERROR(array::ReadLayoutRecord(&reader, &layout));
  if (const Status status = array::ValidateLayout(layout, raw.size()); !status.ok()) {
    return Corrupt("array: " + status.message());
  }
  if (raw.empty()) {
    if (reader.position() != body.size())
      return Corrupt("array: trailing bytes after an empty array");
    return Status::Ok();
  }
  switch (array::ElementBytes(layout.dtype)) {
    case 1: return DecodeTyped<uint8_t>(&reader, body, layout, level, raw);
    case 2: return DecodeTyped<uint16_t>(&reader, body, layout, level, raw);
    case 3:  // i24
    case 4: return DecodeTyped<uint32_t>(&reader, body, layout, level, raw);
    default: return DecodeTyped<uint64_t>(&reader, body, layout, level, raw);
  }
}

}  // namespace lmarc
