#include "model/nn/transformer.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <omp.h>
#include <string>
#include <utility>

namespace lmarc::nn {
namespace {

// Residual values and every delta added to them stay in [-2^20, 2^20].
constexpr int32_t kResidualLimit = 1 << 20;
// Attention and output logits are clamped to [-2^24, 2^24].
constexpr int32_t kLogitLimit = 1 << 24;
// Norm output a = 16 x / rms(x): RoundingShiftRight(x * InverseSqrtQ31, 31 - 4).
constexpr int kNormShift = 27;
// Attention weights: Exp2FractionTable (Q30) >> 16 gives 15-bit weights.
constexpr int kAttentionWeightShift = 16;
constexpr int kAttentionWeightCutoff = 15;  // whole base-2 units beyond which w = 0

Status Invalid(const std::string& what) { return Corrupt("model: " + what); }

std::string DimsText(const std::vector<uint32_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

// The tensor `name` with exactly `dtype` and `dims`, or Corrupt.
StatusOr<const Tensor*> Expect(const WeightFile& file, size_t index, const std::string& name,
                               DType dtype, std::vector<uint32_t> dims) {
  if (index >= file.tensors.size() || file.tensors[index].name != name) {
    return Invalid("tensor " + std::to_string(index) + " must be '" + name + "'");
  }
  const Tensor& tensor = file.tensors[index];
  if (tensor.dtype != dtype || tensor.dims != dims) {
    return Invalid("tensor '" + name + "' is " + std::string(DTypeName(tensor.dtype)) +
                   DimsText(tensor.dims) + ", expected " + std::string(DTypeName(dtype)) +
                   DimsText(dims));
  }
  if (!IsValid(tensor.requantizer)) return Invalid("tensor '" + name + "' has an invalid requantizer");
  return &tensor;
}

std::vector<int8_t> S8Values(const Tensor& tensor) {
  std::vector<int8_t> values(tensor.data.size());
  std::memcpy(values.data(), tensor.data.data(), values.size());
  return values;
}

template <typename T>
std::vector<T> LittleEndianValues(const Tensor& tensor) {
  std::vector<T> values(tensor.data.size() / sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits = 0;
    for (size_t b = 0; b < sizeof(T); ++b) bits |= uint32_t{tensor.data[i * sizeof(T) + b]} << (8 * b);
    values[i] = static_cast<T>(bits);
  }
  return values;
}

Status CheckShape(const ModelHeader& h) {
  const auto in = [](uint32_t v, uint32_t lo, uint32_t hi) { return v >= lo && v <= hi; };
  if (h.vocab_size != kByteVocabulary) return Invalid("vocab_size must be 256");
  if (!in(h.d_model, 16, 1024)) return Invalid("d_model must be in [16, 1024]");
  if (!in(h.n_layers, 1, 16)) return Invalid("n_layers must be in [1, 16]");
  if (!in(h.n_heads, 1, 16) || h.d_model % h.n_heads != 0 || h.d_model / h.n_heads > 256) {
    return Invalid("n_heads must be in [1, 16] and divide d_model into heads of at most 256");
  }
  if (!in(h.context, 1, 256)) return Invalid("context must be in [1, 256]");
  if (!in(h.ffn_dim, 16, 4096)) return Invalid("ffn_dim must be in [16, 4096]");
  return Status::Ok();
}

// A masked (not visible) attention logit: far below any real one (|logit| <=
// 2^25), so its weight is 0, and max - masked stays within int32.
constexpr int32_t kMaskedLogit = -(1 << 29);


inline int32_t ClampResidual(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, -kResidualLimit, kResidualLimit));
}

}  // namespace

