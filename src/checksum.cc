#include "src/checksum.h"

#include <xxhash.h>

namespace lmarc {

uint64_t Xxh64(std::span<const uint8_t> bytes) { return XXH64(bytes.data(), bytes.size(), 0); }

Xxh64Stream::Xxh64Stream() : state_(XXH64_createState()) {
  XXH64_reset(static_cast<XXH64_state_t*>(state_), 0);
}
Xxh64Stream::~Xxh64Stream() { XXH64_freeState(static_cast<XXH64_state_t*>(state_)); }
void Xxh64Stream::Update(std::span<const uint8_t> bytes) {
  XXH64_update(static_cast<XXH64_state_t*>(state_), bytes.data(), bytes.size());
}
uint64_t Xxh64Stream::Digest() const {
  return XXH64_digest(static_cast<const XXH64_state_t*>(state_));
}

}  // namespace lmarc
