#include "io/netcdf3_header.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "io/unique_fd.h"

namespace lmarc {
namespace {

struct NcTypeInfo {
  std::string_view name;
  size_t bytes;
  array::DType dtype;
};

// Indexed by nc_type code - 1.
constexpr std::array<NcTypeInfo, 11> kNcTypes = {{
    {"byte", 1, array::DType::kI8},
    {"char", 1, array::DType::kU8},
    {"short", 2, array::DType::kI16},
    {"int", 4, array::DType::kI32},
    {"float", 4, array::DType::kF32},
    {"double", 8, array::DType::kF64},
    {"ubyte", 1, array::DType::kU8},
    {"ushort", 2, array::DType::kU16},
    {"uint", 4, array::DType::kU32},
    {"int64", 8, array::DType::kI64},
    {"uint64", 8, array::DType::kU64},
}};

const NcTypeInfo& Info(NcType type) { return kNcTypes[static_cast<size_t>(type) - 1]; }

// 32-bit list tags; ABSENT is a zero tag followed by a zero count.
constexpr uint32_t kTagAbsent = 0x00;
constexpr uint32_t kTagDimension = 0x0A;
constexpr uint32_t kTagVariable = 0x0B;
constexpr uint32_t kTagAttribute = 0x0C;

// The largest vsize of CDF-1/2; bigger variables store the sentinel 2^32 - 1.
constexpr uint64_t kMaxVsize32 = 0xFFFFFFFCu;
constexpr uint64_t kVsizeSentinel32 = 0xFFFFFFFFu;

// First bytes read by ReadNetcdf3Header; each retry reads 4 times more.
constexpr uint64_t kFirstReadBytes = 64 << 10;

uint64_t PaddedTo4(uint64_t bytes) { return bytes + (4 - bytes % 4) % 4; }

std::string Quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

// Sequential big-endian reads over the first bytes of a file. Reads that
// would pass the end of the file are kCorrupt; reads that stay in the file
// but pass the end of `head` are kResourceLimit (ParseNetcdf3Header's "give
// me more bytes").
class HeaderReader {
 public:
  HeaderReader(std::span<const uint8_t> head, uint64_t file_bytes, Netcdf3Format format)
      : head_(head), file_bytes_(file_bytes), format_(format) {}

  uint64_t position() const { return position_; }
  // Bytes of the file after the current position.
  uint64_t remaining() const { return file_bytes_ - position_; }
  // Width of NON_NEG fields (counts, lengths, ids, vsize).
  uint64_t non_neg_bytes() const { return format_ == Netcdf3Format::kData64 ? 8 : 4; }
  Netcdf3Format format() const { return format_; }

  [[nodiscard]] Status Bytes(uint64_t count, std::string_view field, const uint8_t** out) {
    if (count > remaining()) {
      return Corrupt("NetCDF-3 header truncated: " + std::string(field) + " needs " +
                     std::to_string(count) + " bytes at offset " + std::to_string(position_) +
                     " but the file has " + std::to_string(file_bytes_) + " bytes");
    }
    if (count > head_.size() - position_) {
      return ResourceLimit("NetCDF-3 header continues past the first " +
                           std::to_string(head_.size()) + " bytes read");
    }
    *out = head_.data() + position_;
    position_ += count;
    return Status::Ok();
  }
  [[nodiscard]] Status U32(std::string_view field, uint64_t* out) { return BigEndian(4, field, out); }
  [[nodiscard]] Status NonNeg(std::string_view field, uint64_t* out) {
    return BigEndian(non_neg_bytes(), field, out);
  }
  [[nodiscard]] Status Offset(std::string_view field, uint64_t* out) {
    return BigEndian(format_ == Netcdf3Format::kClassic ? 4 : 8, field, out);
  }
  // A list count: Corrupt when `count` items of at least `min_item_bytes`
  // each cannot fit in the rest of the file (so callers may allocate them).
  [[nodiscard]] Status CheckCount(uint64_t count, uint64_t min_item_bytes,
                                  std::string_view what) const {
    if (count > remaining() / min_item_bytes) {
      return Corrupt("NetCDF-3 " + std::string(what) + " count " + std::to_string(count) +
                     " exceeds what the remaining " + std::to_string(remaining()) +
                     " bytes of the file can hold");
    }
    return Status::Ok();
  }

