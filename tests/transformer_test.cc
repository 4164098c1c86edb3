// The transformer engine: validation of model files, batching invariance
// (one row per call, whole lanes, mixed blocks: identical distributions),
// distribution invariants, a fixed-workload hash that every ISA cap and the
// forced scalar path must reproduce, and agreement with the Python integer
// reference on the committed vector (tests/data/nn-tiny-vector.txt).
#include "model/nn/transformer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/nn/kernel_selftest.h"
#include "tests/isa_cap_util.h"
#include "src/sha256.h"
#include "tests/nn_test_util.h"

namespace lmarc::nn {
namespace {

std::shared_ptr<const TransformerModel> Model(const std::vector<uint8_t>& bytes) {
  auto file = LoadWeightFile(bytes, "");
  EXPECT_TRUE(file.ok()) << file.status().message();
  auto model = TransformerModel::FromWeightFile(*file);
  EXPECT_TRUE(model.ok()) << model.status().message();
  return *model;
}

std::vector<uint8_t> LaneBytes(int lane, size_t n) {
  std::vector<uint8_t> bytes(n);
  const std::string text = "the quick brown fox jumps over the lazy dog; ";
  for (size_t i = 0; i < n; ++i) {
    bytes[i] = lane == 1 ? static_cast<uint8_t>(i * 37 + 11) : static_cast<uint8_t>(text[(i + 7 * lane) % text.size()]);
  }
  return bytes;
}

// Distributions of every (lane, position), evaluated in blocks of `block`
// positions per lane per call (0: one call with every row of every lane).
std::vector<std::vector<uint32_t>> Evaluate(std::shared_ptr<const TransformerModel> model,
                                            const std::vector<std::vector<uint8_t>>& lanes,
                                            size_t block) {
  auto session = TransformerSession::Create(model, static_cast<int>(lanes.size()));
  EXPECT_TRUE(session.ok());
  std::vector<std::vector<uint32_t>> out(lanes.size());
  size_t longest = 0;
  for (const auto& lane : lanes) longest = std::max(longest, lane.size());
  const size_t step = block == 0 ? longest : block;
  for (size_t start = 0; start < longest; start += step) {
    std::vector<TransformerRow> rows;
    std::vector<std::pair<size_t, size_t>> where;
    for (size_t k = 0; k < lanes.size(); ++k) {
      for (size_t p = start; p < std::min(lanes[k].size(), start + step); ++p) {
        rows.push_back({static_cast<int>(k), p == 0 ? kBosToken : lanes[k][p - 1]});
        where.emplace_back(k, p);
      }
    }
    std::vector<uint32_t> dist(rows.size() * 256);
    EXPECT_TRUE((*session)->Forward(rows, dist).ok());
    for (size_t r = 0; r < rows.size(); ++r) {
      out[where[r].first].insert(out[where[r].first].end(), dist.begin() + r * 256,
                                 dist.begin() + (r + 1) * 256);
    }
  }
  return out;
}

TEST(TransformerTest, BatchingDoesNotChangeAnyDistribution) {
  const auto model = Model(RandomModelFile({}, 1));
  const std::vector<std::vector<uint8_t>> lanes = {LaneBytes(0, 70), LaneBytes(1, 69), LaneBytes(2, 40)};
  const auto whole = Evaluate(model, lanes, 0);
  for (size_t block : {1, 7, 16, 33}) {
    EXPECT_EQ(Evaluate(model, lanes, block), whole) << "block " << block;
  }
  // A lane evaluated alone gives the same as beside other lanes.
  EXPECT_EQ(Evaluate(model, {lanes[1]}, 5)[0], whole[1]);
}

// Lanes advanced by different, irregular run lengths in one session (their
// block caches move at different positions, so lanes fall into different
// attention groups) give the same distributions as each lane alone.
TEST(TransformerTest, IrregularlyInterleavedLanesMatchLanesAlone) {
  const auto model = Model(RandomModelFile({}, 4));
  const std::vector<std::vector<uint8_t>> lanes = {LaneBytes(0, 150), LaneBytes(1, 149),
                                                   LaneBytes(2, 120), LaneBytes(3, 150)};
  auto session = TransformerSession::Create(model, static_cast<int>(lanes.size()));
  ASSERT_TRUE(session.ok());
  std::vector<std::vector<uint32_t>> out(lanes.size());
  std::vector<size_t> next(lanes.size(), 0);
  const size_t runs[] = {1, 33, 5, 32, 2, 64, 3, 31};
  for (size_t call = 0; std::any_of(next.begin(), next.end(), [&](size_t p) { return p < 150; });
       ++call) {
    std::vector<TransformerRow> rows;
    std::vector<size_t> lane_of_row;
    for (size_t k = 0; k < lanes.size(); ++k) {
      const size_t run = runs[(call + 3 * k) % std::size(runs)];
      for (size_t n = 0; n < run && next[k] < lanes[k].size(); ++n, ++next[k]) {
        rows.push_back({static_cast<int>(k), next[k] == 0 ? kBosToken : lanes[k][next[k] - 1]});
        lane_of_row.push_back(k);
      }
    }
    std::vector<uint32_t> dist(rows.size() * 256);
    ASSERT_TRUE((*session)->Forward(rows, dist).ok());
    for (size_t r = 0; r < rows.size(); ++r) {
      out[lane_of_row[r]].insert(out[lane_of_row[r]].end(), dist.begin() + r * 256,
                                 dist.begin() + (r + 1) * 256);
    }
    if (call > 1000) break;
  }
  for (size_t k = 0; k < lanes.size(); ++k) {
    EXPECT_EQ(out[k], Evaluate(model, {lanes[k]}, 0)[0]) << "lane " << k;
  }
}

TEST(TransformerTest, DistributionsSumTo65536WithEveryEntryPositive) {
  const auto model = Model(RandomModelFile({.d_model = 48, .n_layers = 1, .n_heads = 3,
                                            .context = 8, .ffn_dim = 16}, 2));
  for (const auto& lane : Evaluate(model, {LaneBytes(0, 30)}, 4)) {
    for (size_t p = 0; p < lane.size() / 256; ++p) {
      uint64_t sum = 0;
      for (int i = 0; i < 256; ++i) {
        ASSERT_GE(lane[p * 256 + i], 1u);
        sum += lane[p * 256 + i];
      }
      EXPECT_EQ(sum, 65536u);
    }
  }
}

std::string HashOf(const std::vector<std::vector<uint32_t>>& lanes) {
  std::vector<uint8_t> bytes;
  for (const auto& lane : lanes) {
    for (uint32_t v : lane) {
      for (int b = 0; b < 4; ++b) bytes.push_back(static_cast<uint8_t>(v >> (8 * b)));
    }
  }
  return DigestToHex(Sha256Of(bytes));
}

// Run by ctest as is, under ONEDNN_MAX_CPU_ISA=SSE41/AVX2/AVX512_CORE (the
// cap is asserted) and with LMARC_NN_SCALAR=1: all must give this hash.
TEST(TransformerTest, FixedWorkloadHashIsTheSameOnEveryPath) {
  ExpectIsaCapTookEffect();
  const bool scalar = std::getenv("LMARC_NN_SCALAR") != nullptr;
  EXPECT_EQ(ActiveMatmulPath(), scalar ? MatmulPath::kScalar : MatmulPath::kOnednn);
  const auto model = Model(RandomModelFile({.d_model = 64, .n_layers = 2, .n_heads = 4,
                                            .context = 24, .ffn_dim = 128}, 3));
  const auto lanes = Evaluate(model, {LaneBytes(0, 100), LaneBytes(1, 90)}, 30);
  EXPECT_EQ(HashOf(lanes), "4a57f363f1bdf8cff59086309d4c51334971e1c84f91a8dbe6de8996934cd9e4");
}

TEST(TransformerTest, RejectsModelsThatBreakTheSpecification) {
  const auto bytes = RandomModelFile({}, 4);
  auto file = LoadWeightFile(bytes, "");
  ASSERT_TRUE(file.ok());
  const auto message = [](const WeightFile& f) {
    const auto model = TransformerModel::FromWeightFile(f);
    return model.ok() ? std::string("ok") : model.status().message();
  };
  EXPECT_EQ(message(*file), "ok");
  WeightFile wrong_vocab = *file;
  wrong_vocab.header.vocab_size = 257;
  EXPECT_EQ(message(wrong_vocab), "model: vocab_size must be 256");
  WeightFile uneven_heads = *file;
  uneven_heads.header.n_heads = 3;
  EXPECT_NE(message(uneven_heads).find("n_heads"), std::string::npos);
  WeightFile renamed = *file;
  renamed.tensors[1].name = "layers.0.wx";
  EXPECT_EQ(message(renamed), "model: tensor 1 must be 'layers.0.wq'");
  WeightFile reshaped = *file;
  reshaped.tensors[0].dims = {256, 32};
  EXPECT_EQ(message(reshaped), "model: tensor 'embed' is s16[256, 32], expected s16[257, 32]");
  WeightFile missing = *file;
  missing.tensors.pop_back();
  EXPECT_EQ(message(missing), "model: 15 tensors, expected 16");
  WeightFile big_bias = *file;
  big_bias.tensors[4].data[3] = 0x7F;  // an s32 entry far above 2^24
  EXPECT_NE(message(big_bias).find("outside [-2^24, 2^24]"), std::string::npos);
}

TEST(TransformerTest, RejectsBadRows) {
  auto session = TransformerSession::Create(Model(RandomModelFile({}, 5)), 2);
  ASSERT_TRUE(session.ok());
  std::vector<uint32_t> dist(256);
  const TransformerRow bad_lane{2, kBosToken}, not_bos{0, 65}, bad_token{0, 300};
  for (const TransformerRow& row : {bad_lane, not_bos, bad_token}) {
    EXPECT_EQ((*session)->Forward(std::span(&row, 1), dist).code(), StatusCode::kInvalidArgument);
  }
}

// The Python integer reference (model/train/int_reference.py) computed this
// vector; the C++ engine must agree bit for bit.
TEST(TransformerTest, MatchesThePythonReferenceVector) {
  std::ifstream vector_file(std::string(LMARC_TEST_DATA_DIR) + "/nn-tiny-vector.txt");
  ASSERT_TRUE(vector_file) << "missing tests/data/nn-tiny-vector.txt";
  std::string line, model_id, input_hex, expected_hash;
  while (std::getline(vector_file, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "model") fields >> model_id;
    if (key == "input") fields >> input_hex;
    if (key == "distributions_sha256") fields >> expected_hash;
  }
  std::ifstream model_file(std::string(LMARC_TEST_DATA_DIR) + "/nn-tiny.lmnn", std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(model_file)), {});
  auto file = LoadWeightFile(bytes, model_id);
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto model = TransformerModel::FromWeightFile(*file);
  ASSERT_TRUE(model.ok()) << model.status().message();
  std::vector<uint8_t> input;
  for (size_t i = 0; i + 1 < input_hex.size(); i += 2) {
    input.push_back(static_cast<uint8_t>(std::stoi(input_hex.substr(i, 2), nullptr, 16)));
  }
  for (size_t block : {0, 1, 13}) {
    EXPECT_EQ(HashOf(Evaluate(*model, {input}, block)), expected_hash) << "block " << block;
  }
}

}  // namespace
}  // namespace lmarc::nn