StatusOr<std::shared_ptr<const TransformerModel>> TransformerModel::FromWeightFile(
    const WeightFile& file) {
  RETURN_IF_ERROR(CheckShape(file.header));
  std::shared_ptr<TransformerModel> model(new TransformerModel());
  TransformerShape& s = model->shape_;
  s.d_model = static_cast<int>(file.header.d_model);
  s.n_layers = static_cast<int>(file.header.n_layers);
  s.n_heads = static_cast<int>(file.header.n_heads);
  s.context = static_cast<int>(file.header.context);
  s.ffn_dim = static_cast<int>(file.header.ffn_dim);
  const uint32_t d = file.header.d_model;
  const size_t expected_tensors = 2 + 7 * static_cast<size_t>(s.n_layers);
  if (file.tensors.size() != expected_tensors) {
    return Invalid(std::to_string(file.tensors.size()) + " tensors, expected " +
                   std::to_string(expected_tensors));
  }
  size_t index = 0;
  ASSIGN_OR_RETURN(const Tensor* embed, Expect(file, index++, "embed", DType::kS16, {kInputTokens, d}));
  model->embed_ = LittleEndianValues<int16_t>(*embed);
  for (int l = 0; l < s.n_layers; ++l) {
    const std::string prefix = "layers." + std::to_string(l) + ".";
    TransformerLayer layer;
    ASSIGN_OR_RETURN(const Tensor* wq, Expect(file, index++, prefix + "wq", DType::kS8, {d, d}));
    ASSIGN_OR_RETURN(const Tensor* wk, Expect(file, index++, prefix + "wk", DType::kS8, {d, d}));
    ASSIGN_OR_RETURN(const Tensor* wv, Expect(file, index++, prefix + "wv", DType::kS8, {d, d}));
    ASSIGN_OR_RETURN(const Tensor* bias,
                     Expect(file, index++, prefix + "attn_bias", DType::kS32,
                            {file.header.n_heads, file.header.context}));
    ASSIGN_OR_RETURN(const Tensor* wo, Expect(file, index++, prefix + "wo", DType::kS8, {d, d}));
    ASSIGN_OR_RETURN(const Tensor* w1,
                     Expect(file, index++, prefix + "w1", DType::kS8, {d, file.header.ffn_dim}));
    ASSIGN_OR_RETURN(const Tensor* w2,
                     Expect(file, index++, prefix + "w2", DType::kS8, {file.header.ffn_dim, d}));
    // q | k | v side by side: one product per layer.
    const std::vector<int8_t> q = S8Values(*wq), k = S8Values(*wk), v = S8Values(*wv);
    layer.wqkv.resize(static_cast<size_t>(d) * 3 * d);
    for (uint32_t row = 0; row < d; ++row) {
      int8_t* out = &layer.wqkv[static_cast<size_t>(row) * 3 * d];
      std::memcpy(out, &q[static_cast<size_t>(row) * d], d);
      std::memcpy(out + d, &k[static_cast<size_t>(row) * d], d);
      std::memcpy(out + 2 * d, &v[static_cast<size_t>(row) * d], d);
    }
    layer.rq = wq->requantizer;
    layer.rk = wk->requantizer;
    layer.rv = wv->requantizer;
    layer.attn_bias = LittleEndianValues<int32_t>(*bias);
    for (int32_t b : layer.attn_bias) {
      if (b < -kLogitLimit || b > kLogitLimit) {
        return Invalid("tensor '" + prefix + "attn_bias' has an entry outside [-2^24, 2^24]");
      }
    }
    layer.r_score = bias->requantizer;
    layer.wo = S8Values(*wo);
    layer.r_wo = wo->requantizer;
    layer.w1 = S8Values(*w1);
    layer.r_w1 = w1->requantizer;
    layer.w2 = S8Values(*w2);
    layer.r_w2 = w2->requantizer;
    model->layers_.push_back(std::move(layer));
  }
  ASSIGN_OR_RETURN(const Tensor* head, Expect(file, index++, "head", DType::kS8, {d, kByteVocabulary}));
  model->head_ = S8Values(*head);
  model->r_head_ = head->requantizer;
  model->model_id_ = file.model_id;
  return std::shared_ptr<const TransformerModel>(std::move(model));
}

