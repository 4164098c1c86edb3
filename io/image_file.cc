#include "io/image_file.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "io/file_window.h"
#include "io/unique_fd.h"
#include "src/byte_order.h"

namespace lmarc {
namespace {

using array::ByteOrder;
using array::DType;

// a * b * c ... without overflow; false when it overflows.
bool Product(std::initializer_list<uint64_t> factors, uint64_t* out) {
  uint64_t product = 1;
  for (const uint64_t f : factors) {
    if (__builtin_mul_overflow(product, f, &product)) return false;
  }
  *out = product;
  return true;
}

// One region of dataset "/pixels": rows [first_row, first_row + rows) of an
// image of `height` rows of `width` pixels of `samples` samples (a sample
// dimension only when samples > 1).
TypedRegion PixelRegion(uint64_t offset, DType dtype, ByteOrder order, uint64_t first_row,
                        uint64_t rows, uint64_t height, uint64_t width, uint64_t samples) {
  TypedRegion region;
  region.offset = offset;
  region.layout.dtype = dtype;
  region.layout.byte_order = order;
  region.layout.shape = {rows, width};
  region.dataset_shape = {height, width};
  region.start = {first_row, 0};
  if (samples > 1) {
    region.layout.shape.push_back(samples);
    region.dataset_shape.push_back(samples);
    region.start.push_back(0);
  }
  region.dataset = "/pixels";
  return region;
}

// ---- PNM: "P5"/"P6", whitespace and #-comments, width, height, maxval, one
// whitespace byte, then the raster.
constexpr size_t kPnmHeaderLimit = 4096;

StatusOr<std::vector<TypedRegion>> LocatePnm(const FileWindow& file) {
  uint8_t text[kPnmHeaderLimit];
  const size_t size = static_cast<size_t>(std::min<uint64_t>(file.file_bytes(), sizeof text));
  RETURN_IF_ERROR(file.Read(0, std::span(text, size), "header"));
  size_t at = 2;
  uint64_t numbers[3] = {};
  for (uint64_t& number : numbers) {
    while (at < size && (text[at] == '#' || std::strchr(" \t\r\n\v\f", text[at]) != nullptr)) {
      if (text[at] == '#') {
        while (at < size && text[at] != '\n') ++at;
      } else {
        ++at;
      }
    }
    const size_t first_digit = at;
    while (at < size && text[at] >= '0' && text[at] <= '9' && at - first_digit < 9) {
      number = number * 10 + (text[at++] - '0');
    }
    if (at == first_digit) return Corrupt("PNM: header without width, height and maxval");
  }
  if (at >= size || std::strchr(" \t\r\n", text[at]) == nullptr) {
    return Corrupt("PNM: no whitespace after maxval");
  }
  const uint64_t raster = at + 1;
  const auto [width, height, maxval] = numbers;
  if (width == 0 || height == 0 || maxval == 0 || maxval > 65535) {
    return Corrupt("PNM: " + std::to_string(width) + " x " + std::to_string(height) +
                   " pixels, maxval " + std::to_string(maxval));
  }
  const uint64_t samples = text[1] == '6' ? 3 : 1;
  const uint64_t sample_bytes = maxval < 256 ? 1 : 2;
  uint64_t bytes = 0;
  if (!Product({width, height, samples, sample_bytes}, &bytes) || !file.Inside(raster, bytes)) {
    return Corrupt("PNM: " + std::to_string(width) + " x " + std::to_string(height) +
                   " pixels run past the end of the file");
  }
  return std::vector<TypedRegion>{PixelRegion(raster, sample_bytes == 1 ? DType::kU8 : DType::kU16,
                                              ByteOrder::kBig, 0, height, height, width, samples)};
}

// ---- BMP: file header (14 bytes), then BITMAPINFOHEADER (40) or later.
StatusOr<std::vector<TypedRegion>> LocateBmp(const FileWindow& file) {
  uint8_t h[54];
  RETURN_IF_ERROR(file.Read(0, h, "header"));
  const uint32_t pixels = LoadLe32(h + 10), info_bytes = LoadLe32(h + 14), compression = LoadLe32(h + 30);
  const int32_t width = static_cast<int32_t>(LoadLe32(h + 18));
  const int32_t signed_height = static_cast<int32_t>(LoadLe32(h + 22));
  const uint16_t bits = LoadLe16(h + 28);
  const bool supported = info_bytes >= 40 && ((bits == 8 && compression == 0) || (bits == 24 && compression == 0) ||
                                              (bits == 32 && (compression == 0 || compression == 3)));
  if (!supported) return std::vector<TypedRegion>{};
  if (width <= 0 || signed_height == 0 || signed_height == INT32_MIN) {
    return Corrupt("BMP: " + std::to_string(width) + " x " + std::to_string(signed_height) + " pixels");
  }
  const uint64_t height = static_cast<uint64_t>(signed_height < 0 ? -int64_t{signed_height} : signed_height);
  const uint64_t row_bytes = static_cast<uint64_t>(width) * bits / 8;
  const uint64_t stride = (static_cast<uint64_t>(width) * bits + 31) / 32 * 4;
  uint64_t bytes = 0;
  if (!Product({stride, height}, &bytes) || !file.Inside(pixels, bytes)) {
    return Corrupt("BMP: " + std::to_string(width) + " x " + std::to_string(height) +
                   " pixels run past the end of the file");
  }
  if (stride != row_bytes) {  // padded rows: rows of bytes
    return std::vector<TypedRegion>{PixelRegion(pixels, DType::kU8, ByteOrder::kLittle, 0, height, height, stride, 1)};
  }
  return std::vector<TypedRegion>{PixelRegion(pixels, DType::kU8, ByteOrder::kLittle, 0, height, height,
                                              static_cast<uint64_t>(width), bits / 8u)};
}

// ---- TIFF: header, first IFD, its strips.
enum TiffTag : uint16_t {
  kWidth = 256, kHeight = 257, kBitsPerSample = 258, kCompression = 259, kStripOffsets = 273,
  kSamplesPerPixel = 277, kRowsPerStrip = 278, kStripByteCounts = 279, kPlanarConfig = 284,
  kSampleFormat = 339,
};
constexpr uint32_t kMaxIfdEntries = 4096;
constexpr uint32_t kMaxStrips = 1 << 20;

class TiffIfd {
 public:
  TiffIfd(const FileWindow& file, bool big) : file_(file), big_(big) {}

