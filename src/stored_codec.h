// `stored`: the body is the raw bytes. The fallback that bounds expansion.
#pragma once

#include "src/codec.h"

namespace lmarc {

class StoredCodec final : public Codec {
 public:
  CodecId id() const override { return CodecId::kStored; }
  std::string_view name() const override { return "stored"; }
  uint32_t version() const override { return 1; }
  Status Encode(std::span<const uint8_t> raw, int level,
                std::vector<uint8_t>* body) const override;
  Status Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const override;
};

}  // namespace lmarc
