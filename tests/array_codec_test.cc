// Round-trip, compression, determinism and hostile-input tests of `array`.
#include "model/array/array_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

#include "model/codecs.h"
#include "tests/test_rng.h"

namespace lmarc {
namespace {

using array::ArrayLayout;
using array::ByteOrder;
using array::DType;

constexpr DType kAllDTypes[] = {DType::kF32, DType::kF64, DType::kI8,  DType::kI16,
                                DType::kI24, DType::kI32, DType::kI64, DType::kU8,
                                DType::kU16, DType::kU32, DType::kU64};

uint64_t Elements(const std::vector<uint64_t>& shape) {
  uint64_t n = 1;
  for (const uint64_t extent : shape) n *= extent;
  return n;
}

// The bytes of `values` as `order` (host order is little-endian on every
// machine lmarc builds for; the test checks).
template <typename T>
std::vector<uint8_t> ToBytes(const std::vector<T>& values, ByteOrder order) {
  static_assert(std::endian::native == std::endian::little);
  std::vector<uint8_t> raw(values.size() * sizeof(T));
  std::memcpy(raw.data(), values.data(), raw.size());
  if (order == ByteOrder::kBig) {
    for (size_t i = 0; i < raw.size(); i += sizeof(T)) {
      for (size_t k = 0; k < sizeof(T) / 2; ++k) std::swap(raw[i + k], raw[i + sizeof(T) - 1 - k]);
    }
  }
  return raw;
}

// A smooth field: sums of sines and cosines over the coordinates, scaled to
// [0, amplitude], as T (truncated for integer types).
template <typename T>
std::vector<T> SmoothField(const std::vector<uint64_t>& shape, double amplitude) {
  std::vector<T> values(Elements(shape));
  for (uint64_t i = 0; i < values.size(); ++i) {
    double v = 0;
    uint64_t rest = i;
    for (size_t d = shape.size(); d-- > 0;) {
      const double coordinate = static_cast<double>(rest % shape[d]);
      rest /= shape[d];
      v +=
          std::sin(0.05 * coordinate + static_cast<double>(d)) + 0.5 * std::cos(0.013 * coordinate);
    }
    // v / rank is in [-1.5, 1.5].
    values[i] = static_cast<T>(amplitude * (v / static_cast<double>(shape.size()) + 1.5) / 3.0);
  }
  return values;
}

std::vector<uint8_t> EncodeOrDie(const std::vector<uint8_t>& raw, const ArrayLayout& layout,
                                 int level) {
  const ArrayCodec codec;
  std::vector<uint8_t> body;
  const Status status = codec.EncodeArray(raw, layout, level, &body);
  EXPECT_TRUE(status.ok()) << status.message();
  return body;
}

// Encodes, decodes, checks the round trip; returns the body size.
size_t ExpectRoundTrip(const std::vector<uint8_t>& raw, const ArrayLayout& layout,
                       int level = kDefaultLevel) {
  const ArrayCodec codec;
  const std::vector<uint8_t> body = EncodeOrDie(raw, layout, level);
  std::vector<uint8_t> decoded(raw.size(), 0xAA);
  const Status status = codec.Decode(body, decoded);
  EXPECT_TRUE(status.ok()) << array::Describe(layout) << ": " << status.message();
  EXPECT_TRUE(decoded == raw) << "round trip mismatch: " << array::Describe(layout) << " level "
                              << level;
  return body.size();
}

// The transform byte at `at`, after the optional refined prefix (4, P, Q).
uint8_t TransformAfterRefined(const std::vector<uint8_t>& body, size_t at) {
  return body[body[at] == 4 ? at + 3 : at];
}

TEST(ArrayCodecTest, Identity) {
  const ArrayCodec codec;
  EXPECT_EQ(codec.id(), CodecId::kArray);
  EXPECT_EQ(codec.name(), "array");
  EXPECT_EQ(codec.version(), 1u);
  CodecRegistry registry;
  RegisterModelCodecs(&registry);
  EXPECT_EQ(registry.Find(CodecId::kArray), registry.FindByName("array"));
  EXPECT_NE(registry.Find(CodecId::kArray), nullptr);
}

TEST(ArrayCodecTest, EveryDTypeByteOrderAndShapeRoundTrips) {
  const std::vector<std::vector<uint64_t>> shapes = {
      {1}, {7}, {1, 1, 1}, {5, 1, 3}, {33, 17}, {4, 5, 6}, {1, 9, 1, 8}, {2, 3, 4, 5},
      {1, 2, 1, 3, 1, 2, 1, 2}, {3, 1}, {1, 300}};
  TestRng rng(1);
  for (const DType dtype : kAllDTypes) {
    for (const ByteOrder order : {ByteOrder::kLittle, ByteOrder::kBig}) {
      for (const std::vector<uint64_t>& shape : shapes) {
        const ArrayLayout layout{dtype, order, shape};
        const std::vector<uint8_t> raw = rng.Bytes(Elements(shape) * array::ElementBytes(dtype));
        ExpectRoundTrip(raw, layout);
      }
    }
  }
}

TEST(ArrayCodecTest, SmoothFieldsOfEveryDTypeRoundTripAndCompress) {
  const std::vector<uint64_t> shape = {24, 40, 32};
  for (const ByteOrder order : {ByteOrder::kLittle, ByteOrder::kBig}) {
    const std::vector<uint8_t> f32 = ToBytes(SmoothField<float>(shape, 100.0), order);
    EXPECT_LT(ExpectRoundTrip(f32, {DType::kF32, order, shape}), f32.size() / 2);
    const std::vector<uint8_t> f64 = ToBytes(SmoothField<double>(shape, 100.0), order);
    EXPECT_LT(ExpectRoundTrip(f64, {DType::kF64, order, shape}), f64.size() * 3 / 4);
    const std::vector<uint8_t> i8 = ToBytes(SmoothField<int8_t>(shape, 100.0), order);
    EXPECT_LT(ExpectRoundTrip(i8, {DType::kI8, order, shape}), i8.size() / 4);
    const std::vector<uint8_t> i16 = ToBytes(SmoothField<int16_t>(shape, 20000.0), order);
    EXPECT_LT(ExpectRoundTrip(i16, {DType::kI16, order, shape}), i16.size() / 3);
    const std::vector<uint8_t> i32 = ToBytes(SmoothField<int32_t>(shape, 1e6), order);
    EXPECT_LT(ExpectRoundTrip(i32, {DType::kI32, order, shape}), i32.size() / 3);
    const std::vector<uint8_t> i64 = ToBytes(SmoothField<int64_t>(shape, 1e12), order);
    EXPECT_LT(ExpectRoundTrip(i64, {DType::kI64, order, shape}), i64.size() / 3);
    const std::vector<uint8_t> u8 = ToBytes(SmoothField<uint8_t>(shape, 120.0), order);
    EXPECT_LT(ExpectRoundTrip(u8, {DType::kU8, order, shape}), u8.size() / 4);
    const std::vector<uint8_t> u16 = ToBytes(SmoothField<uint16_t>(shape, 30000.0), order);
    EXPECT_LT(ExpectRoundTrip(u16, {DType::kU16, order, shape}), u16.size() / 3);
    const std::vector<uint8_t> u32 = ToBytes(SmoothField<uint32_t>(shape, 1e9), order);
    EXPECT_LT(ExpectRoundTrip(u32, {DType::kU32, order, shape}), u32.size() / 3);
    const std::vector<uint8_t> u64 = ToBytes(SmoothField<uint64_t>(shape, 1e15), order);
    EXPECT_LT(ExpectRoundTrip(u64, {DType::kU64, order, shape}), u64.size() / 3);
  }
}

StatusCode DecodeCode(const std::vector<uint8_t>& body, size_t raw_size);  // below

TEST(ArrayCodecTest, SmoothInt24SamplesRoundTripAndCompress) {
  // 24-bit PCM-like samples (3 bytes each, both byte orders), with and
  // without 4 zero low bits (20-bit samples in 24-bit containers).
  const std::vector<int32_t> smooth = SmoothField<int32_t>({6000, 2}, 8e6);
  for (const int low_zero_bits : {0, 4}) {
    for (const ByteOrder order : {ByteOrder::kLittle, ByteOrder::kBig}) {
      std::vector<uint8_t> raw;
      for (const int32_t v : smooth) {
        const uint32_t bits = static_cast<uint32_t>(v - 4000000) >> low_zero_bits << low_zero_bits;
        const uint8_t b[3] = {static_cast<uint8_t>(bits), static_cast<uint8_t>(bits >> 8),
                              static_cast<uint8_t>(bits >> 16)};
        if (order == ByteOrder::kLittle) raw.insert(raw.end(), b, b + 3);
        else raw.insert(raw.end(), {b[2], b[1], b[0]});
      }
      const ArrayLayout layout{DType::kI24, order, {6000, 2}};
      EXPECT_LT(ExpectRoundTrip(raw, layout), raw.size() / 3);
      // 20-bit samples: transform 6 records the 4 wasted bits first.
      const std::vector<uint8_t> body = EncodeOrDie(raw, layout, kDefaultLevel);
      const size_t transform_at = 2 + 4 + 3;  // layout record: 6000 (2 bytes), 2
      EXPECT_EQ(body[transform_at] == 6, low_zero_bits > 0);
      if (low_zero_bits > 0) {
        EXPECT_EQ(body[transform_at + 1], 4);
        for (const uint8_t hostile : {uint8_t{0}, uint8_t{24}, uint8_t{200}}) {
          std::vector<uint8_t> bad = body;
          bad[transform_at + 1] = hostile;
          EXPECT_EQ(DecodeCode(bad, raw.size()), StatusCode::kCorrupt) << int{hostile};
        }
      }
    }
  }
}

TEST(ArrayCodecTest, OneToFourDimensionalFieldsUseTheirGeometry) {
  // The same smooth values compress better when the codec knows the shape
  // than as a plain sequence: 65521 of them (a prime count: no row length
  // fits, transform 3 cannot find the grid).
  const std::vector<float> values = SmoothField<float>({16, 16, 16, 16}, 50.0);
  const std::vector<uint8_t> raw = ToBytes(values, ByteOrder::kLittle);
  const std::vector<uint8_t> prefix(raw.begin(), raw.begin() + 65521 * 4);
  const size_t sequence = ExpectRoundTrip(prefix, {DType::kF32, ByteOrder::kLittle, {65521}});
  const size_t two_d = ExpectRoundTrip(raw, {DType::kF32, ByteOrder::kLittle, {256, 256}});
  const size_t three_d = ExpectRoundTrip(raw, {DType::kF32, ByteOrder::kLittle, {16, 16, 256}});
  const size_t four_d = ExpectRoundTrip(raw, {DType::kF32, ByteOrder::kLittle, {16, 16, 16, 16}});
  EXPECT_LT(two_d, sequence);
  EXPECT_LT(three_d, sequence);
  EXPECT_LT(four_d, sequence);
  // Told nothing but 1-D, the codec finds grid lines itself.
  const size_t one_d = ExpectRoundTrip(raw, {DType::kF32, ByteOrder::kLittle, {65536}});
  EXPECT_LT(one_d, sequence);
}

template <typename F>
std::vector<F> SpecialFloats() {
  using L = std::numeric_limits<F>;
  using U = std::conditional_t<sizeof(F) == 4, uint32_t, uint64_t>;
  const U inf_bits = std::bit_cast<U>(L::infinity());
  const U sign = U{1} << (8 * sizeof(F) - 1);
  std::vector<F> values = {F(0.0),          F(-0.0),        L::infinity(),   -L::infinity(),
                           L::quiet_NaN(),  -L::quiet_NaN(), L::signaling_NaN(), L::denorm_min(),
                           -L::denorm_min(), L::min() / 3,   L::max(),        L::lowest(),
                           std::bit_cast<F>(static_cast<U>(inf_bits | 0x1234)),
                           std::bit_cast<F>(static_cast<U>(inf_bits | sign | 1))};
  // Mixed into a smooth run, repeated: special values next to ordinary ones.
  std::vector<F> out;
  for (int i = 0; i < 400; ++i) {
    out.push_back(static_cast<F>(std::sin(0.1 * i)));
    out.push_back(values[static_cast<size_t>(i) % values.size()]);
  }
  return out;
}

TEST(ArrayCodecTest, SpecialFloatValuesRoundTripBitExactly) {
  for (const ByteOrder order : {ByteOrder::kLittle, ByteOrder::kBig}) {
    const std::vector<uint8_t> f32 = ToBytes(SpecialFloats<float>(), order);
    ExpectRoundTrip(f32, {DType::kF32, order, {800}});
    ExpectRoundTrip(f32, {DType::kF32, order, {20, 40}});
    const std::vector<uint8_t> f64 = ToBytes(SpecialFloats<double>(), order);
    ExpectRoundTrip(f64, {DType::kF64, order, {800}});
    ExpectRoundTrip(f64, {DType::kF64, order, {8, 10, 10}});
  }
}

TEST(ArrayCodecTest, RandomBitPatternsBarelyExpand) {
  TestRng rng(3);
  for (const DType dtype : kAllDTypes) {
    const uint64_t columns = (size_t{1} << 17) / 64 / array::ElementBytes(dtype);
    const std::vector<uint8_t> raw = rng.Bytes(64 * columns * array::ElementBytes(dtype));
    const std::vector<uint64_t> shape = {64, columns};
    const size_t body = ExpectRoundTrip(raw, {dtype, ByteOrder::kLittle, shape});
    EXPECT_LT(body, raw.size() + raw.size() / 50) << array::DTypeName(dtype);
  }
}

TEST(ArrayCodecTest, ExtremeIntegerResidualsRoundTrip) {
  // Alternating extremes make residuals of -2^(W-1) and 2^(W-1) - 1.
  std::vector<int64_t> values;
  for (int i = 0; i < 200; ++i) {
    values.push_back(i % 3 == 0 ? INT64_MIN : (i % 3 == 1 ? INT64_MAX : 0));
  }
  ExpectRoundTrip(ToBytes(values, ByteOrder::kLittle), {DType::kI64, ByteOrder::kLittle, {200}});
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 300; ++i) bytes.push_back(i % 2 ? 0x80 : (i % 5 ? 0x7F : 0x00));
  for (const DType dtype : {DType::kI8, DType::kU8}) {
    ExpectRoundTrip(bytes, {dtype, ByteOrder::kLittle, {300}});
    ExpectRoundTrip(bytes, {dtype, ByteOrder::kLittle, {10, 30}});
  }
}

TEST(ArrayCodecTest, EmptyAndSingleElementArrays) {
  const ArrayCodec codec;
  for (const std::vector<uint64_t>& shape :
       std::vector<std::vector<uint64_t>>{{0}, {3, 0}, {0, 1, 5}}) {
    ExpectRoundTrip({}, {DType::kF64, ByteOrder::kBig, shape});
  }
  std::vector<uint8_t> body;
  ASSERT_TRUE(codec.Encode({}, kDefaultLevel, &body).ok());
  std::vector<uint8_t> nothing;
  EXPECT_TRUE(codec.Decode(body, nothing).ok());

  for (const DType dtype : kAllDTypes) {
    const std::vector<uint8_t> one(array::ElementBytes(dtype), 0xC3);
    ExpectRoundTrip(one, {dtype, ByteOrder::kLittle, {1}});
    ExpectRoundTrip(one, {dtype, ByteOrder::kBig, {1, 1, 1, 1}});
  }
}

TEST(ArrayCodecTest, GenericEncodeIsOneDimensionalBytes) {
  const ArrayCodec codec;
  std::vector<uint8_t> raw;
  for (int i = 0; i < 5000; ++i) raw.push_back(static_cast<uint8_t>(i / 7 + (i % 3)));
  std::vector<uint8_t> generic, typed;
  ASSERT_TRUE(codec.Encode(raw, kDefaultLevel, &generic).ok());
  ASSERT_TRUE(codec.EncodeArray(raw, {DType::kU8, ByteOrder::kLittle, {raw.size()}}, kDefaultLevel,
                                &typed)
                  .ok());
  EXPECT_EQ(generic, typed);
  std::vector<uint8_t> decoded(raw.size());
  ASSERT_TRUE(codec.Decode(generic, decoded).ok());
  EXPECT_EQ(decoded, raw);
  EXPECT_LT(generic.size(), raw.size() / 3);
}

TEST(ArrayCodecTest, FewDistinctValuesUseTheValueTable) {
  // A smooth field quantised to 0.01 (as printed output is): few distinct
  // floats, far apart in the ordered integers.
  std::vector<float> values = SmoothField<float>({100, 120}, 30.0);
  for (float& v : values) v = static_cast<float>(std::round(v * 100.0) / 100.0);
  const std::vector<uint8_t> raw = ToBytes(values, ByteOrder::kLittle);
  const ArrayLayout layout{DType::kF32, ByteOrder::kLittle, {100, 120}};
  const std::vector<uint8_t> body = EncodeOrDie(raw, layout, kDefaultLevel);
  std::vector<uint8_t> header;
  array::AppendLayoutRecord(layout, &header);
  ASSERT_GT(body.size(), 2 + header.size());
  EXPECT_EQ(body[2 + header.size()], 1) << "transform: value table";
  ExpectRoundTrip(raw, layout);
  EXPECT_LT(body.size(), raw.size() / 5);
}

TEST(ArrayCodecTest, EveryLevelRoundTrips) {
  const std::vector<uint8_t> raw = ToBytes(SmoothField<double>({30, 50}, 7.0), ByteOrder::kLittle);
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    ExpectRoundTrip(raw, {DType::kF64, ByteOrder::kLittle, {30, 50}}, level);
  }
}

