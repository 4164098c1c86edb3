// Fixed-point kernels: rounding cases of requantisation, the exp2 table, the
// logits → distribution guarantee (entries >= 1, sum exactly 65536, for
// extreme logits too), exact integer sqrt / inverse sqrt and ReLU².
#include "model/nn/fixed_point.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

namespace lmarc::nn {
namespace {

uint64_t NextRandom(uint64_t& state) {  // splitmix64
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

TEST(FixedPointTest, RoundingShiftRoundsHalfAwayFromZero) {
  EXPECT_EQ(RoundingShiftRight(5, 1), 3);    // 2.5
  EXPECT_EQ(RoundingShiftRight(-5, 1), -3);  // -2.5
  EXPECT_EQ(RoundingShiftRight(3, 1), 2);    // 1.5
  EXPECT_EQ(RoundingShiftRight(-3, 1), -2);
  EXPECT_EQ(RoundingShiftRight(6, 2), 2);    // 1.5
  EXPECT_EQ(RoundingShiftRight(5, 2), 1);    // 1.25
  EXPECT_EQ(RoundingShiftRight(7, 2), 2);    // 1.75
  EXPECT_EQ(RoundingShiftRight(-7, 2), -2);
  EXPECT_EQ(RoundingShiftRight(-5, 2), -1);
  EXPECT_EQ(RoundingShiftRight(-9, 0), -9);
  EXPECT_EQ(RoundingShiftRight(int64_t{1} << 62, 62), 1);
  EXPECT_EQ(RoundingShiftRight(int64_t{1} << 61, 62), 1);           // 0.5
  EXPECT_EQ(RoundingShiftRight((int64_t{1} << 61) - 1, 62), 0);
  EXPECT_EQ(RoundingShiftRight(-(int64_t{1} << 62), 62), -1);
}

TEST(FixedPointTest, RequantizeScalesRoundsAndClamps) {
  const Requantizer half{1 << 30, 31};  // x * 0.5
  EXPECT_EQ(Requantize(5, half, -1000, 1000), 3);
  EXPECT_EQ(Requantize(-5, half, -1000, 1000), -3);
  EXPECT_EQ(Requantize(1000, half, 0, 127), 127);
  EXPECT_EQ(Requantize(-1000, half, 0, 127), 0);
  const Requantizer largest{std::numeric_limits<int32_t>::max(), 62};
  EXPECT_EQ(Requantize(int64_t{1} << 31, largest, INT32_MIN, INT32_MAX), 1);
  EXPECT_EQ(Requantize(-(int64_t{1} << 31), largest, INT32_MIN, INT32_MAX), -1);

  const std::vector<int32_t> acc = {-300, -129, -3, 0, 3, 253, 255, 1000};
  std::vector<uint8_t> u8(acc.size());
  ASSERT_TRUE(RequantizeToUint8(acc, half, 127, u8).ok());
  EXPECT_EQ(u8, (std::vector<uint8_t>{0, 0, 0, 0, 2, 127, 127, 127}));
  std::vector<int8_t> s8(acc.size());
  ASSERT_TRUE(RequantizeToInt8(acc, half, -64, 63, s8).ok());
  EXPECT_EQ(s8, (std::vector<int8_t>{-64, -64, -2, 0, 2, 63, 63, 63}));
  EXPECT_FALSE(RequantizeToUint8(acc, Requantizer{1, 63}, 255, u8).ok());
  EXPECT_FALSE(RequantizeToUint8(acc, Requantizer{-1, 3}, 255, u8).ok());
  EXPECT_FALSE(RequantizeToInt8(acc, half, 5, 4, s8).ok());
  std::vector<uint8_t> short_out(2);
  EXPECT_FALSE(RequantizeToUint8(acc, half, 255, short_out).ok());
}

TEST(FixedPointTest, Exp2TableIsCorrectlyRounded) {
  const auto& table = Exp2FractionTable();
  EXPECT_EQ(table[0], 1u << 30);
  for (int r = 0; r < 256; ++r) {
    const double exact = std::ldexp(std::exp2(-r / 256.0), 30);
    EXPECT_LE(std::fabs(table[r] - exact), 0.5 + 1e-6) << r;
    if (r > 0) {
      EXPECT_LT(table[r], table[r - 1]);
    }
  }
  EXPECT_EQ(table[128], 759250125u);  // round(2^30 / sqrt(2))
}

void ExpectValidDistribution(const std::vector<int32_t>& logits) {
  std::vector<uint32_t> p(logits.size());
  ASSERT_TRUE(LogitsToDistribution(logits, p).ok());
  uint64_t sum = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    ASSERT_GE(p[i], 1u) << i;
    sum += p[i];
    for (size_t j = 0; j < i && p.size() <= 4096; ++j) {  // monotone: a larger logit never gets less
      if (logits[j] < logits[i]) {
        ASSERT_LE(p[j], p[i]);
      }
    }
  }
  ASSERT_EQ(sum, kDistributionTotal);
}

TEST(FixedPointTest, DistributionGuaranteeHoldsForExtremeLogits) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  ExpectValidDistribution(std::vector<int32_t>(256, kMin));
  ExpectValidDistribution(std::vector<int32_t>(256, kMax));
  ExpectValidDistribution(std::vector<int32_t>(256, 0));
  std::vector<int32_t> one_hot(256, kMin);
  one_hot[77] = kMax;
  ExpectValidDistribution(one_hot);
  std::vector<int32_t> alternating(256);
  for (int i = 0; i < 256; ++i) alternating[i] = i % 2 ? kMax : kMin;
  ExpectValidDistribution(alternating);
  std::vector<int32_t> ramp(256);
  for (int i = 0; i < 256; ++i) ramp[i] = i * 300;  // spans ~300 powers of two
  ExpectValidDistribution(ramp);
  ExpectValidDistribution({kMax});
  ExpectValidDistribution(std::vector<int32_t>(65536, 5));
  uint64_t rng = 9;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int32_t> logits(256);
    const int spread_bits = trial % 32;
    for (int32_t& l : logits) {
      l = static_cast<int32_t>(static_cast<uint32_t>(NextRandom(rng))) >> (31 - spread_bits);
    }
    ExpectValidDistribution(logits);
  }
}

