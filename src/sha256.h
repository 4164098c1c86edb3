// SHA-256 (FIPS 180-4): the model id of lmarc is the SHA-256 of a weight file
// (docs/model.md, "Weight file format"). Own implementation, no dependencies.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace lmarc {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental hash: Update any number of times, then Digest once.
class Sha256 {
 public:
  Sha256();
  void Update(std::span<const uint8_t> bytes);
  // Pads and returns the 32-byte digest (big-endian words, as FIPS 180-4).
  // The object must not be updated afterwards.
  Sha256Digest Digest();

 private:
  void ProcessBlock(const uint8_t* block);  // exactly 64 bytes

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> pending_{};  // bytes not yet forming a full block
  size_t pending_size_ = 0;
  uint64_t total_bytes_ = 0;
};

Sha256Digest Sha256Of(std::span<const uint8_t> bytes);

// Lower-case hex, 64 characters.
std::string DigestToHex(const Sha256Digest& digest);

}  // namespace lmarc
