// NetCDF-3 headers — classic (CDF-1), 64-bit offset (CDF-2) and 64-bit data
// (CDF-5) — parsed from untrusted bytes, and the byte regions of every
// variable's data described as typed arrays (ArrayLayout, big-endian).
//
// Grammar: Unidata, "NetCDF File Format Specifications"; CDF-5 as in PnetCDF:
// every NON_NEG (numrecs, list counts, name lengths, dimension lengths,
// dimension ids, vsize) is 64-bit, tags and nc_type stay 32-bit, offsets
// are 32-bit in CDF-1 only.
//
// The file is hostile: every count, length, size and offset read from it is
// checked against the file size before use, all arithmetic on them is
// overflow-checked, and nothing is allocated beyond what the bytes parsed so
// far can describe. A header that parses is also consistent: every variable's
// data lies in the file after the header, and no two variables' regions
// overlap. Failures are one-line kCorrupt errors naming the cause; callers
// then store the file as plain bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/array/array_layout.h"
#include "src/status.h"

namespace lmarc {

// The version byte of the magic 'C' 'D' 'F' VERSION.
enum class Netcdf3Format : uint8_t { kClassic = 1, kOffset64 = 2, kData64 = 5 };

// External types; the values are the nc_type codes of the file. CDF-1 and
// CDF-2 allow kByte..kDouble only.
enum class NcType : uint8_t {
  kByte = 1,    // signed 8-bit
  kChar = 2,    // text byte
  kShort = 3,
  kInt = 4,
  kFloat = 5,
  kDouble = 6,
  kUByte = 7,
  kUShort = 8,
  kUInt = 9,
  kInt64 = 10,
  kUInt64 = 11,
};

size_t NcTypeBytes(NcType type);          // 1, 2, 4 or 8
std::string_view NcTypeName(NcType type);  // "byte", "char", ..., "uint64" (CDL spelling)
// The array element type of a type's values: byte → i8, char → u8 (text:
// callers may prefer the byte codecs for it), short → i16, ... uint64 → u64.
array::DType NcTypeDType(NcType type);

struct Netcdf3Dimension {
  std::string name;
  uint64_t length = 0;  // the record dimension's length is the header's numrecs
  bool is_record = false;
};

struct Netcdf3Variable {
  std::string name;
  NcType type = NcType::kByte;
  std::vector<uint64_t> dimension_ids;  // indexes into Netcdf3Header::dimensions, outermost first
  std::vector<uint64_t> shape;          // extents outermost first (numrecs first for a record
                                        // variable); empty for a scalar
  bool is_record = false;  // the first dimension is the record dimension
  uint64_t begin = 0;      // file offset of the data (of record 0 for a record variable)
  // Bytes of the data (of one record's slab for a record variable), without
  // and with the padding to a multiple of 4; vsize is computed from the
  // shape (the stored field is checked against it and may be the 2^32 - 1
  // sentinel of large variables in CDF-1/2).
  uint64_t data_bytes = 0;
  uint64_t vsize = 0;
};

struct Netcdf3Header {
  Netcdf3Format format = Netcdf3Format::kClassic;
  // Records in the file; computed from the file size when the header says
  // STREAMING (all bits set).
  uint64_t numrecs = 0;
  bool streaming = false;
  std::vector<Netcdf3Dimension> dimensions;  // at most one is_record
  std::vector<Netcdf3Variable> variables;    // in header order
  uint64_t header_bytes = 0;  // the header occupies [0, header_bytes) of the file
  // Distance in bytes between the starts of consecutive records: the sum of
  // the record variables' vsize, or the unpadded slab of the only record
  // variable (spec, "Note on padding"); 0 without record variables.
  uint64_t record_bytes = 0;
  uint64_t file_bytes = 0;  // size of the file the header was validated against
};

// The byte regions of one variable's data, all with the same layout: region
// i (i < count) is [Offset(i), Offset(i) + region_bytes). A fixed-size
// variable has one region; a record variable has one per record, numrecs of
// them (possibly none), `stride` = record_bytes apart.
struct Netcdf3Regions {
  // dtype from NcTypeDType, big-endian. Shape: the variable's, with the
  // record extent replaced by 1 for a record variable's slab, {1} for a
  // scalar; beyond array::kMaxRank extents the outermost ones are merged
  // into one (the C-order bytes are the same).
  array::ArrayLayout layout;
  uint64_t first_offset = 0;
  uint64_t stride = 0;
  uint64_t count = 0;
  uint64_t region_bytes = 0;  // = the variable's data_bytes

  // No overflow for index < count: the parse checked the last region's end.
  uint64_t Offset(uint64_t index) const { return first_offset + index * stride; }
};

// True when `head` starts with a NetCDF-3 magic (CDF\1, CDF\2 or CDF\5).
bool HasNetcdf3Magic(std::span<const uint8_t> head);

// Parses the header from `head`, the first bytes of a file of `file_bytes`
// bytes (head.size() <= file_bytes), and validates it against the file size.
// kCorrupt when the header is malformed or inconsistent with the file;
// kResourceLimit when the header runs past `head` but the file is longer:
// the caller may retry with more bytes.
[[nodiscard]] StatusOr<Netcdf3Header> ParseNetcdf3Header(std::span<const uint8_t> head,
                                                         uint64_t file_bytes);

// Reads and parses the header of the regular file at `path`, reading as
// much of the file as the header needs (at most kMaxNetcdf3HeaderBytes:
// kResourceLimit beyond). Errors name no path: callers add it.
inline constexpr uint64_t kMaxNetcdf3HeaderBytes = uint64_t{256} << 20;
[[nodiscard]] StatusOr<Netcdf3Header> ReadNetcdf3Header(const std::string& path);

// The regions of `variable`, one of header.variables (validated by the parse).
Netcdf3Regions VariableRegions(const Netcdf3Header& header, const Netcdf3Variable& variable);

}  // namespace lmarc
