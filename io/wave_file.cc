#include "io/wave_file.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include "io/file_window.h"
#include "io/unique_fd.h"
#include "src/byte_order.h"

namespace lmarc {
namespace {

constexpr uint16_t kFormatPcm = 1;
constexpr uint16_t kFormatFloat = 3;
constexpr uint16_t kFormatExtensible = 0xFFFE;
constexpr uint32_t kMaxChannels = 8;
constexpr uint64_t kRiffHeaderBytes = 12;  // "RIFF", u32 size, "WAVE"
// KSDATAFORMAT_SUBTYPE_* GUIDs after their first two bytes (the format tag).
constexpr uint8_t kGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                   0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

struct Format {
  uint16_t tag = 0;
  uint16_t channels = 0;
  uint16_t block_align = 0;
  uint16_t bits = 0;  // container bits per sample
};

// The element type of `format`'s samples; false for anything unsupported.
bool SampleType(const Format& format, array::DType* dtype) {
  if (format.tag == kFormatPcm) {
    switch (format.bits) {
      case 8: *dtype = array::DType::kU8; return true;
      case 16: *dtype = array::DType::kI16; return true;
      case 24: *dtype = array::DType::kI24; return true;
      case 32: *dtype = array::DType::kI32; return true;
      default: return false;
    }
  }
  if (format.tag == kFormatFloat) {
    if (format.bits == 32) *dtype = array::DType::kF32;
    if (format.bits == 64) *dtype = array::DType::kF64;
    return format.bits == 32 || format.bits == 64;
  }
  return false;
}

Status ReadFormat(const FileWindow& file, uint64_t at, uint32_t size, Format* format) {
  if (size < 16) return Corrupt("WAV: fmt chunk of " + std::to_string(size) + " bytes");
  uint8_t raw[40] = {};
  const uint32_t read = std::min<uint32_t>(size, sizeof raw);
  RETURN_IF_ERROR(file.Read(at, std::span(raw, read), "fmt chunk"));
  format->tag = LoadLe16(raw);
  format->channels = LoadLe16(raw + 2);
  format->block_align = LoadLe16(raw + 12);
  format->bits = LoadLe16(raw + 14);
  if (format->tag == kFormatExtensible) {
    // cbSize, valid bits, channel mask, then the sub-format GUID.
    if (read < 40 || std::memcmp(raw + 26, kGuidTail, sizeof kGuidTail) != 0) {
      format->tag = 0;  // an extensible format we do not know: no regions
    } else {
      format->tag = LoadLe16(raw + 24);
    }
  }
  if (format->channels == 0 || format->bits == 0 || format->bits % 8 != 0 ||
      format->block_align != format->channels * (format->bits / 8)) {
    return Corrupt("WAV: fmt chunk says " + std::to_string(format->channels) + " channels of " +
                   std::to_string(format->bits) + " bits in blocks of " +
                   std::to_string(format->block_align) + " bytes");
  }
  return Status::Ok();
}

}  // namespace

bool HasWaveMagic(std::span<const uint8_t> head) {
  return head.size() >= kRiffHeaderBytes && std::memcmp(head.data(), "RIFF", 4) == 0 &&
         std::memcmp(head.data() + 8, "WAVE", 4) == 0;
}

StatusOr<std::vector<TypedRegion>> LocateWaveSamples(const std::string& path,
                                                     uint64_t file_bytes) {
  std::vector<TypedRegion> regions;
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return IoError("cannot open for array scanning");
  const FileWindow file(fd.get(), file_bytes, "WAV");
  Format format;
  bool have_format = false;
  // Chunks: id[4], u32 size, the data, one pad byte after an odd size.
  for (uint64_t at = kRiffHeaderBytes; file.Inside(at, 8);) {
    uint8_t id[4];
    RETURN_IF_ERROR(file.Read(at, id, "chunk id"));
    uint32_t size = 0;
    RETURN_IF_ERROR(file.Uint(at + 4, 4, false, "chunk size", &size));
    const uint64_t data = at + 8;
    if (!file.Inside(data, size)) {
      return Corrupt("WAV: chunk at byte " + std::to_string(at) + " claims " +
                     std::to_string(size) + " bytes, past the end of the file");
    }
    if (std::memcmp(id, "fmt ", 4) == 0) {
      RETURN_IF_ERROR(ReadFormat(file, data, size, &format));
      have_format = true;
    } else if (std::memcmp(id, "data", 4) == 0) {
      array::DType dtype;
      if (!have_format || format.channels > kMaxChannels || !SampleType(format, &dtype)) break;
      const uint64_t frames = size / format.block_align;
      if (frames == 0) break;
      TypedRegion region;
      region.offset = data;
      region.layout.dtype = dtype;
      region.layout.shape = format.channels == 1 ? std::vector<uint64_t>{frames}
                                                 : std::vector<uint64_t>{frames, format.channels};
      region.dataset = "/samples";
      region.start.assign(region.layout.shape.size(), 0);
      region.dataset_shape = region.layout.shape;
      regions.push_back(std::move(region));
      break;  // one data chunk per file
    }
    at = data + size + (size & 1);
  }
  return regions;
}

}  // namespace lmarc
