#include "model/array/array_layout.h"

#include <array>

namespace lmarc::array {
namespace {

struct DTypeInfo {
  std::string_view name;
  size_t bytes;
  bool is_float;
  bool is_signed;
};

// Indexed by the DType value.
constexpr std::array<DTypeInfo, kDTypeCount> kDTypes = {{
    {"f32", 4, true, false},
    {"f64", 8, true, false},
    {"i8", 1, false, true},
    {"i16", 2, false, true},
    {"i32", 4, false, true},
    {"i64", 8, false, true},
    {"u8", 1, false, false},
    {"u16", 2, false, false},
    {"u32", 4, false, false},
    {"u64", 8, false, false},
    {"i24", 3, false, true},
}};

const DTypeInfo& Info(DType dtype) { return kDTypes[static_cast<size_t>(dtype)]; }

// Longest LEB128 encoding of a 64-bit value: ceil(64 / 7) groups.
constexpr int kMaxVarintBytes = 10;

}  // namespace

size_t ElementBytes(DType dtype) { return Info(dtype).bytes; }
bool IsFloat(DType dtype) { return Info(dtype).is_float; }
bool IsSigned(DType dtype) { return Info(dtype).is_signed; }
std::string_view DTypeName(DType dtype) { return Info(dtype).name; }

Status ParseDType(std::string_view name, DType* out) {
  for (size_t i = 0; i < kDTypes.size(); ++i) {
    if (kDTypes[i].name == name) {
      *out = static_cast<DType>(i);
      return Status::Ok();
    }
  }
  return InvalidArgument("unknown dtype '" + std::string(name) +
                         "' (expected f32, f64, i8, i16, i24, i32, i64, u8, u16, u32 or u64)");
}

Status ParseShape(std::string_view text, std::vector<uint64_t>* shape) {
  shape->clear();
  const auto bad = [&] {
    return InvalidArgument("invalid shape '" + std::string(text) +
                           "' (expected extents like 512x512x64, at most 8, each >= 1)");
  };
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('x', start), text.size());
    const std::string_view part = text.substr(start, end - start);
    if (part.empty() || part.size() > 19 || part.find_first_not_of("0123456789") != std::string_view::npos) {
      return bad();
    }
    uint64_t extent = 0;
    for (char c : part) extent = extent * 10 + static_cast<uint64_t>(c - '0');
    if (extent == 0 || shape->size() == kMaxRank) return bad();
    shape->push_back(extent);
    start = end + 1;
  }
  return Status::Ok();
}

std::string Describe(const ArrayLayout& layout) {
  std::string text(DTypeName(layout.dtype));
  text += layout.byte_order == ByteOrder::kLittle ? " little " : " big ";
  for (size_t d = 0; d < layout.shape.size(); ++d) {
    if (d > 0) text += 'x';
    text += std::to_string(layout.shape[d]);
  }
  return text;
}

Status CountElements(const ArrayLayout& layout, uint64_t* elements) {
  if (layout.shape.empty() || layout.shape.size() > kMaxRank) {
    return InvalidArgument("array rank " + std::to_string(layout.shape.size()) +
                           " is outside 1..8");
  }
  uint64_t product = 1;
  for (const uint64_t extent : layout.shape) {
    if (__builtin_mul_overflow(product, extent, &product)) {
      return InvalidArgument("array shape " + Describe(layout) + " overflows 64 bits");
    }
  }
  *elements = product;
  return Status::Ok();
}

Status ValidateLayout(const ArrayLayout& layout, uint64_t raw_bytes) {
  if (static_cast<int>(layout.dtype) >= kDTypeCount) {
    return InvalidArgument("array dtype " + std::to_string(static_cast<int>(layout.dtype)) +
                           " is unknown");
  }
  if (layout.byte_order != ByteOrder::kLittle && layout.byte_order != ByteOrder::kBig) {
    return InvalidArgument("array byte order is unknown");
  }
  uint64_t elements = 0;
  RETURN_IF_ERROR(CountElements(layout, &elements));
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(elements, uint64_t{ElementBytes(layout.dtype)}, &bytes) ||
      bytes != raw_bytes) {
    return InvalidArgument("array layout " + Describe(layout) + " does not describe " +
                           std::to_string(raw_bytes) + " bytes");
  }
  return Status::Ok();
}

void AppendVarint(uint64_t value, std::vector<uint8_t>* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<uint8_t>(value));
}

Status ReadVarint(ByteReader* reader, std::string_view field, uint64_t* out) {
  uint64_t value = 0;
  for (int group = 0; group < kMaxVarintBytes; ++group) {
    uint8_t byte = 0;
    RETURN_IF_ERROR(reader->U8(field, &byte));
    const uint64_t bits = byte & 0x7F;
    // The 10th group holds bit 63 only.
    if (group == kMaxVarintBytes - 1 && bits > 1) {
      return Corrupt(std::string(field) + " varint overflows 64 bits");
    }
    value |= bits << (7 * group);
    if ((byte & 0x80) == 0) {
      // Canonical form: a final group of 0 after other groups is redundant.
      if (byte == 0 && group > 0) return Corrupt(std::string(field) + " varint is not canonical");
      *out = value;
      return Status::Ok();
    }
  }
  return Corrupt(std::string(field) + " varint is longer than 10 bytes");
}

void AppendLayoutRecord(const ArrayLayout& layout, std::vector<uint8_t>* out) {
  out->push_back(kLayoutRecordVersion);
  out->push_back(static_cast<uint8_t>(layout.dtype));
  out->push_back(static_cast<uint8_t>(layout.byte_order));
  out->push_back(static_cast<uint8_t>(layout.shape.size()));
  for (const uint64_t extent : layout.shape) AppendVarint(extent, out);
}

Status ReadLayoutRecord(ByteReader* reader, ArrayLayout* out) {
  uint8_t version = 0, dtype = 0, byte_order = 0, rank = 0;
  RETURN_IF_ERROR(reader->U8("layout record version", &version));
  if (version != kLayoutRecordVersion) {
    return Unsupported("array layout record version " + std::to_string(version) +
                       " is unknown");
  }
  RETURN_IF_ERROR(reader->U8("layout dtype", &dtype));
  RETURN_IF_ERROR(reader->U8("layout byte order", &byte_order));
  RETURN_IF_ERROR(reader->U8("layout rank", &rank));
  if (dtype >= kDTypeCount)
    return Corrupt("array layout dtype " + std::to_string(dtype) + " is unknown");
  if (byte_order > static_cast<uint8_t>(ByteOrder::kBig)) {
    return Corrupt("array layout byte order " + std::to_string(byte_order) + " is unknown");
  }
  if (rank < 1 || rank > kMaxRank) {
    return Corrupt("array layout rank " + std::to_string(rank) + " is outside 1..8");
  }
  ArrayLayout layout;
  layout.dtype = static_cast<DType>(dtype);
  layout.byte_order = static_cast<ByteOrder>(byte_order);
  layout.shape.resize(rank);
  for (uint64_t& extent : layout.shape)
    RETURN_IF_ERROR(ReadVarint(reader, "layout extent", &extent));
  *out = std::move(layout);
  return Status::Ok();
}

}  // namespace lmarc::array