StatusOr<std::unique_ptr<TransformerSession>> TransformerSession::Create(
    std::shared_ptr<const TransformerModel> model, int lanes) {
  if (lanes < 1) return InvalidArgument("transformer: lanes must be >= 1");
  const TransformerShape& s = model->shape();
  const auto range = ActivationRange::k0To127;
  std::vector<LayerKernels> kernels;
  for (const TransformerLayer& layer : model->layers()) {
    ASSIGN_OR_RETURN(Int8Matmul qkv, Int8Matmul::Create(layer.wqkv, s.d_model, 3 * s.d_model, range));
    ASSIGN_OR_RETURN(Int8Matmul wo, Int8Matmul::Create(layer.wo, s.d_model, s.d_model, range));
    ASSIGN_OR_RETURN(Int8Matmul w1, Int8Matmul::Create(layer.w1, s.d_model, s.ffn_dim, range));
    ASSIGN_OR_RETURN(Int8Matmul w2, Int8Matmul::Create(layer.w2, s.ffn_dim, s.d_model, range));
    kernels.push_back({std::move(qkv), std::move(wo), std::move(w1), std::move(w2)});
  }
  ASSIGN_OR_RETURN(Int8Matmul head,
                   Int8Matmul::Create(model->head(), s.d_model, kByteVocabulary, range));
  // q+ and q- in [0, 127] against keys in [-127, 127]; the 7-bit halves of the
  // attention weights (<= 2^14: low in [0, 127], high in [0, 128]) against
  // values in [-64, 63].
  const int cache_positions = s.context - 1 + kRowsPerLaneBatch;
  ASSIGN_OR_RETURN(BatchedInt8Matmul scores,
                   BatchedInt8Matmul::Create(s.head_dim(), cache_positions,
                                             RightLayout::kColumnMajor, ActivationRange::k0To127));
  ASSIGN_OR_RETURN(BatchedInt8Matmul mix,
                   BatchedInt8Matmul::Create(cache_positions, s.head_dim(), RightLayout::kRowMajor,
                                             ActivationRange::k0To255));
  return std::unique_ptr<TransformerSession>(
      new TransformerSession(std::move(model), lanes, std::move(kernels), std::move(head),
                             std::move(scores), std::move(mix)));
}

TransformerSession::TransformerSession(std::shared_ptr<const TransformerModel> model, int lanes,
                                       std::vector<LayerKernels> kernels, Int8Matmul head,
                                       BatchedInt8Matmul scores, BatchedInt8Matmul mix)
    : model_(std::move(model)), lanes_(lanes),
      cache_positions_(model_->shape().context - 1 + kRowsPerLaneBatch),
      kernels_(std::move(kernels)), head_(std::move(head)), score_product_(std::move(scores)),
      mix_product_(std::move(mix)) {
  const TransformerShape& s = model_->shape();
  const size_t cache_size = static_cast<size_t>(lanes) * cache_positions_ * s.d_model;
  keys_.assign(static_cast<size_t>(s.n_layers), std::vector<int8_t>(cache_size, 0));
  values_.assign(static_cast<size_t>(s.n_layers), std::vector<int8_t>(cache_size, 0));
  window_start_.assign(static_cast<size_t>(lanes), 0);
  lane_positions_.assign(static_cast<size_t>(lanes), 0);
  lane_rows_.assign(static_cast<size_t>(lanes), 0);
  lane_group_.assign(static_cast<size_t>(lanes), 0);
  split_rows_.assign(static_cast<size_t>(lanes), 0);
  lane_first_position_.assign(static_cast<size_t>(lanes), 0);
  window_scores_.resize(static_cast<size_t>(s.context));
  logits_.resize(static_cast<size_t>(std::max(s.context, kByteVocabulary)));
}

void TransformerSession::Reserve(int rows) {
  const TransformerShape& s = model_->shape();
  const size_t n = static_cast<size_t>(rows);
  const size_t widest = static_cast<size_t>(std::max({3 * s.d_model, s.ffn_dim, kByteVocabulary}));
  residual_.resize(n * s.d_model);
  normalized_.resize(n * s.d_model);
  attended_.resize(n * s.d_model);
  hidden_.resize(n * s.ffn_dim);
  accumulator_.resize(n * widest);
  requantized_.resize(n * widest);
  const size_t per_head = static_cast<size_t>(s.n_heads) * 2;  // two product rows per head
  queries_.resize(n * per_head * s.head_dim());
  mixed_.resize(n * per_head * s.head_dim());
  scores_.resize(n * per_head * cache_positions_);
  mix_weights_.resize(n * per_head * cache_positions_);
  head_totals_.resize(n * s.n_heads);
  row_in_lane_.resize(n);
}

