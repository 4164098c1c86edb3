// The nn codec: round trips at every level family, with and without a
// transformer, across lane counts; the body records the model; a missing
// model is named; hostile bodies fail cleanly.
#include "model/nn/nn_codec.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "src/sha256.h"
#include "tests/nn_test_util.h"

namespace lmarc {
namespace {

// Writes a random model into a temporary directory on LMARC_MODEL_PATH.
class NnCodecTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("lmarc-nn-codec-test-" + std::to_string(::getpid())));
    std::filesystem::create_directories(*dir_);
    const std::vector<uint8_t> bytes = nn::RandomModelFile({}, 7);
    model_id_ = new std::string(DigestToHex(Sha256Of(bytes)));
    std::ofstream(*dir_ / (*model_id_ + ".lmnn"), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    ::setenv("LMARC_MODEL_PATH", dir_->c_str(), 1);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete model_id_;
  }

  static std::filesystem::path* dir_;
  static std::string* model_id_;
};
std::filesystem::path* NnCodecTest::dir_ = nullptr;
std::string* NnCodecTest::model_id_ = nullptr;

std::vector<uint8_t> Sample(size_t n) {
  const std::string text = "In the beginning the Universe was created. This has made a lot of "
                           "people very angry and been widely regarded as a bad move.\n";
  std::vector<uint8_t> bytes(n);
  uint32_t noise = 1;
  for (size_t i = 0; i < n; ++i) {
    noise = noise * 1664525u + 1013904223u;
    bytes[i] = (i / 500) % 3 == 2 ? static_cast<uint8_t>(noise >> 24) : static_cast<uint8_t>(text[i % text.size()]);
  }
  return bytes;
}

std::vector<uint8_t> EncodeOrDie(const NnCodec& codec, const std::vector<uint8_t>& raw, int level) {
  std::vector<uint8_t> body;
  const Status status = codec.Encode(raw, level, &body);
  EXPECT_TRUE(status.ok()) << status.message();
  return body;
}

TEST_F(NnCodecTest, RoundTripsAtEveryLevelFamilyWithAndWithoutTheTransformer) {
  for (const std::string& model : {*model_id_, std::string("none")}) {
    const NnCodec codec(model);
    for (int level : {1, 5, 9}) {
      // 50002 bytes: 3 uneven lanes at level 1, one lane at levels 5 and 9.
      for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{100}, size_t{50002}}) {
        const std::vector<uint8_t> raw = Sample(n);
        const std::vector<uint8_t> body = EncodeOrDie(codec, raw, level);
        EXPECT_EQ(body[4], NnLanes(level, n));
        std::vector<uint8_t> decoded(n);
        const Status status = codec.Decode(body, decoded);
        ASSERT_TRUE(status.ok()) << status.message() << " model " << model << " level " << level
                                 << " n " << n;
        ASSERT_EQ(decoded, raw) << "model " << model << " level " << level << " n " << n;
        EXPECT_EQ(EncodeOrDie(codec, raw, level), body) << "not deterministic";
      }
    }
  }
  EXPECT_EQ(NnLanes(1, 50002), 3);  // the multi-lane path is covered
  EXPECT_EQ(NnLanes(5, 50002), 1);
  EXPECT_EQ(NnLanes(5, size_t{64} << 20), NnCodec::kMaxLanes);
}

TEST_F(NnCodecTest, BodyNamesTheModelAndTheAblationDiffers) {
  const std::vector<uint8_t> raw = Sample(5000);
  const std::vector<uint8_t> with = EncodeOrDie(NnCodec(*model_id_), raw, 5);
  const std::vector<uint8_t> without = EncodeOrDie(NnCodec("none"), raw, 5);
  std::string recorded;
  for (size_t i = 6; i < 38; ++i) {
    static const char* kHex = "0123456789abcdef";
    recorded += kHex[with[i] >> 4];
    recorded += kHex[with[i] & 15];
  }
  EXPECT_EQ(recorded, *model_id_);
  EXPECT_EQ(with[5], 1);
  EXPECT_EQ(without[5], 0);
  EXPECT_NE(with, without);
}

