#include "src/arith_coder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace lmarc {
namespace {

struct CodedBit {
  int bit;
  uint32_t p1;
};

std::vector<uint8_t> EncodeAll(const std::vector<CodedBit>& bits) {
  std::vector<uint8_t> out;
  ArithEncoder encoder(&out);
  for (const CodedBit& b : bits) encoder.Encode(b.bit, b.p1);
  encoder.Finish();
  return out;
}

void ExpectRoundTrip(const std::vector<CodedBit>& bits) {
  const std::vector<uint8_t> coded = EncodeAll(bits);
  ArithDecoder decoder(coded);
  for (size_t i = 0; i < bits.size(); ++i) {
    ASSERT_EQ(decoder.Decode(bits[i].p1), bits[i].bit) << "bit " << i;
  }
  EXPECT_FALSE(decoder.overrun());
}

// Ideal code length in bits of `bits` under their own probabilities.
double IdealBits(const std::vector<CodedBit>& bits) {
  double total = 0;
  for (const CodedBit& b : bits) {
    const double p1 = static_cast<double>(b.p1) / kProbOne;
    total -= std::log2(b.bit ? p1 : 1.0 - p1);
  }
  return total;
}

// Bits drawn with P(1) = p1/2^16 and coded with that same probability.
std::vector<CodedBit> BernoulliStream(size_t n, uint32_t p1, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<CodedBit> bits(n);
  for (CodedBit& b : bits) b = {static_cast<int>((rng() & 0xFFFF) < p1), p1};
  return bits;
}

TEST(ToCoderProbability, NeverZeroNeverOne) {
  EXPECT_EQ(ToCoderProbability(0), 1u);
  EXPECT_EQ(ToCoderProbability(1), 1u);
  EXPECT_EQ(ToCoderProbability(32768), 32768u);
  EXPECT_EQ(ToCoderProbability(65535), 65535u);
  EXPECT_EQ(ToCoderProbability(65536), 65535u);
  EXPECT_EQ(ToCoderProbability(1u << 20), 65535u);
}

TEST(ArithCoder, EmptyStream) {
  const std::vector<uint8_t> coded = EncodeAll({});
  EXPECT_LE(coded.size(), 6u);
  ArithDecoder decoder(coded);
  EXPECT_FALSE(decoder.overrun());
}

TEST(ArithCoder, OneByte) {
  std::vector<CodedBit> bits;
  for (int i = 7; i >= 0; --i) bits.push_back({(0xA5 >> i) & 1, 32768});
  ExpectRoundTrip(bits);
}

TEST(ArithCoder, AllZerosAtExtremeProbabilities) {
  for (uint32_t p1 : {1u, 65535u, 32768u}) {
    ExpectRoundTrip(std::vector<CodedBit>(100000, {0, p1}));
    ExpectRoundTrip(std::vector<CodedBit>(100000, {1, p1}));
  }
}

TEST(ArithCoder, Random10MBWithVaryingProbabilities) {
  std::mt19937_64 rng(42);
  std::vector<CodedBit> bits(10u << 20 << 3 >> 3);  // 10 Mi bits keeps the test fast
  for (CodedBit& b : bits) {
    const uint64_t r = rng();
    b.p1 = ToCoderProbability(static_cast<uint32_t>(r >> 48));
    b.bit = static_cast<int>((r & 1) != 0);
  }
  ExpectRoundTrip(bits);
}

TEST(ArithCoder, OverheadWithinOneThousandthAtHalf) {
  const auto bits = BernoulliStream(8u << 20, 32768, 1);
  const double actual = 8.0 * static_cast<double>(EncodeAll(bits).size());
  const double ideal = IdealBits(bits);
  EXPECT_LE(actual, ideal * 1.001) << "ideal " << ideal << " actual " << actual;
  ExpectRoundTrip(bits);
}

TEST(ArithCoder, OverheadWithinOneThousandthNearCertainty) {
  // p = 0.9999 of a one: 65529.4/65536 rounds to 65529.
  const uint32_t p1 = 65529;
  const auto bits = BernoulliStream(64u << 20, p1, 2);
  const double actual = 8.0 * static_cast<double>(EncodeAll(bits).size());
  const double ideal = IdealBits(bits);
  EXPECT_LE(actual, ideal * 1.001) << "ideal " << ideal << " actual " << actual;
}

TEST(ArithCoder, TruncatedInputReportsOverrun) {
  const auto bits = BernoulliStream(100000, 20000, 3);
  std::vector<uint8_t> coded = EncodeAll(bits);
  coded.resize(coded.size() / 2);
  ArithDecoder decoder(coded);
  for (const CodedBit& b : bits) (void)decoder.Decode(b.p1);
  EXPECT_TRUE(decoder.overrun());
}

}  // namespace
}  // namespace lmarc
