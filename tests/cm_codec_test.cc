// Round-trip, determinism, thread-safety and hostile-input tests of `cm`.
#include "model/cm/cm_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "model/cm/cm_params.h"
#include "model/codecs.h"
#include "tests/test_rng.h"

namespace lmarc {
namespace {

// English-like text: words from a small vocabulary, punctuation, newlines.
std::vector<uint8_t> TextLike(size_t n, uint64_t seed) {
  static const char* const kWords[] = {"the", "model", "predicts", "each", "bit", "of",
                                       "a", "byte", "from", "context", "and", "mixes",
                                       "Compression", "ratio", "improves", "with", "order"};
  TestRng rng(seed);
  std::string text;
  while (text.size() < n) {
    text += kWords[rng.Next() % (sizeof(kWords) / sizeof(kWords[0]))];
    const uint64_t r = rng.Next() % 16;
    text += r == 0 ? ".\n" : (r == 1 ? ", " : " ");
  }
  text.resize(n);
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::vector<uint8_t> EncodeOrDie(const CmCodec& codec, const std::vector<uint8_t>& raw, int level) {
  std::vector<uint8_t> body;
  const Status status = codec.Encode(raw, level, &body);
  EXPECT_TRUE(status.ok()) << status.message();
  return body;
}

void ExpectRoundTrip(const std::vector<uint8_t>& raw, int level, size_t max_body = SIZE_MAX) {
  const CmCodec codec;
  const std::vector<uint8_t> body = EncodeOrDie(codec, raw, level);
  EXPECT_LE(body.size(), max_body);
  std::vector<uint8_t> decoded(raw.size(), 0xAA);
  const Status status = codec.Decode(body, decoded);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(decoded == raw) << "round trip mismatch at level " << level;
}

TEST(CmCodecTest, Identity) {
  const CmCodec codec;
  EXPECT_EQ(codec.id(), CodecId::kCm);
  EXPECT_EQ(codec.name(), "cm");
  CodecRegistry registry;
  RegisterModelCodecs(&registry);
  EXPECT_NE(registry.Find(CodecId::kCm), nullptr);
  EXPECT_NE(registry.FindByName("cm"), nullptr);
}

TEST(CmCodecTest, EmptyInput) { ExpectRoundTrip({}, kDefaultLevel, CmCodec::kHeaderBytes); }

TEST(CmCodecTest, OneByte) {
  ExpectRoundTrip({0x00}, kDefaultLevel);
  ExpectRoundTrip({0xFF}, kDefaultLevel);
  ExpectRoundTrip({'x'}, 1);
}

TEST(CmCodecTest, AllZerosCompressTightly) {
  ExpectRoundTrip(std::vector<uint8_t>(1 << 20, 0), kDefaultLevel, 2000);
}

TEST(CmCodecTest, RandomBytesBarelyExpand) {
  const std::vector<uint8_t> raw = TestRng(7).Bytes(1 << 20);
  ExpectRoundTrip(raw, kDefaultLevel, raw.size() + raw.size() / 100);
}

TEST(CmCodecTest, TextLikeCompressesWell) {
  const std::vector<uint8_t> raw = TextLike(200000, 3);
  ExpectRoundTrip(raw, kDefaultLevel, raw.size() / 4);
}

TEST(CmCodecTest, LongRepeatUsesMatchModel) {
  // 64 KiB of random bytes repeated four times: the repeats must cost little.
  std::vector<uint8_t> block = TestRng(11).Bytes(1 << 16);
  std::vector<uint8_t> raw;
  for (int i = 0; i < 4; ++i) raw.insert(raw.end(), block.begin(), block.end());
  ExpectRoundTrip(raw, kDefaultLevel, block.size() + block.size() / 8);
}

TEST(CmCodecTest, EveryLevelRoundTrips) {
  std::vector<uint8_t> raw = TextLike(30000, 5);
  const std::vector<uint8_t> noise = TestRng(5).Bytes(5000);
  raw.insert(raw.end(), noise.begin(), noise.end());
  for (int level = kMinLevel; level <= kMaxLevel; ++level) ExpectRoundTrip(raw, level);
}

TEST(CmCodecTest, RejectsBadLevelOnEncode) {
  const CmCodec codec;
  std::vector<uint8_t> body;
  EXPECT_FALSE(codec.Encode(std::vector<uint8_t>{1, 2, 3}, 0, &body).ok());
  EXPECT_FALSE(codec.Encode(std::vector<uint8_t>{1, 2, 3}, 10, &body).ok());
}

TEST(CmCodecTest, AppendsToExistingBody) {
  const CmCodec codec;
  const std::vector<uint8_t> raw = TextLike(1000, 9);
  std::vector<uint8_t> body = {0xDE, 0xAD};
  ASSERT_TRUE(codec.Encode(raw, kDefaultLevel, &body).ok());
  EXPECT_EQ(body[0], 0xDE);
  EXPECT_EQ(body[1], 0xAD);
  std::vector<uint8_t> decoded(raw.size());
  ASSERT_TRUE(codec.Decode(std::span(body).subspan(2), decoded).ok());
  EXPECT_EQ(decoded, raw);
}

TEST(CmCodecTest, Deterministic) {
  const CmCodec codec;
  const std::vector<uint8_t> raw = TextLike(100000, 13);
  EXPECT_EQ(EncodeOrDie(codec, raw, kDefaultLevel), EncodeOrDie(codec, raw, kDefaultLevel));
  EXPECT_EQ(EncodeOrDie(codec, raw, 9), EncodeOrDie(codec, raw, 9));
}

TEST(CmCodecTest, ConcurrentEncodesAgree) {
  const CmCodec codec;
  const std::vector<uint8_t> raw = TextLike(150000, 17);
  const std::vector<uint8_t> expected = EncodeOrDie(codec, raw, kDefaultLevel);
  std::vector<uint8_t> bodies[2];
  Status statuses[2];
  std::thread threads[2];
  for (int t = 0; t < 2; ++t) {
    threads[t] = std::thread([&, t] { statuses[t] = codec.Encode(raw, kDefaultLevel, &bodies[t]); });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 2; ++t) {
    ASSERT_TRUE(statuses[t].ok());
    EXPECT_EQ(bodies[t], expected);
  }
}

TEST(CmCodecTest, HeaderValidation) {
  const CmCodec codec;
  const std::vector<uint8_t> raw = TextLike(5000, 19);
  const std::vector<uint8_t> body = EncodeOrDie(codec, raw, kDefaultLevel);
  std::vector<uint8_t> out(raw.size());

  EXPECT_EQ(codec.Decode(std::span(body).first(3), out).code(), StatusCode::kCorrupt);

  std::vector<uint8_t> bad = body;
  bad[0] = 2;
  EXPECT_EQ(codec.Decode(bad, out).code(), StatusCode::kUnsupported);
  bad = body;
  bad[1] = 0;
  EXPECT_EQ(codec.Decode(bad, out).code(), StatusCode::kCorrupt);
  bad = body;
  bad[2] = 30;  // would be a 16 GiB table
  EXPECT_EQ(codec.Decode(bad, out).code(), StatusCode::kCorrupt);
  bad = body;
  bad[3] = 0;
  EXPECT_EQ(codec.Decode(bad, out).code(), StatusCode::kCorrupt);

  // A body that claims a different raw size than it was made for.
  std::vector<uint8_t> larger(raw.size() * 1000);
  EXPECT_EQ(codec.Decode(body, larger).code(), StatusCode::kCorrupt);
}

TEST(CmCodecTest, TruncatedBodiesFailOrMismatchWithoutCrashing) {
  const CmCodec codec;
  const std::vector<uint8_t> raw = TextLike(20000, 23);
  const std::vector<uint8_t> body = EncodeOrDie(codec, raw, kDefaultLevel);
  std::vector<uint8_t> out(raw.size());
  for (size_t keep : {size_t{4}, size_t{5}, size_t{10}, body.size() / 2, body.size() - 1}) {
    const Status status = codec.Decode(std::span(body).first(keep), out);
    EXPECT_TRUE(!status.ok() || out != raw) << "kept " << keep;
  }
}

TEST(CmCodecTest, RandomBodiesNeverCrash) {
  const CmCodec codec;
  TestRng rng(29);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<uint8_t> body = rng.Bytes(1 + rng.Next() % 3000);
    std::vector<uint8_t> out(rng.Next() % 20000);
    if (trial % 2 == 0 && body.size() >= CmCodec::kHeaderBytes) {
      // A valid header followed by garbage exercises the model itself.
      const int level = 1 + trial % 9;
      const cm::CmParams params = cm::ChooseCmParams(level, out.size());
      body[0] = CmCodec::kFormatVersion;
      body[1] = static_cast<uint8_t>(level);
      body[2] = static_cast<uint8_t>(params.table_bits);
      body[3] = static_cast<uint8_t>(params.match_bits);
    }
    (void)codec.Decode(body, out);  // any status; it must simply return
  }
}

TEST(CmCodecTest, CorruptedPayloadNeverCrashes) {
  const CmCodec codec;
  const std::vector<uint8_t> raw = TextLike(20000, 31);
  const std::vector<uint8_t> body = EncodeOrDie(codec, raw, kDefaultLevel);
  TestRng rng(37);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<uint8_t> bad = body;
    // Flip within the first half: the last few flushed bytes may not matter.
    const size_t at = CmCodec::kHeaderBytes + rng.Next() % (bad.size() / 2);
    bad[at] ^= static_cast<uint8_t>(1 + rng.Next() % 255);
    std::vector<uint8_t> out(raw.size());
    const Status status = codec.Decode(bad, out);
    EXPECT_TRUE(!status.ok() || out != raw);
  }
}

}  // namespace
}  // namespace lmarc
