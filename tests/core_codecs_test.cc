// The core codecs (stored, zstd), the registry, and chunk records: round
// trips, the no-expansion rule, and hostile bodies.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "io/chunk_record.h"
#include "model/codecs.h"
#include "src/checksum.h"

namespace lmarc {
namespace {

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(n);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

std::vector<uint8_t> TextBytes(size_t n) {
  const std::string line = "step 100 temp 1.4432 pe -6.7712 ke 2.1648 press 5.0917\n";
  std::vector<uint8_t> bytes;
  while (bytes.size() < n) bytes.insert(bytes.end(), line.begin(), line.end());
  bytes.resize(n);
  return bytes;
}

const Codec& CodecNamed(const char* name) {
  const Codec* codec = BuiltinCodecs().FindByName(name);
  EXPECT_NE(codec, nullptr) << name;
  return *codec;
}

TEST(CodecRegistry, FindsEveryBuiltinCodecByIdAndName) {
  for (const char* name : {"stored", "zstd", "cm"}) {
    const Codec& codec = CodecNamed(name);
    EXPECT_EQ(BuiltinCodecs().Find(codec.id()), &codec);
  }
  EXPECT_EQ(BuiltinCodecs().FindByName("lzma"), nullptr);
  EXPECT_EQ(BuiltinCodecs().Find(static_cast<CodecId>(999)), nullptr);
}

TEST(CoreCodecs, RoundTripEdgeInputs) {
  const std::vector<std::vector<uint8_t>> inputs = {
      {}, {0x42}, std::vector<uint8_t>(100000, 0), RandomBytes(100000, 1), TextBytes(100000)};
  for (const char* name : {"stored", "zstd"}) {
    const Codec& codec = CodecNamed(name);
    for (const auto& raw : inputs) {
      for (int level : {kMinLevel, kDefaultLevel, kMaxLevel}) {
        std::vector<uint8_t> body;
        ASSERT_TRUE(codec.Encode(raw, level, &body).ok());
        std::vector<uint8_t> decoded(raw.size());
        ASSERT_TRUE(codec.Decode(body, decoded).ok()) << name << " size " << raw.size();
        EXPECT_EQ(decoded, raw) << name;
      }
    }
  }
}

TEST(CoreCodecs, HostileBodiesFailCleanly) {
  const Codec& zstd = CodecNamed("zstd");
  const std::vector<uint8_t> raw = TextBytes(50000);
  std::vector<uint8_t> body;
  ASSERT_TRUE(zstd.Encode(raw, 5, &body).ok());
  std::vector<uint8_t> out(raw.size());
  // Truncated frame, garbage, and a frame claiming another size.
  EXPECT_FALSE(zstd.Decode(std::span(body).first(body.size() / 2), out).ok());
  EXPECT_FALSE(zstd.Decode(RandomBytes(1000, 2), out).ok());
  std::vector<uint8_t> wrong_size(raw.size() + 1);
  EXPECT_FALSE(zstd.Decode(body, wrong_size).ok());
  EXPECT_FALSE(CodecNamed("stored").Decode(body, out).ok());
}

TEST(ChunkRecord, KeepsStoredWhenTheCodecWouldExpand) {
  const std::vector<uint8_t> raw = RandomBytes(4096, 3);
  for (const char* name : {"zstd", "cm"}) {
    auto chunk = EncodeChunk(CodecNamed(name), CodecNamed("stored"), 5, 7, raw);
    ASSERT_TRUE(chunk.ok());
    EXPECT_EQ(chunk->row.codec, static_cast<uint16_t>(CodecId::kStored)) << name;
    EXPECT_EQ(chunk->record.size(), raw.size() + kRecordHeaderSize);
  }
}

TEST(ChunkRecord, RoundTripAndEveryCheck) {
  const std::vector<uint8_t> raw = TextBytes(20000);
  auto chunk = EncodeChunk(CodecNamed("zstd"), CodecNamed("stored"), 5, 3, raw);
  ASSERT_TRUE(chunk.ok());
  EXPECT_LT(chunk->record.size(), raw.size() / 10);
  std::vector<uint8_t> decoded;
  ASSERT_TRUE(DecodeChunkRecord(BuiltinCodecs(), 3, chunk->row, chunk->record, &decoded).ok());
  EXPECT_EQ(decoded, raw);

  // A flipped body byte fails the payload checksum.
  std::vector<uint8_t> flipped = chunk->record;
  flipped.back() ^= 1;
  Status status = DecodeChunkRecord(BuiltinCodecs(), 3, chunk->row, flipped, &decoded);
  EXPECT_NE(status.message().find("payload checksum mismatch"), std::string::npos);
  // The record of another chunk id is refused.
  status = DecodeChunkRecord(BuiltinCodecs(), 4, chunk->row, chunk->record, &decoded);
  EXPECT_NE(status.message().find("disagrees"), std::string::npos);
  // A wrong raw checksum (table and record agreeing) is caught after decoding.
  ChunkRow row = chunk->row;
  std::vector<uint8_t> record = chunk->record;
  row.raw_xxh64 ^= 1;
  record[32] ^= 1;  // raw XXH64 field of the header
  row.payload_xxh64 = Xxh64(record);
  status = DecodeChunkRecord(BuiltinCodecs(), 3, row, record, &decoded);
  EXPECT_EQ(status.message(), "checksum mismatch");
}

}  // namespace
}  // namespace lmarc