TEST(ArrayCodecTest, Deterministic) {
  const std::vector<uint8_t> raw = ToBytes(SmoothField<float>({40, 60}, 9.0), ByteOrder::kBig);
  const ArrayLayout layout{DType::kF32, ByteOrder::kBig, {40, 60}};
  for (const int level : {1, kDefaultLevel, 9}) {
    EXPECT_EQ(EncodeOrDie(raw, layout, level), EncodeOrDie(raw, layout, level));
  }
}

TEST(ArrayCodecTest, ConcurrentEncodesAgree) {
  const ArrayCodec codec;
  const std::vector<uint8_t> raw = ToBytes(SmoothField<float>({80, 90}, 3.0), ByteOrder::kLittle);
  const ArrayLayout layout{DType::kF32, ByteOrder::kLittle, {80, 90}};
  const std::vector<uint8_t> expected = EncodeOrDie(raw, layout, kDefaultLevel);
  std::vector<uint8_t> bodies[2];
  Status statuses[2];
  std::thread threads[2];
  for (int t = 0; t < 2; ++t) {
    threads[t] = std::thread(
        [&, t] { statuses[t] = codec.EncodeArray(raw, layout, kDefaultLevel, &bodies[t]); });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 2; ++t) {
    ASSERT_TRUE(statuses[t].ok());
    EXPECT_EQ(bodies[t], expected);
  }
}

