#include "model/nn/transformer.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <omp.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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

// Exact int16 dot product; callers keep |sum| < 2^31 (q.k: 256 * 127^2;
// weights . values: 256 * 2^14 * 64). pmaddwd (SSE2, baseline on x86-64)
// over blocks of 8, the tail in scalar: the same integer in any order.
inline int32_t Dot16(const int16_t* a, const int16_t* b, int n) {
  int i = 0;
  int32_t sum = 0;
#if defined(__SSE2__)
  __m128i acc = _mm_setzero_si128();
  for (; i + 8 <= n; i += 8) {
    acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)),
                                            _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i))));
  }
  acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(1, 0, 3, 2)));
  acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(2, 3, 0, 1)));
  sum = _mm_cvtsi128_si32(acc);
#endif
  for (; i < n; ++i) sum += int32_t{a[i]} * b[i];
  return sum;
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
  return std::unique_ptr<TransformerSession>(
      new TransformerSession(std::move(model), lanes, std::move(kernels), std::move(head)));
}

TransformerSession::TransformerSession(std::shared_ptr<const TransformerModel> model, int lanes,
                                       std::vector<LayerKernels> kernels, Int8Matmul head)
    : model_(std::move(model)), lanes_(lanes), kernels_(std::move(kernels)),
      head_(std::move(head)) {
  const TransformerShape& s = model_->shape();
  const size_t slots = static_cast<size_t>(s.context) * s.d_model;
  caches_.resize(static_cast<size_t>(lanes) * s.n_layers);
  for (LaneCache& cache : caches_) {
    cache.keys.assign(slots, 0);
    cache.values.assign(slots, 0);
  }
  lane_positions_.assign(static_cast<size_t>(lanes), 0);
  query_.resize(static_cast<size_t>(s.d_model));
  logits_.resize(static_cast<size_t>(std::max(s.context, kByteVocabulary)));
  slot_distance_.resize(static_cast<size_t>(s.context));
  slot_weights_.resize(static_cast<size_t>(s.context));
  scores_.resize(static_cast<size_t>(s.context));
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
  row_positions_.resize(n);
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

void TransformerSession::Attend(std::span<const TransformerRow> rows, int layer) {
  const TransformerShape& s = model_->shape();
  const TransformerLayer& weights = model_->layers()[static_cast<size_t>(layer)];
  const int d = s.d_model, dh = s.head_dim(), window = s.context;
  const std::array<uint32_t, 256>& exp2 = Exp2FractionTable();
  for (size_t r = 0; r < rows.size(); ++r) {
    const int32_t* acc = &accumulator_[r * 3 * d];
    LaneCache& cache = caches_[static_cast<size_t>(rows[r].lane) * s.n_layers + layer];
    const int64_t position = row_positions_[r];
    const int newest = static_cast<int>(position % window);  // this position's slot
    int32_t* qkv = requantized_.data();
    RequantizeRow(acc, qkv, static_cast<size_t>(d), weights.rq, -127, 127);
    RequantizeRow(acc + d, qkv + d, static_cast<size_t>(d), weights.rk, -127, 127);
    RequantizeRow(acc + 2 * d, qkv + 2 * d, static_cast<size_t>(d), weights.rv, -64, 63);
    int16_t* key = &cache.keys[static_cast<size_t>(newest) * d];
    for (int c = 0; c < d; ++c) {
      query_[c] = static_cast<int16_t>(qkv[c]);
      key[c] = static_cast<int16_t>(qkv[d + c]);
      cache.values[static_cast<size_t>(c) * window + newest] = static_cast<int16_t>(qkv[2 * d + c]);
    }
    // Slot -> distance (0 = this position); slots not yet written are not visible.
    const int visible = static_cast<int>(std::min<int64_t>(position + 1, window));
    for (int slot = 0; slot < window; ++slot) {
      slot_distance_[slot] = slot <= newest ? newest - slot : newest - slot + window;
    }
    int8_t* out = &attended_[r * d];
    for (int h = 0; h < s.n_heads; ++h) {
      const size_t head = static_cast<size_t>(h) * dh;
      const int32_t* bias = &weights.attn_bias[static_cast<size_t>(h) * window];
      const int16_t* q = &query_[head];
      for (int slot = 0; slot < window; ++slot) {  // slots never written score 0
        scores_[slot] = Dot16(q, &cache.keys[static_cast<size_t>(slot) * d + head], dh);
      }
      RequantizeRow(scores_.data(), logits_.data(), static_cast<size_t>(window), weights.r_score,
                    -kLogitLimit, kLogitLimit);
      int32_t max_logit = kMaskedLogit;
      for (int slot = 0; slot < window; ++slot) {
        const int distance = slot_distance_[slot];
        logits_[slot] = distance < visible ? logits_[slot] + bias[distance] : kMaskedLogit;
        max_logit = std::max(max_logit, logits_[slot]);
      }
      int32_t total = 0;  // <= 256 * 2^14
      for (int slot = 0; slot < window; ++slot) {
        const int32_t gap = max_logit - logits_[slot];  // masked: > 2^29, so weight 0
        const int32_t whole = gap >> kLogitFracBits;
        slot_weights_[slot] = whole >= kAttentionWeightCutoff
                                  ? 0
                                  : static_cast<int16_t>(exp2[gap & 255] >> (kAttentionWeightShift + whole));
        total += slot_weights_[slot];
      }
      // o_c = FloorDiv(2 * sum + total, 2 * total), |sum| <= 256 * 2^14 * 64 = 2^28:
      // shifted by 64 divisors to a non-negative numerator, divided exactly.
      const ExactDivisor divisor(static_cast<uint64_t>(2 * total));
      for (int c = 0; c < dh; ++c) {
        const int32_t sum =
            Dot16(slot_weights_.data(), &cache.values[(head + c) * static_cast<size_t>(window)], window);
        const uint64_t numerator = static_cast<uint64_t>(2 * int64_t{sum} + total + 128 * int64_t{total});
        out[head + c] = static_cast<int8_t>(static_cast<int64_t>(divisor.Divide(numerator)) - 64);
      }
    }
  }
}

Status TransformerSession::Forward(std::span<const TransformerRow> rows,
                                   std::span<uint32_t> distributions) {
  const TransformerShape& s = model_->shape();
  const int m = static_cast<int>(rows.size());
  if (m == 0) return Status::Ok();
  if (distributions.size() != rows.size() * kByteVocabulary) {
    return InvalidArgument("transformer: distribution buffer size mismatch");
  }
  // oneDNN runs on this thread only: lmarc parallelises across chunks, and
  // per-step products are too small to gain from waking other threads.
  omp_set_num_threads(1);
  Reserve(m);
  const size_t d = static_cast<size_t>(s.d_model);
  for (int r = 0; r < m; ++r) {
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
    const int16_t* e = &model_->embed()[static_cast<size_t>(row.token) * d];
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
    Attend(rows, l);
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
