#include "src/stored_codec.h"

#include <algorithm>

namespace lmarc {

Status StoredCodec::Encode(std::span<const uint8_t> raw, int /*level*/,
                           std::vector<uint8_t>* body) const {
  body->insert(body->end(), raw.begin(), raw.end());
  return Status::Ok();
}

Status StoredCodec::Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const {
  if (body.size() != raw.size()) {
    return Corrupt("stored body is " + std::to_string(body.size()) + " bytes, expected " +
                   std::to_string(raw.size()));
  }
  std::copy(body.begin(), body.end(), raw.begin());
  return Status::Ok();
}

}  // namespace lmarc