TEST(ArrayCodecTest, AppendsToExistingBody) {
  const ArrayCodec codec;
  const std::vector<uint8_t> raw =
      ToBytes(SmoothField<int16_t>({10, 10}, 900.0), ByteOrder::kLittle);
  std::vector<uint8_t> body = {0xDE, 0xAD};
  ASSERT_TRUE(codec.EncodeArray(raw, {DType::kI16, ByteOrder::kLittle, {10, 10}}, 3, &body).ok());
  EXPECT_EQ(body[0], 0xDE);
  std::vector<uint8_t> decoded(raw.size());
  ASSERT_TRUE(codec.Decode(std::span(body).subspan(2), decoded).ok());
  EXPECT_EQ(decoded, raw);
}

TEST(ArrayCodecTest, EncodeRejectsBadArguments) {
  const ArrayCodec codec;
  std::vector<uint8_t> body;
  const std::vector<uint8_t> raw(12);
  EXPECT_EQ(codec.Encode(raw, 0, &body).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(codec.Encode(raw, 10, &body).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(codec.EncodeArray(raw, {DType::kF64, ByteOrder::kLittle, {2}}, 5, &body).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(codec.EncodeArray(raw, {DType::kF32, ByteOrder::kLittle, {}}, 5, &body).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(body.empty());
}

// --- hostile bodies ---------------------------------------------------------

struct Sample {
  std::vector<uint8_t> raw;
  ArrayLayout layout;
  std::vector<uint8_t> body;
  size_t header_bytes;  // version, level, layout record
};

Sample MakeSample(bool value_table) {
  Sample s;
  s.layout = {DType::kF32, ByteOrder::kLittle, {30, 40}};
  std::vector<float> values = SmoothField<float>({30, 40}, 10.0);
  if (value_table) {
    for (float& v : values) v = static_cast<float>(std::round(v * 10.0) / 10.0);
  }
  s.raw = ToBytes(values, ByteOrder::kLittle);
  s.body = EncodeOrDie(s.raw, s.layout, kDefaultLevel);
  std::vector<uint8_t> record;
  array::AppendLayoutRecord(s.layout, &record);
  s.header_bytes = 2 + record.size();
  return s;
}

StatusCode DecodeCode(const std::vector<uint8_t>& body, size_t raw_size) {
  std::vector<uint8_t> out(raw_size);
  return ArrayCodec().Decode(body, out).code();
}

TEST(ArrayCodecTest, HeaderValidation) {
  const Sample s = MakeSample(false);
  std::vector<uint8_t> bad = s.body;
  bad[0] = 2;
  EXPECT_EQ(DecodeCode(bad, s.raw.size()), StatusCode::kUnsupported);
  bad = s.body;
  bad[1] = 0;
  EXPECT_EQ(DecodeCode(bad, s.raw.size()), StatusCode::kCorrupt);
  bad = s.body;
  bad[3] = 10;  // dtype
  EXPECT_EQ(DecodeCode(bad, s.raw.size()), StatusCode::kCorrupt);
  bad = s.body;
  bad[3] = static_cast<uint8_t>(DType::kF64);  // layout no longer matches the raw size
  EXPECT_EQ(DecodeCode(bad, s.raw.size()), StatusCode::kCorrupt);
  bad = s.body;
  bad[s.header_bytes] = 3;  // transform
  EXPECT_EQ(DecodeCode(bad, s.raw.size()), StatusCode::kCorrupt);
  bad = s.body;
  bad[s.header_bytes] = 2;  // columns, but 40 per row is not a table of records
  EXPECT_EQ(DecodeCode(bad, s.raw.size()), StatusCode::kCorrupt);
  bad = s.body;
  bad[s.header_bytes + 1] = 3;  // predictor order
  EXPECT_EQ(DecodeCode(bad, s.raw.size()), StatusCode::kCorrupt);
  bad = s.body;
  bad[s.header_bytes + 2] = 0b100;  // predictor dim beyond rank 2
  EXPECT_EQ(DecodeCode(bad, s.raw.size()), StatusCode::kCorrupt);
  // The right body for a different raw size.
  EXPECT_EQ(DecodeCode(s.body, s.raw.size() + 4), StatusCode::kCorrupt);
  EXPECT_EQ(DecodeCode(s.body, 0), StatusCode::kCorrupt);
}

// Records of unlike fields (an id, a smooth coordinate, noise, a constant):
// coded column by column, each with its own predictor.
TEST(ArrayCodecTest, ColumnRecordsUseTheColumnTransform) {
  const uint64_t rows = 3000, columns = 4;
  std::vector<double> values;
  uint64_t state = 5;
  for (uint64_t r = 0; r < rows; ++r) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    values.insert(values.end(), {static_cast<double>(r + 1), std::sin(0.001 * static_cast<double>(r)) * 7.5,
                                 static_cast<double>(state >> 11) * 0x1.0p-53, 1.0});
  }
  for (const ByteOrder order : {ByteOrder::kLittle, ByteOrder::kBig}) {
    const std::vector<uint8_t> raw = ToBytes(values, order);
    const ArrayLayout layout{DType::kF64, order, {rows, columns}};
    const std::vector<uint8_t> body = EncodeOrDie(raw, layout, kDefaultLevel);
    std::vector<uint8_t> header;
    array::AppendLayoutRecord(layout, &header);
    ASSERT_GT(body.size(), 2 + header.size());
    EXPECT_EQ(TransformAfterRefined(body, 2 + header.size()), 2) << "transform: columns";
    ExpectRoundTrip(raw, layout);
    ExpectRoundTrip(raw, layout, 1);
    // A column transform claimed for a 1-D shape is corrupt.
    std::vector<uint8_t> bad = EncodeOrDie(raw, {DType::kF64, order, {rows * columns}}, kDefaultLevel);
    bad[2 + 4 + 2] = 2;  // header: version, level, layout record of rank 1 (4 + 2-byte varint)
    EXPECT_EQ(DecodeCode(bad, raw.size()), StatusCode::kCorrupt);
  }
}

// Face fluxes of a structured mesh alternate between x and y faces, each
// smooth but of unlike sign and size: seen as rows of 2 (transform 3) they
// code far smaller than as one sequence.
std::vector<double> InterleavedFluxes(uint64_t pairs) {
  std::vector<double> values;
  for (uint64_t i = 0; i < pairs; ++i) {
    const double t = 0.003 * static_cast<double>(i);
    values.push_back(1e-10 * std::sin(t) + 3e-10);
    values.push_back(-2e-9 * std::cos(1.7 * t) - 0.5e-9);
  }
  return values;
}

TEST(ArrayCodecTest, InterleavedSequencesGetARowLength) {
  const std::vector<double> values = InterleavedFluxes(4000);
  const std::vector<uint8_t> raw = ToBytes(values, ByteOrder::kLittle);
  const ArrayLayout layout{DType::kF64, ByteOrder::kLittle, {values.size()}};
  const std::vector<uint8_t> body = EncodeOrDie(raw, layout, kDefaultLevel);
  const size_t transform_at = 2 + 4 + 2;  // version, level, layout record of rank 1 (2-byte varint)
  ASSERT_GT(body.size(), transform_at + 3);
  EXPECT_EQ(body[transform_at], 3) << "transform: rows";
  EXPECT_EQ(body[transform_at + 1], 2) << "row length";
  EXPECT_LE(TransformAfterRefined(body, transform_at + 2), 2) << "then values, table or columns";
  for (int level = 1; level <= 9; level += 4) ExpectRoundTrip(raw, layout, level);
  ExpectRoundTrip(ToBytes(values, ByteOrder::kBig), {DType::kF64, ByteOrder::kBig, layout.shape});
  // Without the row length (a prime element count) the same data costs more.
  const std::vector<double> odd(values.begin(), values.begin() + 7993);
  const std::vector<uint8_t> odd_body =
      EncodeOrDie(ToBytes(odd, ByteOrder::kLittle), {DType::kF64, ByteOrder::kLittle, {odd.size()}}, kDefaultLevel);
  EXPECT_NE(odd_body[transform_at], 3);
  EXPECT_LT(body.size() * 5, odd_body.size() * 4) << body.size() << " vs " << odd_body.size();
}

TEST(ArrayCodecTest, GridLinesFoundByTheLagScan) {
  // A 2-D field of 60 x 70 stored as a 1-D list (a mesh's cells in order).
  const std::vector<float> grid = SmoothField<float>({60, 70}, 1000.0);
  const std::vector<uint8_t> raw = ToBytes(grid, ByteOrder::kLittle);
  const ArrayLayout layout{DType::kF32, ByteOrder::kLittle, {grid.size()}};
  const std::vector<uint8_t> body = EncodeOrDie(raw, layout, kDefaultLevel);
  const size_t transform_at = 2 + 4 + 2;
  EXPECT_EQ(body[transform_at], 3) << "transform: rows";
  EXPECT_EQ(body[transform_at + 1], 70) << "row length: one grid line";
  ExpectRoundTrip(raw, layout);
}

TEST(ArrayCodecTest, RowLengthHeaderValidation) {
  const std::vector<double> values = InterleavedFluxes(600);
  const std::vector<uint8_t> raw = ToBytes(values, ByteOrder::kLittle);
  const std::vector<uint8_t> body =
      EncodeOrDie(raw, {DType::kF64, ByteOrder::kLittle, {values.size()}}, kDefaultLevel);
  const size_t transform_at = 2 + 4 + 2;
  ASSERT_EQ(body[transform_at], 3);
  ASSERT_EQ(body[transform_at + 1], 2);
  // Row lengths that leave a partial row, a single row or rows of one element.
  for (const uint64_t hostile : {uint64_t{0}, uint64_t{1}, uint64_t{7}, uint64_t{1200},
                                 uint64_t{2400}, uint64_t{1} << 40}) {
    std::vector<uint8_t> bad(body.begin(), body.begin() + static_cast<ptrdiff_t>(transform_at + 1));
    array::AppendVarint(hostile, &bad);
    bad.insert(bad.end(), body.begin() + static_cast<ptrdiff_t>(transform_at + 2), body.end());
    EXPECT_EQ(DecodeCode(bad, raw.size()), StatusCode::kCorrupt) << hostile;
  }
  // Rows twice over, and rows claimed for a 2-D layout.
  std::vector<uint8_t> twice = body;
  twice[transform_at + 2] = 3;
  EXPECT_EQ(DecodeCode(twice, raw.size()), StatusCode::kCorrupt);
  std::vector<uint8_t> two_d = EncodeOrDie(raw, {DType::kF64, ByteOrder::kLittle, {600, 2}}, kDefaultLevel);
  two_d[2 + 4 + 2 + 1] = 3;  // rank-2 layout record: one more extent byte
  EXPECT_EQ(DecodeCode(two_d, raw.size()), StatusCode::kCorrupt);
}

// A random walk whose steps are smoothed noise (s_i = n_i + 0.9 n_(i-1)),
// int16: the residuals of the previous-value predictor are correlated, so
// the neural stage (transform 4 prefix) pays at levels >= 2.
std::vector<int16_t> SmoothedWalk(size_t n) {
  TestRng rng(5);
  std::vector<int16_t> samples(n);
  int64_t value = 0, previous_noise = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t noise = static_cast<int64_t>(rng.Next() % 401) - 200;
    value += noise + 9 * previous_noise / 10;
    previous_noise = noise;
    samples[i] = static_cast<int16_t>(value);
  }
  return samples;
}

TEST(ArrayCodecTest, CorrelatedResidualsUseTheNeuralStage) {
  const std::vector<int16_t> samples = SmoothedWalk(16000);
  const std::vector<uint8_t> raw = ToBytes(samples, ByteOrder::kLittle);
  const ArrayLayout layout{DType::kI16, ByteOrder::kLittle, {samples.size()}};
  const size_t transform_at = 2 + 4 + 2;  // version, level, layout record of rank 1 (2-byte varint)
  const std::vector<uint8_t> body = EncodeOrDie(raw, layout, kDefaultLevel);
  EXPECT_EQ(body[transform_at], 4) << "transform: refined";
  EXPECT_TRUE(body[transform_at + 1] == 8 || body[transform_at + 1] == 32 ||
              body[transform_at + 1] == 128)
      << "previous taps";
  EXPECT_TRUE(body[transform_at + 2] == 0 || body[transform_at + 2] == 64) << "second neuron (1-D)";
  EXPECT_EQ(body[transform_at + 3], 0) << "then values";
  const std::vector<uint8_t> fast = EncodeOrDie(raw, layout, 1);
  EXPECT_EQ(fast[transform_at], 4) << "level 1 refines too";
  EXPECT_TRUE(fast[transform_at + 1] == 8 || fast[transform_at + 1] == 32)
      << "with the candidates of at most 32 taps only";
  EXPECT_EQ(fast[transform_at + 2], 0) << "and no second neuron";
  EXPECT_LE(body.size(), fast.size());
  for (int level = 1; level <= 9; level += 2) ExpectRoundTrip(raw, layout, level);
  ExpectRoundTrip(ToBytes(samples, ByteOrder::kBig), {DType::kI16, ByteOrder::kBig, layout.shape});
  // The same signal as two columns (stereo-like records): the refined
  // prefix then applies column by column.
  ExpectRoundTrip(raw, {DType::kI16, ByteOrder::kLittle, {samples.size() / 2, 2}});
}

TEST(ArrayCodecTest, RefinedHeaderValidation) {
  const std::vector<int16_t> samples = SmoothedWalk(4000);
  const std::vector<uint8_t> raw = ToBytes(samples, ByteOrder::kLittle);
  const std::vector<uint8_t> body =
      EncodeOrDie(raw, {DType::kI16, ByteOrder::kLittle, {samples.size()}}, kDefaultLevel);
  const size_t transform_at = 2 + 4 + 2;
  ASSERT_EQ(body[transform_at], 4);
  // Refined twice, and the row-length prefix after it.
  for (const uint8_t second : {uint8_t{4}, uint8_t{3}, uint8_t{5}}) {
    std::vector<uint8_t> bad = body;
    bad[transform_at + 3] = second;
    EXPECT_EQ(DecodeCode(bad, raw.size()), StatusCode::kCorrupt) << int{second};
  }
  // No previous taps (1-D: 1..255).
  std::vector<uint8_t> no_taps = body;
  no_taps[transform_at + 1] = 0;
  EXPECT_EQ(DecodeCode(no_taps, raw.size()), StatusCode::kCorrupt);
  // A 2-D array (rows of 40) takes at most 27.
  const ArrayLayout rows{DType::kI16, ByteOrder::kLittle, {samples.size() / 40, 40}};
  std::vector<uint8_t> two_d = EncodeOrDie(raw, rows, kDefaultLevel);
  const size_t two_d_transform_at = 2 + 4 + 2;  // 100 and 40: one-byte varints
  if (two_d[two_d_transform_at] == 4) {
    for (const uint8_t taps : {uint8_t{0}, uint8_t{28}, uint8_t{255}}) {
      std::vector<uint8_t> bad = two_d;
      bad[two_d_transform_at + 1] = taps;
      EXPECT_EQ(DecodeCode(bad, raw.size()), StatusCode::kCorrupt) << int{taps};
    }
    std::vector<uint8_t> bad_second = two_d;
    bad_second[two_d_transform_at + 2] = 28;
    EXPECT_EQ(DecodeCode(bad_second, raw.size()), StatusCode::kCorrupt);
  }
}

// Stereo-like records: the second column follows the first closely, so the
// first column's residuals (side inputs of the neural stage) predict it.
TEST(ArrayCodecTest, SecondChannelLearnsFromTheFirst) {
  const std::vector<int16_t> left = SmoothedWalk(12000);
  TestRng rng(9);
  std::vector<int16_t> stereo;
  for (const int16_t l : left) {
    stereo.push_back(l);
    stereo.push_back(static_cast<int16_t>(l / 2 + static_cast<int>(rng.Next() % 9) - 4));
  }
  const std::vector<uint8_t> raw = ToBytes(stereo, ByteOrder::kLittle);
  const ArrayLayout layout{DType::kI16, ByteOrder::kLittle, {left.size(), 2}};
  const size_t together = ExpectRoundTrip(raw, layout);
  // Each channel as an array of its own: no side inputs.
  std::vector<int16_t> right;
  for (size_t i = 1; i < stereo.size(); i += 2) right.push_back(stereo[i]);
  const size_t apart =
      ExpectRoundTrip(ToBytes(left, ByteOrder::kLittle), {DType::kI16, ByteOrder::kLittle, {left.size()}}) +
      ExpectRoundTrip(ToBytes(right, ByteOrder::kLittle), {DType::kI16, ByteOrder::kLittle, {right.size()}});
  EXPECT_LT(together * 100, apart * 93) << together << " vs " << apart;
}

// An RGB photograph-like image: a smooth wave per channel, an edge and
// noise; the blend predictor (transform 5 prefix) is chosen.
std::vector<uint8_t> NoisyRgbImage(int height, int width) {
  TestRng rng(13);
  std::vector<uint8_t> pixels;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) {
        const double wave = 50 * std::sin(0.15 * x + 0.07 * y + c);
        pixels.push_back(static_cast<uint8_t>(110 + wave + (x + y > width ? 40 : 0) +
                                              static_cast<int>(rng.Next() % 7) - 3));
      }
    }
  }
  return pixels;
}

