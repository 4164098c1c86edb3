#include "model/array/deflated_array_codec.h"

#include <zlib.h>

#include <string>

#include "src/byte_reader.h"
#include "src/chunk_plan.h"

namespace lmarc {
namespace {

constexpr uint8_t kShuffleFlag = 1;
// deflate never shrinks data by more than about 1032:1.
constexpr uint64_t kMaxDeflateRatio = 1032;

// zlib stream of `in` at `level`, as HDF5's deflate filter writes it.
std::vector<uint8_t> Deflate(std::span<const uint8_t> in, int level) {
  uLongf size = compressBound(static_cast<uLong>(in.size()));
  std::vector<uint8_t> out(size);
  if (compress2(out.data(), &size, in.data(), static_cast<uLong>(in.size()), level) != Z_OK) return {};
  out.resize(size);
  return out;
}

}  // namespace

namespace array {

void Shuffle(std::span<const uint8_t> in, size_t element, std::span<uint8_t> out) {
  const size_t n = in.size() / element;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < element; ++j) out[j * n + i] = in[i * element + j];
  }
  std::copy(in.begin() + static_cast<ptrdiff_t>(n * element), in.end(),
            out.begin() + static_cast<ptrdiff_t>(n * element));
}

void Unshuffle(std::span<const uint8_t> in, size_t element, std::span<uint8_t> out) {
  const size_t n = in.size() / element;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < element; ++j) out[i * element + j] = in[j * n + i];
  }
  std::copy(in.begin() + static_cast<ptrdiff_t>(n * element), in.end(),
            out.begin() + static_cast<ptrdiff_t>(n * element));
}

}  // namespace array

Status DeflatedArrayCodec::Encode(std::span<const uint8_t>, int, std::vector<uint8_t>*) const {
  return Unsupported("deflated-array: needs the tile's layout and filter parameters");
}

Status DeflatedArrayCodec::EncodeDeflated(std::span<const uint8_t> stored,
                                          const array::ArrayLayout& layout, int zlib_level,
                                          bool shuffle, int level, std::vector<uint8_t>* body) const {
  uint64_t elements = 0;
  RETURN_IF_ERROR(array::CountElements(layout, &elements));
  const size_t element = array::ElementBytes(layout.dtype);
  if (zlib_level < 0 || zlib_level > 9 || elements > kMaxChunkSize / element) {
    return Unsupported("deflated-array: unsupported filter parameters or tile size");
  }
  std::vector<uint8_t> filtered(elements * element);
  uLongf inflated = static_cast<uLongf>(filtered.size());
  if (uncompress(filtered.data(), &inflated, stored.data(), static_cast<uLong>(stored.size())) != Z_OK ||
      inflated != filtered.size()) {
    return Unsupported("deflated-array: the tile does not inflate to its layout");
  }
  if (Deflate(filtered, zlib_level) != std::vector<uint8_t>(stored.begin(), stored.end())) {
    return Unsupported("deflated-array: re-deflating does not reproduce the stored bytes");
  }
  std::vector<uint8_t> values(filtered.size());
  if (shuffle) {
    array::Unshuffle(filtered, element, values);
  } else {
    values = std::move(filtered);
  }
  body->push_back(kFormatVersion);
  body->push_back(static_cast<uint8_t>(zlib_level));
  body->push_back(shuffle ? kShuffleFlag : 0);
  array::AppendVarint(values.size(), body);
  return array_.EncodeArray(values, layout, level, body);
}

Status DeflatedArrayCodec::Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const {
  ByteReader reader(body, "deflated-array body");
  uint8_t version = 0, zlib_level = 0, flags = 0;
  RETURN_IF_ERROR(reader.U8("format version", &version));
  if (version != kFormatVersion) {
    return Unsupported("deflated-array: body format version " + std::to_string(version) + " is unknown");
  }
  RETURN_IF_ERROR(reader.U8("zlib level", &zlib_level));
  RETURN_IF_ERROR(reader.U8("flags", &flags));
  uint64_t inflated = 0;
  RETURN_IF_ERROR(array::ReadVarint(&reader, "inflated bytes", &inflated));
  if (zlib_level > 9 || flags > kShuffleFlag || inflated == 0 || inflated > kMaxChunkSize ||
      inflated > raw.size() * kMaxDeflateRatio + 64) {
    return Corrupt("deflated-array: impossible header (level " + std::to_string(zlib_level) +
                   ", flags " + std::to_string(flags) + ", " + std::to_string(inflated) + " bytes)");
  }
  std::vector<uint8_t> values(inflated);
  RETURN_IF_ERROR(array_.Decode(body.subspan(reader.position()), values));
  std::vector<uint8_t> filtered(values.size());
  if (flags & kShuffleFlag) {
    // The element size is the array body's: its layout record starts after version and level.
    ByteReader layout_reader(body.subspan(reader.position() + 2), "deflated-array layout");
    array::ArrayLayout layout;
    RETURN_IF_ERROR(array::ReadLayoutRecord(&layout_reader, &layout));
    array::Shuffle(values, array::ElementBytes(layout.dtype), filtered);
  } else {
    filtered = std::move(values);
  }
  const std::vector<uint8_t> stored = Deflate(filtered, zlib_level);
  if (stored.size() != raw.size()) {
    return Corrupt("deflated-array: re-deflating gives " + std::to_string(stored.size()) +
                   " bytes, not the " + std::to_string(raw.size()) + " stored (zlib " + zlibVersion() +
                   " differs from the writer's?)");
  }
  std::copy(stored.begin(), stored.end(), raw.begin());
  return Status::Ok();
}

}  // namespace lmarc
