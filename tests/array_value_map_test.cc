// The order-preserving value map (model/array/value_map.h): exact round trips
// of every bit pattern, numeric order, byte order.
#include "model/array/value_map.h"
#include "tests/test_rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace lmarc::array {
namespace {

using lmarc::TestRng;

// Float edge values in ascending numeric order (no NaN).
template <typename F>
std::vector<F> AscendingEdgeValues() {
  using L = std::numeric_limits<F>;
  return {-L::infinity(), L::lowest(), F(-1.5), -L::min(), -L::denorm_min(), F(-0.0),
          F(0.0),         L::denorm_min(), L::min() - L::denorm_min(), L::min(), F(1.0),
          F(1.0) + L::epsilon(), L::max(), L::infinity()};
}

template <typename F, typename U>
void ExpectFloatMapOrdersAndRoundTrips() {
  const std::vector<F> values = AscendingEdgeValues<F>();
  U previous = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const U bits = std::bit_cast<U>(values[i]);
    const U ordered = OrderedFromFloatBits(bits);
    EXPECT_EQ(FloatBitsFromOrdered(ordered), bits) << i;
    if (i > 0) {
      EXPECT_GT(ordered, previous) << "order broken at " << i;  // -0.0 < +0.0 too
    }
    previous = ordered;
  }
  // NaNs of both signs, quiet and signalling, with payloads: exact round trip,
  // outside [-Inf, +Inf].
  const U exponent_all_ones = std::bit_cast<U>(std::numeric_limits<F>::infinity());
  const U sign = kTopBit<U>;
  for (const U payload :
       {U{1}, U{2}, static_cast<U>(exponent_all_ones >> 1 & ~exponent_all_ones)}) {
    for (const U nan : {static_cast<U>(exponent_all_ones | payload),
                        static_cast<U>(exponent_all_ones | payload | sign)}) {
      ASSERT_TRUE(std::isnan(std::bit_cast<F>(nan)));
      EXPECT_EQ(FloatBitsFromOrdered(OrderedFromFloatBits(nan)), nan);
      const U ordered = OrderedFromFloatBits(nan);
      const U inf = OrderedFromFloatBits(exponent_all_ones);
      const U minus_inf = OrderedFromFloatBits(static_cast<U>(exponent_all_ones | sign));
      EXPECT_TRUE(ordered > inf || ordered < minus_inf);
    }
  }
}

TEST(ArrayValueMapTest, FloatEdgeValues) {
  ExpectFloatMapOrdersAndRoundTrips<float, uint32_t>();
  ExpectFloatMapOrdersAndRoundTrips<double, uint64_t>();
}

TEST(ArrayValueMapTest, SignedIntegersAreOffsetBinary) {
  EXPECT_EQ(OrderedFromSignedBits<uint8_t>(0x80), 0x00);  // -128 is the least
  EXPECT_EQ(OrderedFromSignedBits<uint8_t>(0xFF), 0x7F);  // -1
  EXPECT_EQ(OrderedFromSignedBits<uint8_t>(0x00), 0x80);  // 0
  EXPECT_EQ(OrderedFromSignedBits<uint8_t>(0x7F), 0xFF);  // 127 is the greatest
  EXPECT_EQ(OrderedFromSignedBits<uint64_t>(0), 1ull << 63);
}

TEST(ArrayValueMapTest, BulkMapOrdersLittleAndBigEndianAlike) {
  const std::vector<float> values = AscendingEdgeValues<float>();
  std::vector<uint8_t> little(values.size() * 4), big(values.size() * 4);
  std::memcpy(little.data(), values.data(), little.size());
  for (size_t i = 0; i < little.size(); ++i) big[i] = little[i / 4 * 4 + 3 - i % 4];
  std::vector<uint32_t> from_little(values.size()), from_big(values.size());
  MapToOrdered<uint32_t>(little, DType::kF32, ByteOrder::kLittle, from_little.data());
  MapToOrdered<uint32_t>(big, DType::kF32, ByteOrder::kBig, from_big.data());
  EXPECT_EQ(from_little, from_big);
  EXPECT_TRUE(std::is_sorted(from_little.begin(), from_little.end()));
  std::vector<uint8_t> back(big.size());
  MapFromOrdered<uint32_t>(from_big.data(), DType::kF32, ByteOrder::kBig, back);
  EXPECT_EQ(back, big);
}