TEST(ArrayCodecTest, ImagesUseTheBlendPredictor) {
  const std::vector<uint8_t> raw = NoisyRgbImage(60, 70);
  const ArrayLayout layout{DType::kU8, ByteOrder::kLittle, {60, 70, 3}};
  const std::vector<uint8_t> body = EncodeOrDie(raw, layout, kDefaultLevel);
  const size_t transform_at = 2 + 4 + 3;  // layout record of rank 3, one-byte extents
  size_t at = transform_at;
  if (body[at] == 4) at += 3;  // the neural stage may refine it
  EXPECT_EQ(body[at], 5) << "transform: blend";
  EXPECT_EQ(body[at + 1], 0) << "then values";
  for (int level = 1; level <= 9; level += 4) ExpectRoundTrip(raw, layout, level);
  ExpectRoundTrip(raw, {DType::kU8, ByteOrder::kLittle, {60, 210}});
  // Hostile: blend before columns or a second blend, or on a 1-D array.
  for (const uint8_t next : {uint8_t{2}, uint8_t{5}}) {
    std::vector<uint8_t> bad = body;
    bad[at + 1] = next;
    EXPECT_EQ(DecodeCode(bad, raw.size()), StatusCode::kCorrupt) << int{next};
  }
  std::vector<uint8_t> one_d = EncodeOrDie(raw, {DType::kU8, ByteOrder::kLittle, {raw.size()}}, kDefaultLevel);
  const size_t one_d_at = 2 + 4 + 2;  // 12600: a two-byte varint
  if (one_d[one_d_at] == 0) {
    one_d.insert(one_d.begin() + static_cast<ptrdiff_t>(one_d_at), 5);
    EXPECT_EQ(DecodeCode(one_d, raw.size()), StatusCode::kCorrupt);
  }
}

