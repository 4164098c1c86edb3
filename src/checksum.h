// Checksums: XXH64 with seed 0 over raw and payload bytes (docs/format.md).
#pragma once

#include <cstdint>
#include <span>

namespace lmarc {

uint64_t Xxh64(std::span<const uint8_t> bytes);

// Incremental XXH64 for data that arrives in pieces (e.g. a file table).
class Xxh64Stream {
 public:
  Xxh64Stream();
  ~Xxh64Stream();
  Xxh64Stream(const Xxh64Stream&) = delete;
  Xxh64Stream& operator=(const Xxh64Stream&) = delete;
  void Update(std::span<const uint8_t> bytes);
  uint64_t Digest() const;

 private:
  void* state_;  // XXH64_state_t*
};

}  // namespace lmarc