TEST_F(NnCodecTest, MissingModelIsNamedOnEncodeAndDecode) {
  const std::string absent(64, 'a');
  std::vector<uint8_t> body;
  const Status encode = NnCodec(absent).Encode(Sample(10), 5, &body);
  EXPECT_EQ(encode.code(), StatusCode::kNotFound);
  EXPECT_NE(encode.message().find("model " + absent + " not found"), std::string::npos);

  std::vector<uint8_t> valid = EncodeOrDie(NnCodec(*model_id_), Sample(10), 5);
  std::fill(valid.begin() + 6, valid.begin() + 38, 0xAA);
  std::vector<uint8_t> out(10);
  const Status decode = NnCodec().Decode(valid, out);
  EXPECT_EQ(decode.code(), StatusCode::kNotFound);
  EXPECT_NE(decode.message().find(absent), std::string::npos);
}

TEST_F(NnCodecTest, HostileBodiesFailCleanly) {
  const std::vector<uint8_t> raw = Sample(3000);
  const std::vector<uint8_t> body = EncodeOrDie(NnCodec(*model_id_), raw, 5);
  std::vector<uint8_t> out(raw.size());
  const NnCodec codec;
  for (size_t n = 0; n < NnCodec::kHeaderBytes; ++n) {
    EXPECT_FALSE(codec.Decode(std::span(body).first(n), out).ok()) << n;
  }
  // Every header field: a changed value is rejected (or, for the body
  // stream, at worst decodes to different bytes, which the chunk checksum
  // rejects); nothing crashes.
  for (size_t i = 0; i < NnCodec::kHeaderBytes; ++i) {
    std::vector<uint8_t> bad = body;
    bad[i] ^= 0x41;
    EXPECT_FALSE(codec.Decode(bad, out).ok()) << "header byte " << i;
  }
  uint32_t rng = 3;
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<uint8_t> bad = body;
    rng = rng * 1103515245u + 12345u;
    bad[NnCodec::kHeaderBytes + rng % (bad.size() - NnCodec::kHeaderBytes)] ^= 1 + (rng >> 24) % 255;
    (void)codec.Decode(bad, out);
  }
  const Status truncated = codec.Decode(std::span(body).first(body.size() / 2), out);
  EXPECT_EQ(truncated.code(), StatusCode::kCorrupt);
}

// Several chunks decoded together (one transformer call per step for all
// their lanes) give what each gives alone, whatever their levels, sizes and
// models; a corrupt chunk is named by its index.
TEST_F(NnCodecTest, BatchDecodeEqualsChunkByChunk) {
  struct Chunk { int level; size_t size; std::string model; };
  const std::vector<Chunk> chunks = {{5, 3000, *model_id_}, {1, 20000, *model_id_}, {9, 0, *model_id_},
                                     {5, 700, "none"},      {9, 5000, *model_id_}, {1, 1, *model_id_}};
  std::vector<std::vector<uint8_t>> raws, bodies;
  for (size_t c = 0; c < chunks.size(); ++c) {
    std::vector<uint8_t> raw = Sample(chunks[c].size + 13 * c);
    raw.resize(chunks[c].size);
    bodies.push_back(EncodeOrDie(NnCodec(chunks[c].model), raw, chunks[c].level));
    raws.push_back(std::move(raw));
  }
  std::vector<std::vector<uint8_t>> decoded(chunks.size());
  std::vector<std::span<const uint8_t>> body_spans;
  std::vector<std::span<uint8_t>> raw_spans;
  for (size_t c = 0; c < chunks.size(); ++c) {
    decoded[c].resize(raws[c].size());
    body_spans.push_back(bodies[c]);
    raw_spans.push_back(decoded[c]);
  }
  size_t failed = 99;
  const NnCodec codec;
  const Status status = codec.DecodeBatch(body_spans, raw_spans, &failed);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(decoded, raws);

  std::vector<uint8_t> corrupt = bodies[4];
  corrupt.resize(corrupt.size() / 3);
  body_spans[4] = corrupt;
  EXPECT_EQ(codec.DecodeBatch(body_spans, raw_spans, &failed).code(), StatusCode::kCorrupt);
  EXPECT_EQ(failed, 4u);
}

}  // namespace
}  // namespace lmarc
