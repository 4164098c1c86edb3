// Deterministic pseudo-random values for tests (xorshift64*): the same
// sequence on every platform, without <random>'s implementation-defined
// distributions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lmarc {

class TestRng {
 public:
  explicit TestRng(uint64_t seed) : state_(seed * 2 + 1) {}
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  std::vector<uint8_t> Bytes(size_t n) {
    std::vector<uint8_t> out(n);
    for (uint8_t& b : out) b = static_cast<uint8_t>(Next() >> 56);
    return out;
  }

 private:
  uint64_t state_;
};

}  // namespace lmarc