template <typename U>
void ExpectRandomBitsRoundTrip(DType dtype) {
  TestRng rng(static_cast<uint64_t>(dtype) + 1);
  std::vector<uint8_t> raw(4096 * ElementBytes(dtype));
  for (uint8_t& byte : raw) byte = static_cast<uint8_t>(rng.Next() >> 56);
  for (const ByteOrder order : {ByteOrder::kLittle, ByteOrder::kBig}) {
    std::vector<U> ordered(raw.size() / ElementBytes(dtype));
    MapToOrdered<U>(raw, dtype, order, ordered.data());
    std::vector<uint8_t> back(raw.size());
    MapFromOrdered<U>(ordered.data(), dtype, order, back);
    EXPECT_EQ(back, raw) << DTypeName(dtype);
  }
}

TEST(ArrayValueMapTest, EveryDTypeRoundTripsRandomBits) {
  ExpectRandomBitsRoundTrip<uint32_t>(DType::kF32);
  ExpectRandomBitsRoundTrip<uint64_t>(DType::kF64);
  ExpectRandomBitsRoundTrip<uint8_t>(DType::kI8);
  ExpectRandomBitsRoundTrip<uint16_t>(DType::kI16);
  ExpectRandomBitsRoundTrip<uint32_t>(DType::kI32);
  ExpectRandomBitsRoundTrip<uint64_t>(DType::kI64);
  ExpectRandomBitsRoundTrip<uint8_t>(DType::kU8);
  ExpectRandomBitsRoundTrip<uint16_t>(DType::kU16);
  ExpectRandomBitsRoundTrip<uint32_t>(DType::kU32);
  ExpectRandomBitsRoundTrip<uint64_t>(DType::kU64);
  ExpectRandomBitsRoundTrip<uint32_t>(DType::kI24);
}

TEST(ArrayValueMapTest, Int24IsOffsetBinaryBelowTwoToThe24) {
  // -2^23, -1, 0, 2^23 - 1 as little- and big-endian 3-byte elements.
  const std::vector<uint8_t> little = {0x00, 0x00, 0x80, 0xFF, 0xFF, 0xFF,
                                       0x00, 0x00, 0x00, 0xFF, 0xFF, 0x7F};
  const std::vector<uint8_t> big = {0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
                                    0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF};
  const std::vector<uint32_t> expected = {0, 0x7FFFFF, 0x800000, 0xFFFFFF};
  std::vector<uint32_t> ordered(4);
  MapToOrdered<uint32_t>(little, DType::kI24, ByteOrder::kLittle, ordered.data());
  EXPECT_EQ(ordered, expected);
  MapToOrdered<uint32_t>(big, DType::kI24, ByteOrder::kBig, ordered.data());
  EXPECT_EQ(ordered, expected);
  // A decoded value above 2^24 (a corrupt body) stays inside its element.
  ordered[0] = 0xFF000000u | 0x800000;
  std::vector<uint8_t> back(12);
  MapFromOrdered<uint32_t>(ordered.data(), DType::kI24, ByteOrder::kLittle, back);
  EXPECT_EQ(std::vector<uint8_t>(back.begin(), back.begin() + 3), std::vector<uint8_t>({0, 0, 0}));
}

TEST(ArrayValueMapTest, IntegerOrderIsNumericOrder) {
  const std::vector<int16_t> values = {INT16_MIN, -300, -1, 0, 1, 300, INT16_MAX};
  std::vector<uint8_t> raw(values.size() * 2);
  std::memcpy(raw.data(), values.data(), raw.size());
  std::vector<uint16_t> ordered(values.size());
  MapToOrdered<uint16_t>(raw, DType::kI16, ByteOrder::kLittle, ordered.data());
  EXPECT_TRUE(std::is_sorted(ordered.begin(), ordered.end()));
  EXPECT_EQ(ordered.front(), 0);
  EXPECT_EQ(ordered.back(), 0xFFFF);
}

}  // namespace
}  // namespace lmarc::array
