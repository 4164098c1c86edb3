// `deflated-array` (codec id 5): an HDF5 tile stored through the deflate
// filter (optionally after the shuffle filter), coded as the typed values it
// holds. The chunk's raw bytes are the stored (deflated) bytes; the body
// holds the values (an `array` body) and the filter parameters, and the
// decoder re-applies shuffle and deflate. The encoder takes this path only
// when re-deflating reproduces the stored bytes exactly.
//
// Body (version 1): u8 version, u8 zlib level (0..9), u8 flags (bit 0:
// shuffle), varint inflated bytes, then an `array` body whose layout
// describes exactly the inflated bytes (docs/array.md).
//
// Re-deflation uses this process's zlib (deflateInit with the level, window
// 15, memory level 8, default strategy, as HDF5's filter does). zlib's
// output for given parameters has been stable across its 1.2.x releases; a
// decoder whose zlib differs fails with a clear error (never silently: the
// chunk's checksum covers the restored bytes).
#pragma once

#include "model/array/array_codec.h"
#include "src/codec.h"

namespace lmarc {
namespace array {

// HDF5's shuffle filter on elements of `element` bytes: byte j of element i
// goes to j * n + i (n whole elements; any further bytes stay at the end),
// and its inverse. `out` has in.size() bytes.
void Shuffle(std::span<const uint8_t> in, size_t element, std::span<uint8_t> out);
void Unshuffle(std::span<const uint8_t> in, size_t element, std::span<uint8_t> out);

}  // namespace array

class DeflatedArrayCodec final : public Codec {
 public:
  static constexpr uint8_t kFormatVersion = 1;

  CodecId id() const override { return CodecId::kDeflatedArray; }
  std::string_view name() const override { return "deflated-array"; }
  uint32_t version() const override { return kFormatVersion; }

  // The generic interface has no layout: Unsupported (the writer calls
  // EncodeDeflated for the tiles it located).
  Status Encode(std::span<const uint8_t> raw, int level, std::vector<uint8_t>* body) const override;

  // `stored`: the tile's bytes as stored by HDF5; `layout`: its elements
  // (the whole tile). Unsupported when `stored` does not inflate to exactly
  // the layout's bytes or re-deflating does not reproduce it (the caller
  // then codes the bytes with another codec).
  [[nodiscard]] Status EncodeDeflated(std::span<const uint8_t> stored,
                                      const array::ArrayLayout& layout, int zlib_level,
                                      bool shuffle, int level, std::vector<uint8_t>* body) const;

  Status Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const override;

 private:
  ArrayCodec array_;
};

}  // namespace lmarc
