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
// thread-safe (owns its Int8Matmul objects and caches).
class TransformerSession {
 public:
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
  // Per lane and layer: the last W positions' k [W, D] and v transposed
  // [D, W] (int16, for 16-bit products), slot = position mod W; slots never
  // written hold 0.
  struct LaneCache {
    std::vector<int16_t> keys;
    std::vector<int16_t> values;
  };

  TransformerSession(std::shared_ptr<const TransformerModel> model, int lanes,
                     std::vector<LayerKernels> kernels, Int8Matmul head);

  // a = Norm(x) for `rows` rows of D.
  void Normalize(int rows);
  // Writes k, v of every row into its lane's cache and attends, row by row,
  // from the q|k|v accumulators; the result goes to attended_.
  void Attend(std::span<const TransformerRow> rows, int layer);
  // x += Rq(accumulator_ rows of D, requantizer), clamped to the residual range.
  void AddToResidual(int rows, Requantizer requantizer);
  void Reserve(int rows);

  std::shared_ptr<const TransformerModel> model_;
  int lanes_;
  std::vector<LayerKernels> kernels_;
  Int8Matmul head_;
  std::vector<LaneCache> caches_;        // [lane * n_layers + layer]
  std::vector<int64_t> lane_positions_;  // positions evaluated per lane
  std::vector<int64_t> row_positions_;   // position of each row of the batch

  // Scratch, sized for the largest batch seen.
  std::vector<int32_t> residual_;    // [rows, D]
  std::vector<int8_t> normalized_;   // [rows, D]
  std::vector<int32_t> accumulator_; // [rows, max(3D, F, 256)]
  std::vector<int32_t> requantized_; // [rows, max(3D, F, 256)] RequantizeRow output
  std::vector<int8_t> attended_;     // [rows, D]
  std::vector<uint8_t> hidden_;      // [rows, F]
  std::vector<int16_t> query_;       // [D]
  std::vector<int32_t> scores_;        // [W] q.k by slot
  std::vector<int32_t> logits_;        // [W] attention logits by slot, then [256]
  std::vector<int> slot_distance_;     // [W] distance of each slot from this position
  std::vector<int16_t> slot_weights_;  // [W] attention weights by slot (0: not visible)
};

}  // namespace lmarc::nn
