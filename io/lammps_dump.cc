#include "io/lammps_dump.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "io/unique_fd.h"
#include "src/byte_order.h"

namespace lmarc {
namespace {

constexpr int64_t kMaxMagicBytes = 64;

// Reads fixed-size fields at a moving offset of the file, checking each
// against the file size.
class DumpReader {
 public:
  DumpReader(int fd, uint64_t file_bytes) : fd_(fd), file_bytes_(file_bytes) {}

  uint64_t offset() const { return offset_; }
  bool AtEnd() const { return offset_ == file_bytes_; }

  Status Bytes(uint64_t count, uint8_t* out, const char* field) {
    if (count > file_bytes_ - offset_) {
      return Corrupt(std::string("LAMMPS dump: ") + field + " at byte " + std::to_string(offset_) +
                     " runs past the end of the file");
    }
    if (PreadFull(fd_, offset_, std::span(out, count)) != count) {
      return IoError("LAMMPS dump: read failed");
    }
    offset_ += count;
    return Status::Ok();
  }
  Status Skip(uint64_t count, const char* field) {
    if (count > file_bytes_ - offset_) {
      return Corrupt(std::string("LAMMPS dump: ") + field + " runs past the end of the file");
    }
    offset_ += count;
    return Status::Ok();
  }
  Status I32(int32_t* out, const char* field) {
    uint8_t b[4];
    RETURN_IF_ERROR(Bytes(4, b, field));
    *out = static_cast<int32_t>(LoadLe32(b));
    return Status::Ok();
  }
  Status I64(int64_t* out, const char* field) {
    uint8_t b[8];
    RETURN_IF_ERROR(Bytes(8, b, field));
    *out = static_cast<int64_t>(LoadLe64(b));
    return Status::Ok();
  }
  // An i32 length prefix and that many bytes, skipped.
  Status SkipString(const char* field) {
    int32_t length = 0;
    RETURN_IF_ERROR(I32(&length, field));
    if (length < 0) return Corrupt(std::string("LAMMPS dump: negative ") + field + " length");
    return Skip(static_cast<uint64_t>(length), field);
  }

 private:
  int fd_;
  uint64_t file_bytes_;
  uint64_t offset_ = 0;
};

Status Snapshot(DumpReader& in, uint64_t index, std::vector<TypedRegion>* out) {
  int64_t magic_length = 0;
  RETURN_IF_ERROR(in.I64(&magic_length, "magic length"));
  if (magic_length >= 0 || -magic_length > kMaxMagicBytes) {
    return Corrupt("LAMMPS dump: snapshot " + std::to_string(index) + " has no magic string");
  }
  uint8_t magic[kMaxMagicBytes];
  RETURN_IF_ERROR(in.Bytes(static_cast<uint64_t>(-magic_length), magic, "magic"));
  if (-magic_length < 4 || std::memcmp(magic, "DUMP", 4) != 0) return Corrupt("LAMMPS dump: bad magic");
  int32_t endian = 0, revision = 0, triclinic = 0, size_one = 0, nchunk = 0;
  int64_t timestep = 0, natoms = 0;
  RETURN_IF_ERROR(in.I32(&endian, "endian"));
  RETURN_IF_ERROR(in.I32(&revision, "revision"));
  if (endian != 1) return Unsupported("LAMMPS dump: not written little-endian");
  if (revision != 1 && revision != 2) {
    return Unsupported("LAMMPS dump: format revision " + std::to_string(revision));
  }
  RETURN_IF_ERROR(in.I64(&timestep, "timestep"));
  RETURN_IF_ERROR(in.I64(&natoms, "natoms"));
  RETURN_IF_ERROR(in.I32(&triclinic, "triclinic"));
  RETURN_IF_ERROR(in.Skip(6 * 4 + 6 * 8 + (triclinic != 0 ? 3 * 8 : 0), "box"));
  RETURN_IF_ERROR(in.I32(&size_one, "size_one"));
  if (revision == 2) {
    RETURN_IF_ERROR(in.SkipString("unit style"));
    uint8_t time_flag = 0;
    RETURN_IF_ERROR(in.Bytes(1, &time_flag, "time flag"));
    if (time_flag != 0) RETURN_IF_ERROR(in.Skip(8, "time"));
    RETURN_IF_ERROR(in.SkipString("column names"));
  }
  RETURN_IF_ERROR(in.I32(&nchunk, "chunk count"));
  if (size_one < 1 || size_one > 4096 || natoms < 0 || nchunk < 0) {
    return Corrupt("LAMMPS dump: snapshot " + std::to_string(index) + " has bad sizes");
  }
  const std::string dataset = "/snapshot" + std::to_string(index) + "_step" + std::to_string(timestep);
  const uint64_t columns = static_cast<uint64_t>(size_one);
  uint64_t rows_seen = 0;
  for (int32_t chunk = 0; chunk < nchunk; ++chunk) {
    int32_t values = 0;
    RETURN_IF_ERROR(in.I32(&values, "chunk size"));
    if (values < 0 || static_cast<uint64_t>(values) % columns != 0) {
      return Corrupt("LAMMPS dump: chunk of " + std::to_string(values) + " values is not whole rows of " +
                     std::to_string(size_one));
    }
    const uint64_t rows = static_cast<uint64_t>(values) / columns;
    const uint64_t data_offset = in.offset();
    RETURN_IF_ERROR(in.Skip(static_cast<uint64_t>(values) * 8, "chunk values"));
    if (rows > 0) {
      TypedRegion region;
      region.offset = data_offset;
      region.layout.dtype = array::DType::kF64;
      region.layout.shape = {rows, columns};
      region.dataset = dataset;
      region.start = {rows_seen, 0};
      region.dataset_shape = {static_cast<uint64_t>(natoms), columns};
      out->push_back(std::move(region));
    }
    rows_seen += rows;
  }
  if (rows_seen != static_cast<uint64_t>(natoms)) {
    return Corrupt("LAMMPS dump: snapshot " + std::to_string(index) + " holds " +
                   std::to_string(rows_seen) + " rows, its header says " + std::to_string(natoms));
  }
  return Status::Ok();
}

}  // namespace

bool HasLammpsDumpMagic(std::span<const uint8_t> head) {
  if (head.size() < 12) return false;
  const int64_t magic_length = static_cast<int64_t>(LoadLe64(head.data()));
  return magic_length < 0 && -magic_length >= 4 && -magic_length <= kMaxMagicBytes &&
         std::memcmp(head.data() + 8, "DUMP", 4) == 0;
}

StatusOr<std::vector<TypedRegion>> LocateLammpsDump(const std::string& path, uint64_t file_bytes) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return IoError("cannot open for array scanning");
  DumpReader in(fd.get(), file_bytes);
  std::vector<TypedRegion> regions;
  for (uint64_t index = 0; !in.AtEnd(); ++index) RETURN_IF_ERROR(Snapshot(in, index, &regions));
  return regions;
}

}  // namespace lmarc
