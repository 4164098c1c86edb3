// FileWindow: bounds-checked positioned reads of little- or big-endian
// fields from an input file, for the in-process scanners of media headers
// (WAV, PNM, BMP, TIFF). Every read is checked against the file size first:
// a header that points outside the file is kCorrupt, never a read past it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "io/unique_fd.h"
#include "src/status.h"

namespace lmarc {

class FileWindow {
 public:
  // `format` names the file type in messages ("WAV", "TIFF", ...).
  FileWindow(int fd, uint64_t file_bytes, const char* format)
      : fd_(fd), file_bytes_(file_bytes), format_(format) {}

  uint64_t file_bytes() const { return file_bytes_; }

  // Whether [offset, offset + count) lies inside the file.
  bool Inside(uint64_t offset, uint64_t count) const {
    return offset <= file_bytes_ && count <= file_bytes_ - offset;
  }

  [[nodiscard]] Status Read(uint64_t offset, std::span<uint8_t> out, const char* field) const {
    if (!Inside(offset, out.size())) {
      return Corrupt(std::string(format_) + ": " + field + " at byte " + std::to_string(offset) +
                     " runs past the end of the file");
    }
    if (PreadFull(fd_, offset, out) != out.size()) return IoError(std::string(format_) + ": read failed");
    return Status::Ok();
  }

  // An unsigned field of `bytes` (1, 2 or 4) bytes at `offset`.
  [[nodiscard]] Status Uint(uint64_t offset, int bytes, bool big_endian, const char* field,
                            uint32_t* out) const {
    uint8_t raw[4] = {};
    RETURN_IF_ERROR(Read(offset, std::span(raw, static_cast<size_t>(bytes)), field));
    uint32_t value = 0;
    for (int i = 0; i < bytes; ++i) {
      const int at = big_endian ? i : bytes - 1 - i;
      value = value << 8 | raw[at];
    }
    *out = value;
    return Status::Ok();
  }

 private:
  int fd_;
  uint64_t file_bytes_;
  const char* format_;
};

}  // namespace lmarc