int TransformerSession::CacheIndex(int lane, int64_t position) const {
  return static_cast<int>(model_->shape().context - 1 + (position - window_start_[lane]));
}

void TransformerSession::PlanAttention(std::span<const TransformerRow> rows,
                                       std::span<const int64_t> positions) {
  const TransformerShape& s = model_->shape();
  const int window = s.context, dh = s.head_dim();
  batch_lanes_.clear();
  for (size_t r = 0; r < rows.size(); ++r) {
    const int lane = rows[r].lane;
    if (lane_rows_[lane] == 0) {
      batch_lanes_.push_back(lane);
      lane_first_position_[lane] = positions[r];
    }
    row_in_lane_[r] = lane_rows_[lane]++;
  }
  std::sort(batch_lanes_.begin(), batch_lanes_.end());
  // A lane whose rows would run past the cache's end keeps its last W - 1
  // positions at indices 0..W-2 and starts its window at its first row. The
  // decision depends only on the lane's positions, so lanes stepped together
  // stay at equal indices and can share a batched product.
  const size_t head_block = static_cast<size_t>(cache_positions_) * dh;
  for (int lane : batch_lanes_) {
    const int64_t first = lane_first_position_[lane];
    if (first - window_start_[lane] + lane_rows_[lane] <= kRowsPerLaneBatch) continue;
    const size_t from = static_cast<size_t>(first - window_start_[lane]) * dh;
    for (int l = 0; l < s.n_layers; ++l) {
      for (std::vector<int8_t>* cache : {&keys_[l], &values_[l]}) {
        for (int h = 0; h < s.n_heads; ++h) {
          int8_t* block = &(*cache)[(static_cast<size_t>(lane) * s.n_heads + h) * head_block];
          std::memmove(block, block + from, static_cast<size_t>(window - 1) * dh);
        }
      }
    }
    window_start_[lane] = first;
  }
  // Runs of consecutive lanes with equal row counts and first-row indices.
  groups_.clear();
  size_t query_offset = 0, score_offset = 0;
  for (const int lane : batch_lanes_) {
    const int index = CacheIndex(lane, lane_first_position_[lane]);
    if (!groups_.empty()) {
      AttentionGroup& last = groups_.back();
      const int last_lane = last.first_lane + last.lanes - 1;
      if (lane == last_lane + 1 && lane_rows_[lane] == last.rows_per_lane &&
          index == CacheIndex(last_lane, lane_first_position_[last_lane])) {
        ++last.lanes;
        lane_group_[lane] = static_cast<int>(groups_.size()) - 1;
        continue;
      }
      const size_t product_rows = static_cast<size_t>(last.lanes) * s.n_heads * 2 * last.rows_per_lane;
      query_offset += product_rows * dh;
      score_offset += product_rows * cache_positions_;
    }
    groups_.push_back({lane, 1, lane_rows_[lane], query_offset, score_offset});
    lane_group_[lane] = static_cast<int>(groups_.size()) - 1;
  }
  for (int lane : batch_lanes_) lane_rows_[lane] = 0;
}

void TransformerSession::Normalize(int rows) {
  const int d = model_->shape().d_model;
  for (int r = 0; r < rows; ++r) {
    const int32_t* x = &residual_[static_cast<size_t>(r) * d];
    int8_t* a = &normalized_[static_cast<size_t>(r) * d];
    uint64_t sum_squares = 0;  // < D * 2^40 <= 2^50
    for (int c = 0; c < d; ++c) sum_squares += static_cast<uint64_t>(int64_t{x[c]} * x[c]);
    const uint32_t inverse_rms = InverseSqrtQ31(sum_squares / static_cast<uint64_t>(d));
    // a = RoundingShiftRight(x * inverse_rms, 27), clamped, as a Requantize;
    // 2^31 (mean square 0 or 1) exceeds a multiplier: 2^30 >> 26 is the same.
    const Requantizer scale = inverse_rms > INT32_MAX
                                  ? Requantizer{1 << 30, kNormShift - 1}
                                  : Requantizer{static_cast<int32_t>(inverse_rms), kNormShift};
    int32_t* scaled = &requantized_[static_cast<size_t>(r) * d];
    RequantizeRow(x, scaled, static_cast<size_t>(d), scale, -64, 63);
    for (int c = 0; c < d; ++c) a[c] = static_cast<int8_t>(scaled[c]);
  }
}

