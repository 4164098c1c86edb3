// `zstd`: libzstd single-frame compression; the fast fallback codec.
// lmarc level L maps to zstd level 2*L+1 (1 -> 3, 9 -> 19).
#pragma once

#include "src/codec.h"

namespace lmarc {

class ZstdCodec final : public Codec {
 public:
  CodecId id() const override { return CodecId::kZstd; }
  std::string_view name() const override { return "zstd"; }
  uint32_t version() const override { return 1; }
  Status Encode(std::span<const uint8_t> raw, int level,
                std::vector<uint8_t>* body) const override;
  Status Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const override;
};

}  // namespace lmarc