TEST(FixedPointTest, DistributionValuesAreExactAndCloseToSoftmax) {
  std::vector<uint32_t> p(4);
  ASSERT_TRUE(LogitsToDistribution(std::vector<int32_t>{0, 256, 512, -256}, p).ok());
  EXPECT_EQ(p, (std::vector<uint32_t>{8738, 17476, 34953, 4369}));  // 2:4:8:1

  uint64_t rng = 10;
  std::vector<int32_t> logits(256);
  for (int32_t& l : logits) l = static_cast<int32_t>(NextRandom(rng) % 4096) - 2048;
  std::vector<uint32_t> q(256);
  ASSERT_TRUE(LogitsToDistribution(logits, q).ok());
  double z = 0;
  for (int32_t l : logits) z += std::exp2(l / 256.0);
  double total_error = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    total_error += std::fabs(q[i] - 65536.0 * std::exp2(logits[i] / 256.0) / z);
  }
  EXPECT_LT(total_error, 2.0 * logits.size());  // < 2 units per entry on average
}

TEST(FixedPointTest, DistributionRejectsBadSizes) {
  std::vector<uint32_t> p(1);
  EXPECT_FALSE(LogitsToDistribution(std::vector<int32_t>{}, std::span<uint32_t>()).ok());
  EXPECT_FALSE(LogitsToDistribution(std::vector<int32_t>{1, 2}, p).ok());
  std::vector<uint32_t> big(65537);
  EXPECT_FALSE(LogitsToDistribution(std::vector<int32_t>(65537, 0), big).ok());
}

TEST(FixedPointTest, IntegerSqrtIsExact) {
  for (uint64_t x = 0; x < 100000; ++x) {
    const uint64_t r = IntegerSqrt(x);
    ASSERT_LE(r * r, x);
    ASSERT_GT((r + 1) * (r + 1), x);
  }
  EXPECT_EQ(IntegerSqrt(std::numeric_limits<uint64_t>::max()), 4294967295u);
  EXPECT_EQ(IntegerSqrt(uint64_t{4294967295} * 4294967295u), 4294967295u);
  EXPECT_EQ(IntegerSqrt(uint64_t{4294967295} * 4294967295u - 1), 4294967294u);
}

