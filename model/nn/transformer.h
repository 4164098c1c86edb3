// The transformer predictor's integer inference (docs/model.md, "The
// transformer"): a validated model (TransformerModel, immutable, shared by
// threads) and a batched, lane-parallel evaluator with KV caches
// (TransformerSession, one per thread).
//
// Every value is an integer computed exactly as docs/model.md specifies; the
// result of a row depends only on its lane's earlier bytes, never on how rows
// are batched, on the matmul path (oneDNN or scalar), on the ISA or on the
// thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/nn/batched_int8_matmul.h"
#include "model/nn/fixed_point.h"
#include "model/nn/int8_matmul.h"
#include "model/nn/weight_file.h"
#include "src/status.h"

namespace lmarc::nn {

inline constexpr int kByteVocabulary = 256;  // output symbols
inline constexpr int kBosToken = 256;        // input token before a lane's first byte
inline constexpr int kInputTokens = 257;

// Validated hyper-parameters (ranges in docs/model.md).
struct TransformerShape {
  int d_model = 0;
  int n_layers = 0;
  int n_heads = 0;
  int context = 0;  // attention window W, positions
  int ffn_dim = 0;

  int head_dim() const { return d_model / n_heads; }
};

// Weights and requantisers of one block, as loaded (matrices K×N row-major).
struct TransformerLayer {
  std::vector<int8_t> wqkv;  // [D, 3D]: wq | wk | wv column blocks
  Requantizer rq, rk, rv;
  std::vector<int32_t> attn_bias;  // [H, W], logit units
  Requantizer r_score;             // score -> logit units
  std::vector<int8_t> wo;          // [D, D]
  Requantizer r_wo;
  std::vector<int8_t> w1;  // [D, F]
  Requantizer r_w1;
  std::vector<int8_t> w2;  // [F, D]
  Requantizer r_w2;
};

class TransformerModel {
 public:
  // Validates the hyper-parameters and that the file holds exactly the
  // tensors docs/model.md lists (names, order, dtypes, shapes, value ranges).
  // Corrupt with a one-line cause otherwise.
  static StatusOr<std::shared_ptr<const TransformerModel>> FromWeightFile(const WeightFile& file);

  const TransformerShape& shape() const { return shape_; }
  const std::string& model_id() const { return model_id_; }
  const std::vector<int16_t>& embed() const { return embed_; }  // [257, D]
  const std::vector<TransformerLayer>& layers() const { return layers_; }
  const std::vector<int8_t>& head() const { return head_; }  // [D, 256]
  Requantizer r_head() const { return r_head_; }

 private:
  TransformerModel() = default;

  TransformerShape shape_;
  std::string model_id_;
  std::vector<int16_t> embed_;
  std::vector<TransformerLayer> layers_;
  std::vector<int8_t> head_;
  Requantizer r_head_;
};

// One (lane, input token) pair: advances that lane by one position.
struct TransformerRow {
  int lane = 0;
  int token = 0;  // 0..255, or kBosToken (only at a lane's first position)
};

// Evaluates rows of up to `lanes` independent byte sequences. Not
// thread-safe (owns its matmul objects and caches).
class TransformerSession {
 public:
  // Rows of one lane evaluated together at most (a longer run of a lane's
  // rows is split): the key/value block cache holds W - 1 earlier positions
  // plus this many new ones, so every row of a batch writes its k and v
  // before the batch attends. Callers batching a whole chunk (the encoder)
  // use blocks of this many positions per lane.
  static constexpr int kRowsPerLaneBatch = 32;

  static StatusOr<std::unique_ptr<TransformerSession>> Create(
      std::shared_ptr<const TransformerModel> model, int lanes);

  const TransformerModel& model() const { return *model_; }

  // Runs `rows` in order (rows of one lane must be consecutive positions of
  // it) and writes each row's byte distribution (256 entries in 2^-16, each
  // >= 1, sum 65536) to distributions[row * 256 ...]. InvalidArgument for a
  // bad lane or token or a size mismatch.
  [[nodiscard]] Status Forward(std::span<const TransformerRow> rows,
                               std::span<uint32_t> distributions);