void TransformerSession::AddToResidual(int rows, Requantizer requantizer) {
  const size_t n = static_cast<size_t>(rows) * model_->shape().d_model;
  RequantizeRow(accumulator_.data(), requantized_.data(), n, requantizer, -kResidualLimit,
                kResidualLimit);
  for (size_t i = 0; i < n; ++i) {
    residual_[i] = ClampResidual(int64_t{residual_[i]} + requantized_[i]);
  }
}

Status TransformerSession::Attend(std::span<const TransformerRow> rows,
                                  std::span<const int64_t> positions, int layer) {
  const TransformerShape& s = model_->shape();
  const TransformerLayer& weights = model_->layers()[static_cast<size_t>(layer)];
  const int d = s.d_model, dh = s.head_dim(), heads = s.n_heads, window = s.context;
  const size_t cache_positions = static_cast<size_t>(cache_positions_);
  const size_t head_block = cache_positions * dh;
  // Offset of row r's first product row for head h within the group buffers.
  const auto product_row = [&](size_t r, int h) {
    const AttentionGroup& group = groups_[static_cast<size_t>(lane_group_[rows[r].lane])];
    const size_t element = static_cast<size_t>(rows[r].lane - group.first_lane) * heads + h;
    return element * 2 * group.rows_per_lane + 2 * static_cast<size_t>(row_in_lane_[r]);
  };
  // q (split into q+ and q- in [0, 127]), k and v; k and v into the cache.
  for (size_t r = 0; r < rows.size(); ++r) {
    const int32_t* acc = &accumulator_[r * 3 * d];
    int32_t* qkv = requantized_.data();
    RequantizeRow(acc, qkv, static_cast<size_t>(d), weights.rq, -127, 127);
    RequantizeRow(acc + d, qkv + d, static_cast<size_t>(d), weights.rk, -127, 127);
    RequantizeRow(acc + 2 * d, qkv + 2 * d, static_cast<size_t>(d), weights.rv, -64, 63);
    const int index = CacheIndex(rows[r].lane, positions[r]);
    const AttentionGroup& group = groups_[static_cast<size_t>(lane_group_[rows[r].lane])];
    for (int h = 0; h < heads; ++h) {
      const size_t block = (static_cast<size_t>(rows[r].lane) * heads + h) * head_block +
                           static_cast<size_t>(index) * dh;
      uint8_t* q = &queries_[group.query_offset + product_row(r, h) * dh];
      for (int c = 0; c < dh; ++c) {
        const int32_t value = qkv[h * dh + c];
        q[c] = static_cast<uint8_t>(std::max(value, 0));
        q[dh + c] = static_cast<uint8_t>(std::max(-value, 0));
        keys_[layer][block + c] = static_cast<int8_t>(qkv[d + h * dh + c]);
        values_[layer][block + c] = static_cast<int8_t>(qkv[2 * d + h * dh + c]);
      }
    }
  }
  // Scores of every cache index: one batched product per group.
  for (const AttentionGroup& group : groups_) {
    const size_t elements = static_cast<size_t>(group.lanes) * heads;
    const int m = 2 * group.rows_per_lane;
    RETURN_IF_ERROR(score_product_.Multiply(
        std::span<const uint8_t>(&queries_[group.query_offset], elements * m * dh),
        std::span<const int8_t>(&keys_[layer][group.first_lane * heads * head_block],
                                elements * head_block),
        static_cast<int>(elements), m,
        std::span<int32_t>(&scores_[group.score_offset], elements * m * cache_positions)));
  }
  // Softmax over each row's window (oldest position first); the weights'
  // 7-bit halves go to the mix product's rows, 0 outside the window.
  const std::array<uint32_t, 256>& exp2 = Exp2FractionTable();
  for (size_t r = 0; r < rows.size(); ++r) {
    const AttentionGroup& group = groups_[static_cast<size_t>(lane_group_[rows[r].lane])];
    const int first = CacheIndex(rows[r].lane, positions[r]) - (window - 1);
    const int visible = static_cast<int>(std::min<int64_t>(positions[r] + 1, window));
    for (int h = 0; h < heads; ++h) {
      const size_t row_offset = group.score_offset + product_row(r, h) * cache_positions;
      const int32_t* plus = &scores_[row_offset];
      const int32_t* minus = plus + cache_positions;
      for (int j = 0; j < window; ++j) window_scores_[j] = plus[first + j] - minus[first + j];
      RequantizeRow(window_scores_.data(), logits_.data(), static_cast<size_t>(window),
                    weights.r_score, -kLogitLimit, kLogitLimit);
      const int32_t* bias = &weights.attn_bias[static_cast<size_t>(h) * window];
      int32_t max_logit = kMaskedLogit;
      for (int j = 0; j < window; ++j) {
        const int distance = window - 1 - j;
        logits_[j] = distance < visible ? logits_[j] + bias[distance] : kMaskedLogit;
        max_logit = std::max(max_logit, logits_[j]);
      }
      uint8_t* low = &mix_weights_[row_offset];
      uint8_t* high = low + cache_positions;
      std::fill(low, high + cache_positions, uint8_t{0});
      int32_t total = 0;  // <= 256 * 2^14
      for (int j = 0; j < window; ++j) {
        const int32_t gap = max_logit - logits_[j];  // masked: > 2^29, so weight 0
        const int32_t whole = gap >> kLogitFracBits;
        const int32_t weight =
            whole >= kAttentionWeightCutoff ? 0 : static_cast<int32_t>(exp2[gap & 255] >> (kAttentionWeightShift + whole));
        low[first + j] = static_cast<uint8_t>(weight & 127);
        high[first + j] = static_cast<uint8_t>(weight >> 7);
        total += weight;
      }
      head_totals_[r * heads + h] = total;
    }
  }
  for (const AttentionGroup& group : groups_) {
    const size_t elements = static_cast<size_t>(group.lanes) * heads;
    const int m = 2 * group.rows_per_lane;
    RETURN_IF_ERROR(mix_product_.Multiply(
        std::span<const uint8_t>(&mix_weights_[group.score_offset], elements * m * cache_positions),
        std::span<const int8_t>(&values_[layer][group.first_lane * heads * head_block],
                                elements * head_block),
        static_cast<int>(elements), m,
        std::span<int32_t>(&mixed_[group.query_offset], elements * m * dh)));
  }
  // o_c = FloorDiv(2 * sum + total, 2 * total), sum = low + 128 * high and
  // |sum| <= 256 * 2^14 * 64 = 2^28: shifted by 64 divisors to a
  // non-negative numerator, divided exactly.
  for (size_t r = 0; r < rows.size(); ++r) {
    const AttentionGroup& group = groups_[static_cast<size_t>(lane_group_[rows[r].lane])];
    int8_t* out = &attended_[r * d];
    for (int h = 0; h < heads; ++h) {
      const int32_t total = head_totals_[r * heads + h];
      const ExactDivisor divisor(static_cast<uint64_t>(2 * total));
      const int32_t* low = &mixed_[group.query_offset + product_row(r, h) * dh];
      const int32_t* high = low + dh;
      for (int c = 0; c < dh; ++c) {
        const int32_t sum = low[c] + 128 * high[c];
        const uint64_t numerator = static_cast<uint64_t>(2 * int64_t{sum} + total + 128 * int64_t{total});
        out[h * dh + c] = static_cast<int8_t>(static_cast<int64_t>(divisor.Divide(numerator)) - 64);
      }
    }
  }
  return Status::Ok();
}

