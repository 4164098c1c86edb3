// Golden vectors of the shipped default model, never regenerated: the
// model's distributions on a fixed input, and the nn codec's compressed
// bytes at each level family (tests/data/nn-golden-input.bin). A change here
// means archives written earlier would no longer decode: make a new model or
// codec version instead.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/nn/model_store.h"
#include "model/nn/nn_codec.h"
#include "model/nn/transformer.h"
#include "src/sha256.h"
#include "tests/isa_cap_util.h"

namespace lmarc {
namespace {

std::vector<uint8_t> GoldenInput() {
  std::ifstream file(std::string(LMARC_TEST_DATA_DIR) + "/nn-golden-input.bin", std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(file)), {});
}

std::string Sha256Hex(const std::vector<uint8_t>& bytes) { return DigestToHex(Sha256Of(bytes)); }

// SHA-256 of the default model's distributions (u32 little-endian, 512
// positions x 256) for the first 512 positions of the golden input;
// model/train/int_reference.py gives the same hash.
constexpr char kGoldenDistributions[] =
    "5ca68cd2c3357a67b42e6f056aeaf7f5e67fad35c16bd69d9de659eca99ca6b8";

struct GoldenBody {
  int level;
  size_t size;
  const char* sha256;
};
constexpr GoldenBody kGoldenBodies[] = {
    {1, 8449, "50cb20e715ce9936143ab3913425311d604481885252de08b4a7c108c2321936"},
    {5, 8308, "e34459a4e6db02315ea21f7adc1514b3baf92222bb013e5eb6b0ca25691b48dc"},
    {9, 8313, "76c6dd50d74615966d6bff14fc8cba81df7c0dea84f92b5086b96aeba44ed2b7"},
};

// ctest also runs these under each ONEDNN_MAX_CPU_ISA cap and the forced
// scalar path (nn_golden_isa_*, nn_golden_forced_scalar).
TEST(NnGoldenTest, DefaultModelDistributions) {
  ExpectIsaCapTookEffect();
  auto model = nn::LoadModel(kDefaultNnModelId);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto session = nn::TransformerSession::Create(*model, 1);
  ASSERT_TRUE(session.ok());
  const std::vector<uint8_t> input = GoldenInput();
  std::vector<nn::TransformerRow> rows;
  for (size_t p = 0; p < 512; ++p) rows.push_back({0, p == 0 ? nn::kBosToken : input[p - 1]});
  std::vector<uint32_t> distributions(rows.size() * 256);
  ASSERT_TRUE((*session)->Forward(rows, distributions).ok());
  std::vector<uint8_t> bytes;
  for (uint32_t v : distributions) {
    for (int b = 0; b < 4; ++b) bytes.push_back(static_cast<uint8_t>(v >> (8 * b)));
  }
  EXPECT_EQ(Sha256Hex(bytes), kGoldenDistributions);
}

TEST(NnGoldenTest, CompressedBytesAtEveryLevelFamily) {
  const std::vector<uint8_t> input = GoldenInput();
  ASSERT_EQ(input.size(), 16000u);
  const NnCodec codec;
  for (const GoldenBody& golden : kGoldenBodies) {
    const int level = golden.level;
    std::vector<uint8_t> body;
    ASSERT_TRUE(codec.Encode(input, level, &body).ok());
    EXPECT_EQ(body.size(), golden.size) << "level " << level;
    EXPECT_EQ(Sha256Hex(body), golden.sha256) << "level " << level;
    std::vector<uint8_t> decoded(input.size());
    ASSERT_TRUE(codec.Decode(body, decoded).ok());
    EXPECT_EQ(decoded, input) << "level " << level;
  }
}

}  // namespace
}  // namespace lmarc