 private:
  struct LayerKernels {
    Int8Matmul qkv, wo, w1, w2;
  };
  // Lanes whose rows attend through the same batched products: consecutive
  // lane ids, each with `rows_per_lane` rows whose first position sits at
  // the same cache index. Offsets are into the attention scratch buffers.
  struct AttentionGroup {
    int first_lane = 0;
    int lanes = 0;
    int rows_per_lane = 0;
    size_t query_offset = 0;   // queries_ / outputs_ (x head_dim)
    size_t score_offset = 0;   // scores_ / mix_weights_ (x cache positions)
  };

  TransformerSession(std::shared_ptr<const TransformerModel> model, int lanes,
                     std::vector<LayerKernels> kernels, Int8Matmul head,
                     BatchedInt8Matmul scores, BatchedInt8Matmul mix);

  // One batch with at most kRowsPerLaneBatch rows per lane; row_positions_
  // already holds each row's position.
  [[nodiscard]] Status ForwardBatch(std::span<const TransformerRow> rows,
                                    std::span<const int64_t> positions,
                                    std::span<uint32_t> distributions);
  // Moves each lane's block cache so that its rows fit, groups the lanes
  // for batched attention and sizes the scratch buffers.
  void PlanAttention(std::span<const TransformerRow> rows, std::span<const int64_t> positions);
  // a = Norm(x) for `rows` rows of D.
  void Normalize(int rows);
  // Writes k, v of every row into its lane's cache, then attends through the
  // batched products; the result goes to attended_.
  [[nodiscard]] Status Attend(std::span<const TransformerRow> rows,
                              std::span<const int64_t> positions, int layer);
  // x += Rq(accumulator_ rows of D, requantizer), clamped to the residual range.
  void AddToResidual(int rows, Requantizer requantizer);
  void Reserve(int rows);
  // Index of `position` in `lane`'s block cache.
  int CacheIndex(int lane, int64_t position) const;

  std::shared_ptr<const TransformerModel> model_;
  int lanes_;
  int cache_positions_;  // P = W - 1 + kRowsPerLaneBatch
  std::vector<LayerKernels> kernels_;
  Int8Matmul head_;
  BatchedInt8Matmul score_product_;  // [2 rows: q+, q-] × keys^T per (lane, head)
  BatchedInt8Matmul mix_product_;    // [2 rows: w low, w high] × values per (lane, head)
  // Block caches per layer, [lane][head][P][head_dim] int8: keys in
  // [-127, 127], values in [-64, 63]; index W - 1 + (p - window start) holds
  // position p; indices of positions before 0 hold 0 (and are masked).
  std::vector<std::vector<int8_t>> keys_, values_;
  std::vector<int64_t> window_start_;    // per lane: the position at index W - 1
  std::vector<int64_t> lane_positions_;  // positions evaluated per lane
  std::vector<int64_t> row_positions_;   // position of each row of the call

  // Per batch: attention groups, each lane's group and each row's index
  // among its lane's rows.
  std::vector<AttentionGroup> groups_;
  std::vector<int> lane_group_;   // per lane
  std::vector<int> row_in_lane_;  // per row
  std::vector<int> lane_rows_;             // per lane: rows in this batch
  std::vector<int64_t> lane_first_position_;  // per lane: first position in this batch
  std::vector<int> batch_lanes_;           // lanes with rows in this batch, ascending
  // Forward's split of a call into batches: rows per lane so far (zero
  // between calls) and the lanes counted.
  std::vector<int> split_rows_;
  std::vector<int> split_lanes_;

  // Scratch, sized for the largest batch seen.
  std::vector<int32_t> residual_;    // [rows, D]
  std::vector<int8_t> normalized_;   // [rows, D]
  std::vector<int32_t> accumulator_; // [rows, max(3D, F, 256)]
  std::vector<int32_t> requantized_; // [rows, max(3D, F, 256)] RequantizeRow output
  std::vector<int8_t> attended_;     // [rows, D]
  std::vector<uint8_t> hidden_;      // [rows, F]
  std::vector<uint8_t> queries_;     // [rows, H, 2, head_dim] q+ and q- per group layout
  std::vector<int32_t> scores_;      // [rows, H, 2, P]
  std::vector<uint8_t> mix_weights_; // [rows, H, 2, P] attention weight low 7 bits, high bits
  std::vector<int32_t> mixed_;       // [rows, H, 2, head_dim]
  std::vector<int32_t> head_totals_; // [rows, H] sum of the attention weights
  std::vector<int32_t> window_scores_;  // [W] q.k in window order (oldest first)
  std::vector<int32_t> logits_;         // [W] attention logits, then [256]
};

}  // namespace lmarc::nn