TEST(ArrayCodecTest, ImagesWithFewLevelsBlendTheirRanks) {
  // A gray image whose levels are the multiples of 3 (a stretched
  // histogram): coded as ranks of a value table, predicted by the blend.
  std::vector<uint8_t> raw;
  for (int y = 0; y < 48; ++y) {
    for (int x = 0; x < 64; ++x) {
      const double v = 40 + 25 * std::sin(0.15 * x) * std::cos(0.1 * y) + ((x * 7 + y * 13) % 5 == 0);
      raw.push_back(static_cast<uint8_t>(3 * static_cast<int>(v)));
    }
  }
  const ArrayLayout layout{DType::kU8, ByteOrder::kLittle, {48, 64}};
  const std::vector<uint8_t> body = EncodeOrDie(raw, layout, kDefaultLevel);
  size_t at = 2 + 4 + 2;  // layout record of rank 2, one-byte extents
  if (body[at] == 4) at += 3;  // the neural stage may refine it
  EXPECT_EQ(body[at], 5) << "transform: blend";
  EXPECT_EQ(body[at + 1], 1) << "then the value table";
  for (int level = 1; level <= 9; level += 4) ExpectRoundTrip(raw, layout, level);
}

TEST(ArrayCodecTest, ValueTableHeaderValidation) {
  const Sample s = MakeSample(true);
  // The field's ranks may be blended (transform 5 before 1).
  const size_t table_at = s.body[s.header_bytes] == 5 ? s.header_bytes + 1 : s.header_bytes;
  ASSERT_EQ(s.body[table_at], 1) << "expected the value table path";
  // Where the table size varint ends.
  ByteReader reader(std::span(s.body).subspan(table_at + 1), "test");
  uint64_t table_size = 0;
  ASSERT_TRUE(array::ReadVarint(&reader, "table size", &table_size).ok());
  const auto rest = s.body.begin() + static_cast<ptrdiff_t>(table_at + 1 + reader.position());
  for (const uint64_t hostile : {uint64_t{0}, uint64_t{1201}, uint64_t{1} << 40}) {
    std::vector<uint8_t> bad(s.body.begin(),
                             s.body.begin() + static_cast<ptrdiff_t>(table_at + 1));
    array::AppendVarint(hostile, &bad);
    bad.insert(bad.end(), rest, s.body.end());
    EXPECT_EQ(DecodeCode(bad, s.raw.size()), StatusCode::kCorrupt) << hostile;
  }
  // A table that claims fewer entries than were coded, or more.
  for (const uint64_t wrong : {table_size - 1, table_size + 1}) {
    std::vector<uint8_t> bad(s.body.begin(),
                             s.body.begin() + static_cast<ptrdiff_t>(table_at + 1));
    array::AppendVarint(wrong, &bad);
    bad.insert(bad.end(), rest, s.body.end());
    std::vector<uint8_t> out(s.raw.size());
    const Status status = ArrayCodec().Decode(bad, out);
    EXPECT_TRUE(!status.ok() || out != s.raw) << wrong;
  }
}