  Status Load(uint64_t offset) {
    uint32_t count = 0;
    RETURN_IF_ERROR(file_.Uint(offset, 2, big_, "IFD entry count", &count));
    if (count > kMaxIfdEntries) return Corrupt("TIFF: IFD of " + std::to_string(count) + " entries");
    for (uint32_t e = 0; e < count; ++e) {
      const uint64_t at = offset + 2 + 12 * uint64_t{e};
      uint32_t tag = 0, type = 0, values = 0;
      RETURN_IF_ERROR(file_.Uint(at, 2, big_, "IFD entry", &tag));
      RETURN_IF_ERROR(file_.Uint(at + 2, 2, big_, "IFD entry", &type));
      RETURN_IF_ERROR(file_.Uint(at + 4, 4, big_, "IFD entry", &values));
      entries_[static_cast<uint16_t>(tag)] = {type, values, at + 8};
    }
    return Status::Ok();
  }

  bool Has(uint16_t tag) const { return entries_.count(tag) != 0; }

  // The values of a SHORT or LONG entry, or {fallback} when absent.
  StatusOr<std::vector<uint32_t>> Values(uint16_t tag, uint32_t fallback) const {
    const auto found = entries_.find(tag);
    if (found == entries_.end()) return std::vector<uint32_t>{fallback};
    const Entry& entry = found->second;
    const int bytes = entry.type == 3 ? 2 : entry.type == 4 ? 4 : 0;
    if (bytes == 0 || entry.count == 0 || entry.count > kMaxStrips) {
      return Corrupt("TIFF: tag " + std::to_string(tag) + " of type " + std::to_string(entry.type) +
                     " with " + std::to_string(entry.count) + " values");
    }
    uint64_t at = entry.value_at;
    if (uint64_t{entry.count} * bytes > 4) {
      uint32_t pointer = 0;
      RETURN_IF_ERROR(file_.Uint(at, 4, big_, "IFD value offset", &pointer));
      at = pointer;
      if (!file_.Inside(at, uint64_t{entry.count} * bytes)) {
        return Corrupt("TIFF: tag " + std::to_string(tag) + " values run past the end of the file");
      }
    }
    std::vector<uint32_t> values(entry.count);
    for (uint32_t i = 0; i < entry.count; ++i) {
      RETURN_IF_ERROR(file_.Uint(at + uint64_t{i} * bytes, bytes, big_, "IFD value", &values[i]));
    }
    return values;
  }