Status TransformerSession::Forward(std::span<const TransformerRow> rows,
                                   std::span<uint32_t> distributions) {
  if (distributions.size() != rows.size() * kByteVocabulary) {
    return InvalidArgument("transformer: distribution buffer size mismatch");
  }
  row_positions_.resize(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const TransformerRow row = rows[r];
    if (row.lane < 0 || row.lane >= lanes_) {
      return InvalidArgument("transformer: lane " + std::to_string(row.lane) + " out of range");
    }
    const int64_t position = lane_positions_[row.lane]++;
    if ((position == 0) != (row.token == kBosToken) || row.token < 0 || row.token > kBosToken) {
      return InvalidArgument("transformer: token " + std::to_string(row.token) + " at position " +
                             std::to_string(position));
    }
    row_positions_[r] = position;
  }
  // Batches of at most kRowsPerLaneBatch rows per lane, in row order.
  size_t begin = 0;
  std::vector<int>& counts = split_rows_;  // zero between calls
  std::vector<int>& touched = split_lanes_;
  for (size_t r = 0; r <= rows.size(); ++r) {
    if (r < rows.size() && counts[rows[r].lane] < kRowsPerLaneBatch) {
      if (counts[rows[r].lane]++ == 0) touched.push_back(rows[r].lane);
      continue;
    }
    for (int lane : touched) counts[lane] = 0;
    touched.clear();
    RETURN_IF_ERROR(ForwardBatch(
        rows.subspan(begin, r - begin),
        std::span<const int64_t>(row_positions_).subspan(begin, r - begin),
        distributions.subspan(begin * kByteVocabulary, (r - begin) * kByteVocabulary)));
    begin = r;
    if (r < rows.size()) {
      counts[rows[r].lane] = 1;
      touched.push_back(rows[r].lane);
    }
  }
  return Status::Ok();
}