 private:
  [[nodiscard]] Status BigEndian(uint64_t width, std::string_view field, uint64_t* out) {
    const uint8_t* p = nullptr;
    RETURN_IF_ERROR(Bytes(width, field, &p));
    uint64_t value = 0;
    for (uint64_t i = 0; i < width; ++i) value = value << 8 | p[i];
    *out = value;
    return Status::Ok();
  }

  std::span<const uint8_t> head_;  // invariant: head_.size() <= file_bytes_
  uint64_t file_bytes_;
  Netcdf3Format format_;
  uint64_t position_ = 0;  // invariant: position_ <= head_.size()
};

// name = nelems namestring padding; non-empty, without '/' or NUL (names
// become parts of dataset paths).
Status ReadName(HeaderReader* reader, std::string_view what, std::string* out) {
  uint64_t length = 0;
  RETURN_IF_ERROR(reader->NonNeg(std::string(what) + " name length", &length));
  if (length == 0) return Corrupt("NetCDF-3 " + std::string(what) + " has an empty name");
  if (length > reader->remaining()) {
    return Corrupt("NetCDF-3 " + std::string(what) + " name length " + std::to_string(length) +
                   " exceeds the remaining " + std::to_string(reader->remaining()) + " bytes");
  }
  const uint8_t* bytes = nullptr;
  RETURN_IF_ERROR(reader->Bytes(PaddedTo4(length), std::string(what) + " name", &bytes));
  out->assign(reinterpret_cast<const char*>(bytes), length);
  if (out->find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
    return Corrupt("NetCDF-3 " + std::string(what) + " name contains '/' or NUL");
  }
  return Status::Ok();
}

Status ReadType(HeaderReader* reader, std::string_view owner, NcType* out) {
  uint64_t code = 0;
  RETURN_IF_ERROR(reader->U32(std::string(owner) + " nc_type", &code));
  const uint64_t last = reader->format() == Netcdf3Format::kData64 ? 11 : 6;
  if (code < 1 || code > last) {
    return Corrupt("NetCDF-3 " + std::string(owner) + " has nc_type " + std::to_string(code) +
                   " (this format allows 1.." + std::to_string(last) + ")");
  }
  *out = static_cast<NcType>(code);
  return Status::Ok();
}

// Reads a list's tag and count: ABSENT gives a count of 0.
Status ReadListHead(HeaderReader* reader, uint32_t tag, std::string_view what,
                    uint64_t* count) {
  uint64_t read_tag = 0;
  RETURN_IF_ERROR(reader->U32(std::string(what) + " list tag", &read_tag));
  RETURN_IF_ERROR(reader->NonNeg(std::string(what) + " count", count));
  if (read_tag == kTagAbsent && *count == 0) return Status::Ok();
  if (read_tag != tag) {
    return Corrupt("NetCDF-3 " + std::string(what) + " list has tag " + std::to_string(read_tag) +
                   " and count " + std::to_string(*count) + " (expected tag " +
                   std::to_string(tag) + " or ABSENT)");
  }
  return Status::Ok();
}

// att_list: validated and skipped (values are not needed to locate data).
Status SkipAttributes(HeaderReader* reader, std::string_view owner) {
  const std::string what = std::string(owner) + " attribute";
  uint64_t count = 0;
  RETURN_IF_ERROR(ReadListHead(reader, kTagAttribute, what, &count));
  // name (length field + at least 4 bytes), nc_type, nelems.
  RETURN_IF_ERROR(reader->CheckCount(count, 2 * reader->non_neg_bytes() + 8, what));
  for (uint64_t i = 0; i < count; ++i) {
    std::string name;
    RETURN_IF_ERROR(ReadName(reader, what, &name));
    NcType type = NcType::kByte;
    RETURN_IF_ERROR(ReadType(reader, "attribute " + Quoted(name), &type));
    uint64_t elements = 0;
    RETURN_IF_ERROR(reader->NonNeg("attribute value count", &elements));
    uint64_t value_bytes = 0;
    if (__builtin_mul_overflow(elements, NcTypeBytes(type), &value_bytes) ||
        value_bytes > reader->remaining()) {
      return Corrupt("NetCDF-3 attribute " + Quoted(name) + " claims " + std::to_string(elements) +
                     " values, more than the remaining " + std::to_string(reader->remaining()) +
                     " bytes hold");
    }
    const uint8_t* values = nullptr;
    RETURN_IF_ERROR(reader->Bytes(PaddedTo4(value_bytes), "attribute values", &values));
  }
  return Status::Ok();
}

Status ReadDimensions(HeaderReader* reader, std::vector<Netcdf3Dimension>* dimensions) {
  uint64_t count = 0;
  RETURN_IF_ERROR(ReadListHead(reader, kTagDimension, "dimension", &count));
  RETURN_IF_ERROR(reader->CheckCount(count, 2 * reader->non_neg_bytes() + 4, "dimension"));
  dimensions->resize(count);
  bool seen_record = false;
  for (Netcdf3Dimension& dimension : *dimensions) {
    RETURN_IF_ERROR(ReadName(reader, "dimension", &dimension.name));
    RETURN_IF_ERROR(reader->NonNeg("dimension length", &dimension.length));
    dimension.is_record = dimension.length == 0;
    if (dimension.is_record && seen_record) {
      return Corrupt("NetCDF-3 header has more than one record dimension (" +
                     Quoted(dimension.name) + ")");
    }
    seen_record |= dimension.is_record;
  }
  return Status::Ok();
}

// Reads one var entry and derives its shape (record extent left 0), data
// bytes and vsize.
Status ReadVariable(HeaderReader* reader, const std::vector<Netcdf3Dimension>& dimensions,
                    Netcdf3Variable* variable) {
  RETURN_IF_ERROR(ReadName(reader, "variable", &variable->name));
  const std::string what = "variable " + Quoted(variable->name);
  uint64_t rank = 0;
  RETURN_IF_ERROR(reader->NonNeg(what + " rank", &rank));
  RETURN_IF_ERROR(reader->CheckCount(rank, reader->non_neg_bytes(), what + " dimension id"));
  variable->dimension_ids.resize(rank);
  variable->shape.resize(rank);
  for (uint64_t d = 0; d < rank; ++d) {
    uint64_t id = 0;
    RETURN_IF_ERROR(reader->NonNeg(what + " dimension id", &id));
    if (id >= dimensions.size()) {
      return Corrupt("NetCDF-3 " + what + " uses dimension id " + std::to_string(id) + " of " +
                     std::to_string(dimensions.size()));
    }
    if (dimensions[id].is_record && d > 0) {
      return Corrupt("NetCDF-3 " + what + " has the record dimension in position " +
                     std::to_string(d) + " (it must be first)");
    }
    variable->dimension_ids[d] = id;
    variable->shape[d] = dimensions[id].length;
  }
  variable->is_record = rank > 0 && dimensions[variable->dimension_ids[0]].is_record;
  RETURN_IF_ERROR(SkipAttributes(reader, what));
  RETURN_IF_ERROR(ReadType(reader, what, &variable->type));
  uint64_t stored_vsize = 0;
  RETURN_IF_ERROR(reader->NonNeg(what + " vsize", &stored_vsize));
  RETURN_IF_ERROR(reader->Offset(what + " begin", &variable->begin));

  uint64_t bytes = NcTypeBytes(variable->type);
  for (uint64_t d = variable->is_record ? 1 : 0; d < rank; ++d) {
    if (__builtin_mul_overflow(bytes, variable->shape[d], &bytes) || bytes > UINT64_MAX - 3) {
      return Corrupt("NetCDF-3 " + what + " size overflows 64 bits");
    }
  }
  variable->data_bytes = bytes;
  variable->vsize = PaddedTo4(bytes);
  const bool large_sentinel = reader->format() != Netcdf3Format::kData64 &&
                              variable->vsize > kMaxVsize32 && stored_vsize == kVsizeSentinel32;
  if (stored_vsize != variable->vsize && !large_sentinel) {
    return Corrupt("NetCDF-3 " + what + " has vsize " + std::to_string(stored_vsize) +
                   " but its shape and type give " + std::to_string(variable->vsize));
  }
  return Status::Ok();
}

// A byte range [begin, end) claimed by variable data (in the file, or in one
// record), for the overlap check.
struct Claim {
  uint64_t begin;
  uint64_t end;
  std::string_view owner;
};

// Sorts `claims` and fails when two overlap.
Status CheckDisjoint(std::vector<Claim> claims) {
  std::sort(claims.begin(), claims.end(),
            [](const Claim& a, const Claim& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < claims.size(); ++i) {
    if (claims[i].begin < claims[i - 1].end) {
      return Corrupt("NetCDF-3 data of " + std::string(claims[i - 1].owner) + " and " +
                     std::string(claims[i].owner) + " overlap");
    }
  }
  return Status::Ok();
}

// Sets record_bytes and (for STREAMING) numrecs, fills in the record
// extents, and checks that every region lies in [header_bytes, file_bytes)
// and that no two overlap.
Status LayOutData(Netcdf3Header* header) {
  std::vector<Netcdf3Variable*> record_variables;
  for (Netcdf3Variable& variable : header->variables) {
    if (variable.is_record) record_variables.push_back(&variable);
  }
  std::sort(record_variables.begin(), record_variables.end(),
            [](const Netcdf3Variable* a, const Netcdf3Variable* b) { return a->begin < b->begin; });
  uint64_t record_bytes = 0;
  for (const Netcdf3Variable* variable : record_variables) {
    if (__builtin_add_overflow(record_bytes, variable->vsize, &record_bytes)) {
      return Corrupt("NetCDF-3 record size overflows 64 bits");
    }
  }
  if (record_variables.size() == 1) record_bytes = record_variables[0]->data_bytes;
  header->record_bytes = record_bytes;

  std::vector<Claim> claims;
  uint64_t record_begin = 0;
  uint64_t end_in_record = 0;  // end of the last slab, relative to record_begin
  if (!record_variables.empty()) {
    record_begin = record_variables.front()->begin;
    std::vector<Claim> slabs;
    for (const Netcdf3Variable* variable : record_variables) {
      const uint64_t offset_in_record = variable->begin - record_begin;
      if (variable->begin < header->header_bytes || offset_in_record > record_bytes ||
          variable->data_bytes > record_bytes - offset_in_record) {
        return Corrupt("NetCDF-3 record variable " + Quoted(variable->name) + " at offset " +
                       std::to_string(variable->begin) + " lies outside the header's record of " +
                       std::to_string(record_bytes) + " bytes starting at " +
                       std::to_string(record_begin));
      }
      slabs.push_back({offset_in_record, offset_in_record + variable->data_bytes, variable->name});
      end_in_record = std::max(end_in_record, offset_in_record + variable->data_bytes);
    }
    RETURN_IF_ERROR(CheckDisjoint(std::move(slabs)));
    if (header->streaming) {
      header->numrecs = header->file_bytes >= record_begin
                            ? (header->file_bytes - record_begin) / record_bytes
                            : 0;
    }
    uint64_t records_end = 0;  // end of the last record's last slab
    if (header->numrecs > 0) {
      if (__builtin_mul_overflow(header->numrecs - 1, record_bytes, &records_end) ||
          __builtin_add_overflow(records_end, record_begin, &records_end) ||
          __builtin_add_overflow(records_end, end_in_record, &records_end) ||
          records_end > header->file_bytes) {
        return Corrupt("NetCDF-3 header claims " + std::to_string(header->numrecs) +
                       " records of " + std::to_string(record_bytes) + " bytes from offset " +
                       std::to_string(record_begin) + ", beyond the file's " +
                       std::to_string(header->file_bytes) + " bytes");
      }
      claims.push_back({record_begin, records_end, "the records"});
    }
  } else if (header->streaming) {
    header->numrecs = 0;
  }
  for (Netcdf3Dimension& dimension : header->dimensions) {
    if (dimension.is_record) dimension.length = header->numrecs;
  }

  for (Netcdf3Variable& variable : header->variables) {
    if (variable.is_record) {
      variable.shape[0] = header->numrecs;
      continue;
    }
    if (variable.begin < header->header_bytes || variable.begin > header->file_bytes ||
        variable.data_bytes > header->file_bytes - variable.begin) {
      return Corrupt("NetCDF-3 variable " + Quoted(variable.name) + " claims bytes [" +
                     std::to_string(variable.begin) + ", +" + std::to_string(variable.data_bytes) +
                     ") outside the data part [" + std::to_string(header->header_bytes) + ", " +
                     std::to_string(header->file_bytes) + ") of the file");
    }
    claims.push_back({variable.begin, variable.begin + variable.data_bytes, variable.name});
  }
  return CheckDisjoint(std::move(claims));
}

}  // namespace

size_t NcTypeBytes(NcType type) { return Info(type).bytes; }
std::string_view NcTypeName(NcType type) { return Info(type).name; }
array::DType NcTypeDType(NcType type) { return Info(type).dtype; }

bool HasNetcdf3Magic(std::span<const uint8_t> head) {
  return head.size() >= 4 && head[0] == 'C' && head[1] == 'D' && head[2] == 'F' &&
         (head[3] == 1 || head[3] == 2 || head[3] == 5);
}

StatusOr<Netcdf3Header> ParseNetcdf3Header(std::span<const uint8_t> head, uint64_t file_bytes) {
  if (head.size() > file_bytes) return InvalidArgument("NetCDF-3 head is longer than the file");
  if (head.size() < 4 && head.size() < file_bytes) {
    return ResourceLimit("NetCDF-3 header continues past the first " +
                         std::to_string(head.size()) + " bytes read");
  }
  if (!HasNetcdf3Magic(head)) return Corrupt("not a NetCDF-3 file (no CDF magic)");
  Netcdf3Header header;
  header.format = static_cast<Netcdf3Format>(head[3]);
  header.file_bytes = file_bytes;
  HeaderReader reader(head, file_bytes, header.format);
  const uint8_t* magic = nullptr;
  RETURN_IF_ERROR(reader.Bytes(4, "magic", &magic));
  RETURN_IF_ERROR(reader.NonNeg("numrecs", &header.numrecs));
  const uint64_t streaming = header.format == Netcdf3Format::kData64 ? UINT64_MAX : 0xFFFFFFFFu;
  header.streaming = header.numrecs == streaming;

  RETURN_IF_ERROR(ReadDimensions(&reader, &header.dimensions));
  RETURN_IF_ERROR(SkipAttributes(&reader, "global"));
  uint64_t variable_count = 0;
  RETURN_IF_ERROR(ReadListHead(&reader, kTagVariable, "variable", &variable_count));
  // The smallest var: name (length + 4 bytes), rank, ABSENT attributes (tag +
  // count), nc_type, vsize, begin (at least 4 bytes).
  RETURN_IF_ERROR(reader.CheckCount(variable_count, 5 * reader.non_neg_bytes() + 12, "variable"));
  header.variables.resize(variable_count);
  for (Netcdf3Variable& variable : header.variables) {
    RETURN_IF_ERROR(ReadVariable(&reader, header.dimensions, &variable));
  }
  header.header_bytes = reader.position();
  RETURN_IF_ERROR(LayOutData(&header));
  return header;
}

StatusOr<Netcdf3Header> ReadNetcdf3Header(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return ErrnoError("open", errno);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoError("stat", errno);
  if (!S_ISREG(st.st_mode)) return InvalidArgument("not a regular file");
  const uint64_t file_bytes = static_cast<uint64_t>(st.st_size);
  const uint64_t read_limit = std::min(file_bytes, kMaxNetcdf3HeaderBytes);
  std::vector<uint8_t> head;
  for (uint64_t want = std::min(kFirstReadBytes, read_limit);; want = std::min(want * 4, read_limit)) {
    const uint64_t have = head.size();
    head.resize(want);
    for (uint64_t done = have; done < want;) {
      const ssize_t got = pread(fd.get(), head.data() + done, want - done, static_cast<off_t>(done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return ErrnoError("read", errno);
      if (got == 0) return Corrupt("file shrank while its NetCDF-3 header was read");
      done += static_cast<uint64_t>(got);
    }
    StatusOr<Netcdf3Header> header = ParseNetcdf3Header(head, file_bytes);
    if (header.ok() || header.status().code() != StatusCode::kResourceLimit) return header;
    if (want == read_limit) {
      return ResourceLimit("NetCDF-3 header is longer than " +
                           std::to_string(kMaxNetcdf3HeaderBytes) + " bytes");
    }
  }
}

Netcdf3Regions VariableRegions(const Netcdf3Header& header, const Netcdf3Variable& variable) {
  Netcdf3Regions regions;
  regions.layout.dtype = NcTypeDType(variable.type);
  regions.layout.byte_order = array::ByteOrder::kBig;
  std::vector<uint64_t> shape = variable.shape;
  if (variable.is_record) shape[0] = 1;
  if (shape.empty()) shape.push_back(1);
  if (shape.size() > static_cast<size_t>(array::kMaxRank)) {
    // The product cannot overflow: all extents times the element size is data_bytes.
    const size_t merged = shape.size() - array::kMaxRank + 1;
    uint64_t outer = 1;
    for (size_t d = 0; d < merged; ++d) outer *= shape[d];
    shape.erase(shape.begin(), shape.begin() + static_cast<std::ptrdiff_t>(merged - 1));
    shape[0] = outer;
  }
  regions.layout.shape = std::move(shape);
  regions.first_offset = variable.begin;
  regions.region_bytes = variable.data_bytes;
  regions.stride = variable.is_record ? header.record_bytes : 0;
  regions.count = variable.is_record ? header.numrecs : 1;
  return regions;
}

}  // namespace lmarc