 private:
  struct Entry {
    uint32_t type;
    uint32_t count;
    uint64_t value_at;  // the 4-byte value or offset field
  };
  const FileWindow& file_;
  bool big_;
  std::map<uint16_t, Entry> entries_;
};

// The element type of TIFF samples; false for unsupported ones.
bool TiffSampleType(uint32_t bits, uint32_t format, DType* dtype) {
  if (format == 1 && bits == 8) return *dtype = DType::kU8, true;
  if (format == 1 && bits == 16) return *dtype = DType::kU16, true;
  if (format == 2 && bits == 8) return *dtype = DType::kI8, true;
  if (format == 2 && bits == 16) return *dtype = DType::kI16, true;
  if (format == 3 && bits == 32) return *dtype = DType::kF32, true;
  return false;
}

StatusOr<std::vector<TypedRegion>> LocateTiff(const FileWindow& file, bool big) {
  uint32_t ifd_offset = 0;
  RETURN_IF_ERROR(file.Uint(4, 4, big, "IFD offset", &ifd_offset));
  TiffIfd ifd(file, big);
  RETURN_IF_ERROR(ifd.Load(ifd_offset));
  std::vector<TypedRegion> regions;
  ASSIGN_OR_RETURN(const std::vector<uint32_t> compression, ifd.Values(kCompression, 1));
  ASSIGN_OR_RETURN(const std::vector<uint32_t> samples, ifd.Values(kSamplesPerPixel, 1));
  ASSIGN_OR_RETURN(const std::vector<uint32_t> planar, ifd.Values(kPlanarConfig, 1));
  ASSIGN_OR_RETURN(const std::vector<uint32_t> bits, ifd.Values(kBitsPerSample, 1));
  ASSIGN_OR_RETURN(const std::vector<uint32_t> format, ifd.Values(kSampleFormat, 1));
  const uint32_t spp = samples[0];
  DType dtype;
  const bool same_bits = std::all_of(bits.begin(), bits.end(), [&](uint32_t b) { return b == bits[0]; });
  if (compression[0] != 1 || spp < 1 || spp > 4 || (planar[0] != 1 && spp != 1) || !same_bits ||
      !ifd.Has(kStripOffsets) || !ifd.Has(kWidth) || !ifd.Has(kHeight) ||
      !TiffSampleType(bits[0], format[0], &dtype)) {
    return regions;
  }
  ASSIGN_OR_RETURN(const std::vector<uint32_t> width_values, ifd.Values(kWidth, 0));
  ASSIGN_OR_RETURN(const std::vector<uint32_t> height_values, ifd.Values(kHeight, 0));
  const uint64_t width = width_values[0], height = height_values[0];
  ASSIGN_OR_RETURN(const std::vector<uint32_t> rows_values, ifd.Values(kRowsPerStrip, UINT32_MAX));
  const uint64_t rows_per_strip = std::min<uint64_t>(rows_values[0], height);
  ASSIGN_OR_RETURN(const std::vector<uint32_t> offsets, ifd.Values(kStripOffsets, 0));
  ASSIGN_OR_RETURN(const std::vector<uint32_t> counts, ifd.Values(kStripByteCounts, 0));
  if (width == 0 || height == 0 || rows_per_strip == 0 ||
      offsets.size() != (height + rows_per_strip - 1) / rows_per_strip || counts.size() != offsets.size()) {
    return Corrupt("TIFF: " + std::to_string(width) + " x " + std::to_string(height) + " pixels in " +
                   std::to_string(offsets.size()) + " strips of " + std::to_string(rows_per_strip) + " rows");
  }
  uint64_t row_bytes = 0, image_bytes = 0;
  if (!Product({width, spp, array::ElementBytes(dtype)}, &row_bytes) ||
      !Product({height, row_bytes}, &image_bytes)) {
    return Corrupt("TIFF: " + std::to_string(width) + " x " + std::to_string(height) + " pixels overflow");
  }
  const ByteOrder order = big ? ByteOrder::kBig : ByteOrder::kLittle;
  // Runs of strips that follow each other in the file become one region.
  uint64_t run_offset = 0, run_first_row = 0, run_rows = 0;
  const auto close_run = [&] {
    if (run_rows > 0) {
      regions.push_back(PixelRegion(run_offset, dtype, order, run_first_row, run_rows, height, width, spp));
    }
    run_rows = 0;
  };
  for (size_t k = 0; k < offsets.size(); ++k) {
    const uint64_t first_row = k * rows_per_strip;
    const uint64_t rows = std::min(rows_per_strip, height - first_row);
    const uint64_t bytes = rows * row_bytes;  // <= image_bytes: no overflow
    if (counts[k] < bytes || !file.Inside(offsets[k], bytes)) {
      return Corrupt("TIFF: strip " + std::to_string(k) + " of " + std::to_string(counts[k]) +
                     " bytes at byte " + std::to_string(offsets[k]) + " does not hold its " +
                     std::to_string(rows) + " rows");
    }
    if (run_rows == 0 || offsets[k] != run_offset + run_rows * row_bytes) {
      close_run();
      run_offset = offsets[k];
      run_first_row = first_row;
    }
    run_rows += rows;
    if (counts[k] != bytes) close_run();  // padding after the strip: the run ends
  }
  close_run();
  return regions;
}

}  // namespace

bool HasImageMagic(std::span<const uint8_t> head) {
  if (head.size() < 4) return false;
  const bool pnm = head[0] == 'P' && (head[1] == '5' || head[1] == '6');
  const bool bmp = head[0] == 'B' && head[1] == 'M';
  const bool tiff = (head[0] == 'I' && head[1] == 'I' && head[2] == 42 && head[3] == 0) ||
                    (head[0] == 'M' && head[1] == 'M' && head[2] == 0 && head[3] == 42);
  return pnm || bmp || tiff;
}

StatusOr<std::vector<TypedRegion>> LocateImagePixels(const std::string& path, uint64_t file_bytes) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return IoError("cannot open for array scanning");
  uint8_t head[4] = {};
  if (file_bytes < sizeof head || PreadFull(fd.get(), 0, head) != sizeof head) return std::vector<TypedRegion>{};
  if (head[0] == 'P') return LocatePnm(FileWindow(fd.get(), file_bytes, "PNM"));
  if (head[0] == 'B') return LocateBmp(FileWindow(fd.get(), file_bytes, "BMP"));
  return LocateTiff(FileWindow(fd.get(), file_bytes, "TIFF"), head[0] == 'M');
}

}  // namespace lmarc
