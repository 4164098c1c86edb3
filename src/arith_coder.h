// Binary arithmetic coder: 32-bit range, carry propagation (LZMA style),
// 16-bit probabilities, integer only.
//
// Invariants:
//  * the encoder's range is >= 2^24 after every normalisation, so splitting it
//    with a 16-bit probability loses at most 2^-24 of the interval;
//  * the split is computed in 64 bits exactly: bound = (range * p1) >> 16,
//    with p1 in [1, 65535] so neither symbol ever gets an empty interval;
//  * the decoder never reads outside its input: past the end it reads zero
//    bytes and records the overrun (the chunk checksum then rejects it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace lmarc {

// Probabilities are P(bit == 1) in units of 2^-16.
inline constexpr int kProbBits = 16;
inline constexpr uint32_t kProbOne = 1u << kProbBits;

// The single conversion from a model's probability to the coder's integer
// form: clamps a 16-bit probability into [1, 65535] (never 0, never 1).
constexpr uint32_t ToCoderProbability(uint32_t p1) {
  return p1 < 1 ? 1 : (p1 > kProbOne - 1 ? kProbOne - 1 : p1);
}

class ArithEncoder {
 public:
  // Appends encoded bytes to *out (not owned, must outlive the encoder).
  explicit ArithEncoder(std::vector<uint8_t>* out) : out_(out) {}

  // Codes `bit` (0 or 1) with P(bit == 1) = p1 / 2^16, p1 in [1, 65535].
  void Encode(int bit, uint32_t p1) {
    const uint32_t bound = static_cast<uint32_t>((uint64_t{range_} * p1) >> kProbBits);
    if (bit) {
      range_ = bound;
    } else {
      low_ += bound;
      range_ -= bound;
    }
    while (range_ < kTop) {
      range_ <<= 8;
      ShiftLow();
    }
  }

  // Flushes the final state. Must be called exactly once, after the last bit.
  void Finish();

 private:
  static constexpr uint32_t kTop = 1u << 24;
  void ShiftLow();

  std::vector<uint8_t>* out_;
  uint64_t low_ = 0;           // 33 significant bits: bit 32 is the pending carry
  uint32_t range_ = 0xFFFFFFFFu;
  uint8_t cache_ = 0;          // last byte not yet written (may still get a carry)
  uint64_t cache_size_ = 1;    // cache_ plus the number of pending 0xFF bytes
};

class ArithDecoder {
 public:
  explicit ArithDecoder(std::span<const uint8_t> in);

  // Decodes one bit coded with the same p1 the encoder used.
  int Decode(uint32_t p1) {
    const uint32_t bound = static_cast<uint32_t>((uint64_t{range_} * p1) >> kProbBits);
    int bit;
    if (code_ < bound) {
      range_ = bound;
      bit = 1;
    } else {
      code_ -= bound;
      range_ -= bound;
      bit = 0;
    }
    while (range_ < kTop) {
      range_ <<= 8;
      code_ = (code_ << 8) | NextByte();
    }
    return bit;
  }

  // True when decoding consumed more bytes than the input holds (corrupt input).
  bool overrun() const { return pos_ > in_.size(); }

 private:
  static constexpr uint32_t kTop = 1u << 24;
  uint8_t NextByte() {
    const uint8_t b = pos_ < in_.size() ? in_[pos_] : 0;
    ++pos_;
    return b;
  }

  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  uint32_t range_ = 0xFFFFFFFFu;
  uint32_t code_ = 0;
};

}  // namespace lmarc
