// ArrayLayout: what the bytes of a typed N-D array mean — element type, byte
// order and shape — plus its validation against a byte count and its compact
// serialised form (the layout record of an `array` codec body, docs/array.md).
//
// The shape lists extents outermost first (C order: the last dimension varies
// fastest). An extent of 0 is allowed and makes the array empty: it is the
// only way to describe 0 raw bytes, which a codec must accept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/byte_reader.h"
#include "src/status.h"

namespace lmarc::array {

// Element types. The numeric values are stored in bodies: never renumber.
enum class DType : uint8_t {
  kF32 = 0,
  kF64 = 1,
  kI8 = 2,
  kI16 = 3,
  kI32 = 4,
  kI64 = 5,
  kU8 = 6,
  kU16 = 7,
  kU32 = 8,
  kU64 = 9,
  // 24-bit two's complement in 3 bytes (PCM audio); coded as 32-bit values
  // below 2^24 (value_map.h).
  kI24 = 10,
};
inline constexpr int kDTypeCount = 11;

// Byte order of the elements in the raw bytes. Stored in bodies.
enum class ByteOrder : uint8_t { kLittle = 0, kBig = 1 };

inline constexpr int kMaxRank = 8;

// Bytes per element: 1, 2, 3 (i24), 4 or 8.
size_t ElementBytes(DType dtype);
bool IsFloat(DType dtype);
bool IsSigned(DType dtype);  // true for the signed integer types only
// "f32", "i16", ... (the spelling of --dtype options and of error messages).
std::string_view DTypeName(DType dtype);
[[nodiscard]] Status ParseDType(std::string_view name, DType* out);

// "4x190x174" -> {4, 190, 174} (1..kMaxRank extents, each >= 1, the
// spelling of --shape options); InvalidArgument on anything else.
[[nodiscard]] Status ParseShape(std::string_view text, std::vector<uint64_t>* shape);

struct ArrayLayout {
  DType dtype = DType::kU8;
  ByteOrder byte_order = ByteOrder::kLittle;
  std::vector<uint64_t> shape;  // 1..kMaxRank extents, outermost first

  bool operator==(const ArrayLayout&) const = default;
};

// "f32 little 4x190x174": for messages and tools.
std::string Describe(const ArrayLayout& layout);

// Sets *elements to product(shape); InvalidArgument when the rank is outside
// 1..kMaxRank or the product overflows 64 bits.
[[nodiscard]] Status CountElements(const ArrayLayout& layout, uint64_t* elements);

// OK when the layout is well formed and describes exactly `raw_bytes` bytes
// (product(shape) * ElementBytes(dtype) == raw_bytes, computed without
// overflow); InvalidArgument otherwise.
[[nodiscard]] Status ValidateLayout(const ArrayLayout& layout, uint64_t raw_bytes);

// Layout record, version 1 (all fields little-endian):
//   u8 record version (1), u8 dtype, u8 byte order, u8 rank (1..8),
//   rank extents as unsigned LEB128 varints (at most 10 bytes, no redundant
//   trailing zero groups).
inline constexpr uint8_t kLayoutRecordVersion = 1;
void AppendLayoutRecord(const ArrayLayout& layout, std::vector<uint8_t>* out);

// Reads a layout record; Corrupt on truncation, unknown enumerators, a rank
// outside 1..8 or a non-canonical varint, Unsupported on a newer record
// version. Does not check the layout against a byte count: callers do that
// with ValidateLayout.
[[nodiscard]] Status ReadLayoutRecord(ByteReader* reader, ArrayLayout* out);

// Unsigned LEB128, shared by the layout record and the codec header.
void AppendVarint(uint64_t value, std::vector<uint8_t>* out);
[[nodiscard]] Status ReadVarint(ByteReader* reader, std::string_view field, uint64_t* out);

}  // namespace lmarc::array