TEST(FixedPointTest, InverseSqrtIsFloorAndWithinOneUnit) {
  __extension__ typedef unsigned __int128 Uint128;
  EXPECT_EQ(InverseSqrtQ31(0), 1u << 31);
  EXPECT_EQ(InverseSqrtQ31(1), 1u << 31);
  EXPECT_EQ(InverseSqrtQ31(4), 1u << 30);
  EXPECT_EQ(InverseSqrtQ31(2), 1518500249u);  // floor(2^31 / sqrt(2))
  EXPECT_EQ(InverseSqrtQ31(uint64_t{1} << 62), 1u);
  EXPECT_EQ(InverseSqrtQ31((uint64_t{1} << 62) + 1), 0u);
  uint64_t rng = 11;
  for (int trial = 0; trial < 100000; ++trial) {
    const uint64_t x = (NextRandom(rng) >> (trial % 62)) | 1;
    const uint64_t y = InverseSqrtQ31(x);
    // y = floor(2^31 / sqrt(x))  <=>  y^2 x <= 2^62 < (y+1)^2 x
    ASSERT_LE(Uint128{y} * y * x, Uint128{1} << 62) << x;
    ASSERT_GT(Uint128{y + 1} * (y + 1) * x, Uint128{1} << 62) << x;
    ASSERT_LT(std::fabs(y - 2147483648.0 / std::sqrt(static_cast<double>(x))), 1.0) << x;
  }
}

TEST(FixedPointTest, ExactDivisorEqualsDivision) {
  uint64_t rng = 11;
  for (int trial = 0; trial < 200000; ++trial) {
    const uint64_t divisor = trial < 64 ? uint64_t{1} << (trial % 62) : (NextRandom(rng) >> (trial % 63)) | 1;
    const uint64_t x = (NextRandom(rng) >> (2 + trial % 60)) + (trial % 3 == 0 ? divisor - 1 : 0);
    const uint64_t below = x & ((uint64_t{1} << 62) - 1);
    ASSERT_EQ(ExactDivisor(divisor).Divide(below), below / divisor) << below << " / " << divisor;
  }
  EXPECT_EQ(ExactDivisor(3).Divide((uint64_t{1} << 62) - 1), ((uint64_t{1} << 62) - 1) / 3);
}

// The one dispatch point's variants compute exactly Requantize, element by
// element (AVX2 only where the CPU has it).
TEST(FixedPointTest, RequantizeRowVariantsEqualRequantize) {
  uint64_t rng = 21;
  std::vector<int32_t> in(1000), scalar(in.size()), simd(in.size()), dispatched(in.size());
  for (int trial = 0; trial < 300; ++trial) {
    for (int32_t& v : in) v = static_cast<int32_t>(static_cast<uint32_t>(NextRandom(rng))) >> (trial % 31);
    in[0] = INT32_MIN;
    in[1] = INT32_MAX;
    const Requantizer r{static_cast<int32_t>(NextRandom(rng) >> (33 + trial % 31)), trial % 63};
    const int32_t lo = -(1 << (trial % 31)), hi = (1 << (trial % 29)) - 1;
    const size_t n = in.size() - trial % 7;  // odd tails too
    RequantizeRowScalar(in.data(), scalar.data(), n, r, lo, hi);
    RequantizeRow(in.data(), dispatched.data(), n, r, lo, hi);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(scalar[i], Requantize(in[i], r, lo, hi)) << in[i] << " trial " << trial;
      ASSERT_EQ(dispatched[i], scalar[i]) << in[i] << " trial " << trial;
    }
    if (__builtin_cpu_supports("avx2")) {
      RequantizeRowAvx2(in.data(), simd.data(), n, r, lo, hi);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(simd[i], scalar[i]) << in[i] << " trial " << trial;
    }
  }
}

}  // namespace
}  // namespace lmarc::nn
