// ArrayLayout: element types, validation against byte counts, the layout
// record and its varints (model/array/array_layout.h).
#include "model/array/array_layout.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace lmarc::array {
namespace {

std::vector<uint8_t> Record(const ArrayLayout& layout) {
  std::vector<uint8_t> bytes;
  AppendLayoutRecord(layout, &bytes);
  return bytes;
}

Status ReadRecord(const std::vector<uint8_t>& bytes, ArrayLayout* out) {
  ByteReader reader(bytes, "layout record");
  return ReadLayoutRecord(&reader, out);
}

TEST(ArrayLayoutTest, ElementTypes) {
  const struct {
    DType dtype;
    const char* name;
    size_t bytes;
    bool is_float, is_signed;
  } kExpected[] = {
      {DType::kF32, "f32", 4, true, false}, {DType::kF64, "f64", 8, true, false},
      {DType::kI8, "i8", 1, false, true},   {DType::kI16, "i16", 2, false, true},
      {DType::kI32, "i32", 4, false, true}, {DType::kI64, "i64", 8, false, true},
      {DType::kU8, "u8", 1, false, false},  {DType::kU16, "u16", 2, false, false},
      {DType::kU32, "u32", 4, false, false}, {DType::kU64, "u64", 8, false, false},
      {DType::kI24, "i24", 3, false, true},
  };
  for (const auto& e : kExpected) {
    EXPECT_EQ(DTypeName(e.dtype), e.name);
    EXPECT_EQ(ElementBytes(e.dtype), e.bytes);
    EXPECT_EQ(IsFloat(e.dtype), e.is_float);
    EXPECT_EQ(IsSigned(e.dtype), e.is_signed);
    DType parsed = DType::kU8;
    ASSERT_TRUE(ParseDType(e.name, &parsed).ok());
    EXPECT_EQ(parsed, e.dtype);
  }
  DType parsed = DType::kU8;
  EXPECT_EQ(ParseDType("float", &parsed).code(), StatusCode::kInvalidArgument);
}

TEST(ArrayLayoutTest, ValidatesAgainstByteCount) {
  const ArrayLayout layout{DType::kF32, ByteOrder::kBig, {4, 190, 174}};
  EXPECT_TRUE(ValidateLayout(layout, 4 * 190 * 174 * 4).ok());
  EXPECT_EQ(ValidateLayout(layout, 4 * 190 * 174 * 4 - 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateLayout(layout, 4 * 190 * 174).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Describe(layout), "f32 big 4x190x174");
}

TEST(ArrayLayoutTest, RankMustBeOneToEight) {
  ArrayLayout layout{DType::kU8, ByteOrder::kLittle, {}};
  EXPECT_FALSE(ValidateLayout(layout, 0).ok());
  layout.shape.assign(8, 2);
  EXPECT_TRUE(ValidateLayout(layout, 256).ok());
  layout.shape.assign(9, 2);
  EXPECT_FALSE(ValidateLayout(layout, 512).ok());
}

TEST(ArrayLayoutTest, OverflowingShapesAreRejected) {
  // 2^32 * 2^32 overflows the element count; 2^62 f64 elements overflow bytes.
  EXPECT_FALSE(ValidateLayout({DType::kU8, ByteOrder::kLittle, {1ull << 32, 1ull << 32}}, 0).ok());
  EXPECT_FALSE(ValidateLayout({DType::kF64, ByteOrder::kLittle, {1ull << 62}}, 0).ok());
  // Wrapping to the right byte count must not pass either.
  EXPECT_FALSE(ValidateLayout({DType::kF64, ByteOrder::kLittle, {(1ull << 61) + 1}}, 8).ok());
}

TEST(ArrayLayoutTest, ZeroExtentDescribesNoBytes) {
  EXPECT_TRUE(ValidateLayout({DType::kF32, ByteOrder::kLittle, {0}}, 0).ok());
  EXPECT_TRUE(ValidateLayout({DType::kF32, ByteOrder::kLittle, {3, 0, 5}}, 0).ok());
  EXPECT_FALSE(ValidateLayout({DType::kF32, ByteOrder::kLittle, {3, 0, 5}}, 4).ok());
}

TEST(ArrayLayoutTest, RecordRoundTrips) {
  const std::vector<ArrayLayout> layouts = {
      {DType::kF32, ByteOrder::kLittle, {1}},
      {DType::kF64, ByteOrder::kBig, {30, 2661, 3}},
      {DType::kI16, ByteOrder::kLittle, {0}},
      {DType::kU64, ByteOrder::kBig, {1, 127, 128, 16383, 16384, 1ull << 40, UINT64_MAX, 5}},
  };
  for (const ArrayLayout& layout : layouts) {
    const std::vector<uint8_t> bytes = Record(layout);
    ArrayLayout read;
    ASSERT_TRUE(ReadRecord(bytes, &read).ok()) << Describe(layout);
    EXPECT_EQ(read, layout);
  }
  // Compact: version, dtype, order, rank, then one byte per extent below 128.
  EXPECT_EQ(Record({DType::kF32, ByteOrder::kLittle, {100, 100}}).size(), 6u);
}

TEST(ArrayLayoutTest, TruncatedRecordsAreCorrupt) {
  const std::vector<uint8_t> bytes = Record({DType::kF64, ByteOrder::kBig, {300, 70000, 3}});
  for (size_t keep = 0; keep < bytes.size(); ++keep) {
    ArrayLayout read;
    const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + keep);
    EXPECT_EQ(ReadRecord(prefix, &read).code(), StatusCode::kCorrupt) << "kept " << keep;
  }
}

TEST(ArrayLayoutTest, HostileRecordsAreRejected) {
  ArrayLayout read;
  EXPECT_EQ(ReadRecord({2, 0, 0, 1, 5}, &read).code(), StatusCode::kUnsupported);  // version
  EXPECT_EQ(ReadRecord({1, kDTypeCount, 0, 1, 5}, &read).code(), StatusCode::kCorrupt);  // dtype
  EXPECT_EQ(ReadRecord({1, 0, 2, 1, 5}, &read).code(), StatusCode::kCorrupt);      // order
  EXPECT_EQ(ReadRecord({1, 0, 0, 0}, &read).code(), StatusCode::kCorrupt);         // rank 0
  EXPECT_EQ(ReadRecord({1, 0, 0, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1}, &read).code(),
            StatusCode::kCorrupt);  // rank 9
  EXPECT_EQ(ReadRecord({1, 0, 0, 1, 0x85, 0x00}, &read).code(),
            StatusCode::kCorrupt);  // non-canonical
  // 2^64 needs an 11th group or a 10th group above 1.
  EXPECT_EQ(ReadRecord({1, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02},
                       &read)
                .code(),
            StatusCode::kCorrupt);
  EXPECT_EQ(ReadRecord({1, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                        0x01},
                       &read)
                .code(),
            StatusCode::kCorrupt);
}

}  // namespace
}  // namespace lmarc::array