TEST(ArrayCodecTest, HugeShapeClaimsFailWithoutAllocating) {
  // A body whose layout claims 2^40 x 2^40 elements, or 2^61 f64 elements,
  // fails on the layout check before anything is sized from it.
  for (const std::vector<uint64_t>& shape :
       std::vector<std::vector<uint64_t>>{{1ull << 40, 1ull << 40}, {1ull << 61}, {UINT64_MAX}}) {
    std::vector<uint8_t> body = {ArrayCodec::kFormatVersion, kDefaultLevel};
    array::AppendLayoutRecord({DType::kF64, ByteOrder::kLittle, shape}, &body);
    body.insert(body.end(), {0, 1, 1, 0, 0, 0, 0});
    EXPECT_EQ(DecodeCode(body, 64), StatusCode::kCorrupt);
  }
}

TEST(ArrayCodecTest, TruncatedBodiesFailOrMismatchWithoutCrashing) {
  for (const bool value_table : {false, true}) {
    const Sample s = MakeSample(value_table);
    for (size_t keep = 0; keep < s.body.size(); ++keep) {
      std::vector<uint8_t> out(s.raw.size());
      const Status status = ArrayCodec().Decode(std::span(s.body).first(keep), out);
      EXPECT_TRUE(!status.ok() || out != s.raw) << "kept " << keep;
    }
  }
}

TEST(ArrayCodecTest, CorruptedBodiesNeverCrash) {
  TestRng rng(41);
  for (const bool value_table : {false, true}) {
    const Sample s = MakeSample(value_table);
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<uint8_t> bad = s.body;
      const size_t flips = 1 + rng.Next() % 4;
      for (size_t f = 0; f < flips; ++f) bad[rng.Next() % bad.size()] ^= 1 << (rng.Next() % 8);
      std::vector<uint8_t> out(s.raw.size());
      (void)ArrayCodec().Decode(bad, out);  // any status; must not crash or overrun
    }
  }
}

TEST(ArrayCodecTest, RandomBodiesNeverCrash) {
  TestRng rng(43);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> body = rng.Bytes(rng.Next() % 64);
    if (body.size() >= 2 && trial % 2 == 0) {
      body[0] = ArrayCodec::kFormatVersion;
      body[1] = kDefaultLevel;
    }
    std::vector<uint8_t> out(rng.Next() % 256);
    (void)ArrayCodec().Decode(body, out);
  }
}

}  // namespace
}  // namespace lmarc
