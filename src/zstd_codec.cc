#include "src/zstd_codec.h"

#include <zstd.h>

namespace lmarc {

Status ZstdCodec::Encode(std::span<const uint8_t> raw, int level,
                         std::vector<uint8_t>* body) const {
  const size_t old_size = body->size();
  body->resize(old_size + ZSTD_compressBound(raw.size()));
  // Single-threaded, no checksum flag, content size written: the frame bytes
  // depend only on input and level.
  const size_t n = ZSTD_compress(body->data() + old_size, body->size() - old_size, raw.data(),
                                 raw.size(), 2 * level + 1);
  if (ZSTD_isError(n)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
  body->resize(old_size + n);
  return Status::Ok();
}

Status ZstdCodec::Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const {
  const unsigned long long content = ZSTD_getFrameContentSize(body.data(), body.size());
  if (content == ZSTD_CONTENTSIZE_ERROR || content != raw.size()) {
    return Corrupt("zstd frame header does not match the chunk's raw size");
  }
  const size_t n = ZSTD_decompress(raw.data(), raw.size(), body.data(), body.size());
  if (ZSTD_isError(n)) return Corrupt(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != raw.size()) return Corrupt("zstd frame decoded to the wrong size");
  return Status::Ok();
}

}  // namespace lmarc