Status TransformerSession::ForwardBatch(std::span<const TransformerRow> rows,
                                        std::span<const int64_t> positions,
                                        std::span<uint32_t> distributions) {
  const TransformerShape& s = model_->shape();
  const int m = static_cast<int>(rows.size());
  if (m == 0) return Status::Ok();
  // oneDNN runs on this thread only: lmarc parallelises across chunks, and
  // per-step products are too small to gain from waking other threads.
  omp_set_num_threads(1);
  Reserve(m);
  PlanAttention(rows, positions);
  const size_t d = static_cast<size_t>(s.d_model);
  for (int r = 0; r < m; ++r) {
    const int16_t* e = &model_->embed()[static_cast<size_t>(rows[r].token) * d];
    std::copy(e, e + d, &residual_[r * d]);
  }
  const auto span8 = [m](std::vector<int8_t>& v, size_t width) {
    return std::span<const int8_t>(v.data(), static_cast<size_t>(m) * width);
  };
  const auto acc = [&](size_t width) {
    return std::span<int32_t>(accumulator_.data(), static_cast<size_t>(m) * width);
  };
  for (int l = 0; l < s.n_layers; ++l) {
    LayerKernels& k = kernels_[static_cast<size_t>(l)];
    const TransformerLayer& weights = model_->layers()[static_cast<size_t>(l)];
    Normalize(m);
    RETURN_IF_ERROR(k.qkv.MultiplySigned(span8(normalized_, d), m, acc(3 * d)));
    RETURN_IF_ERROR(Attend(rows, positions, l));
    RETURN_IF_ERROR(k.wo.MultiplySigned(span8(attended_, d), m, acc(d)));
    AddToResidual(m, weights.r_wo);
    Normalize(m);
    const size_t f = static_cast<size_t>(s.ffn_dim);
    RETURN_IF_ERROR(k.w1.MultiplySigned(span8(normalized_, d), m, acc(f)));
    RequantizeRow(accumulator_.data(), requantized_.data(), static_cast<size_t>(m) * f,
                  weights.r_w1, 0, 127);
    for (size_t i = 0; i < static_cast<size_t>(m) * f; ++i) {
      hidden_[i] = static_cast<uint8_t>(requantized_[i]);
    }
    RETURN_IF_ERROR(k.w2.Multiply(std::span<const uint8_t>(hidden_.data(), m * f), m, acc(d)));
    AddToResidual(m, weights.r_w2);
  }
  Normalize(m);
  RETURN_IF_ERROR(head_.MultiplySigned(span8(normalized_, d), m, acc(kByteVocabulary)));
  for (int r = 0; r < m; ++r) {
    RequantizeRow(&accumulator_[static_cast<size_t>(r) * kByteVocabulary], logits_.data(),
                  kByteVocabulary, model_->r_head(), -kLogitLimit, kLogitLimit);
    RETURN_IF_ERROR(LogitsToDistribution(
        std::span<const int32_t>(logits_.data(), kByteVocabulary),
        distributions.subspan(static_cast<size_t>(r) * kByteVocabulary, kByteVocabulary)));
  }
  return Status::Ok();
}

}  // namespace lmarc::nn
