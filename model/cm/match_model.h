// Match model: finds the most recent earlier occurrence of the last
// kMinLength bytes and predicts that the byte which followed it repeats.
//
// At each byte boundary the model either extends its current match (the
// predicted byte was right) or looks the hash of the last kMinLength bytes up
// in a table of positions and verifies the candidate backwards. While a match
// is live, each bit's expected value is the corresponding bit of the
// predicted byte; the first wrong bit ends the match for the rest of the byte.
// The confidence comes from a StateMap indexed by (length bucket, expected
// bit), so the model learns how reliable matches of each length are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/cm/bit_history.h"
#include "model/cm/logistic.h"

namespace lmarc::cm {

class MatchModel {
 public:
  static constexpr int kMinLength = 6;  // < 8: the hash reads it from `recent`
  static_assert(kMinLength > 0 && kMinLength < 8);
  static constexpr int kMaxLength = 65535;
  static constexpr int kLengthBuckets = 32;

  // 2^table_bits position entries (4 bytes each).
  explicit MatchModel(int table_bits);

  // Called after each whole byte; history holds every byte so far, the last
  // one being the byte just completed. `recent` holds the last 8 bytes, the
  // newest in the low byte.
  void UpdateByte(const std::vector<uint8_t>& history, uint64_t recent);

  // Writes two mixer inputs (stretched) to out[0..1] for the next bit given
  // the partial byte c0 (leading 1 then the bits seen so far) and `bit_pos`
  // bits seen.
  void Predict(const LogisticTables& logistic, uint32_t c0, int bit_pos, int16_t* out) {
    if (length_ > 0 && ((predicted_byte_ | 0x100u) >> (8 - bit_pos)) != c0) length_ = 0;
    if (length_ == 0) {
      expected_bit_ = -1;
      out[0] = 0;
      out[1] = 0;
      return;
    }
    expected_bit_ = (predicted_byte_ >> (7 - bit_pos)) & 1;
    out[0] = Stretch(logistic, confidence_.P(LengthBucket() * 2 + expected_bit_));
    // A second, fixed-shape input: grows with the length, sign of the bit.
    const int strength = length_ < 32 ? length_ * 32 : 1024;
    out[1] = expected_bit_ ? strength : -strength;
  }

  void Update(int bit) {
    if (expected_bit_ >= 0) confidence_.Update(bit);
  }

  // 0 when no match is live, else 1 + min(length, 15) / 4 (so 1..4).
  int LengthClass() const { return length_ == 0 ? 0 : 1 + (length_ < 15 ? length_ : 15) / 4; }
  // The byte the current match predicts; meaningful only while LengthClass() > 0.
  int predicted_byte() const { return predicted_byte_; }

 private:
  int LengthBucket() const {
    if (length_ < 16) return length_;
    const int coarse = 16 + (length_ - 16) / 16;
    return coarse < kLengthBuckets ? coarse : kLengthBuckets - 1;
  }

  int table_bits_;
  std::vector<uint32_t> positions_;  // hash of kMinLength bytes -> position after them
  uint32_t match_ptr_ = 0;           // index into history of the predicted byte
  int length_ = 0;                   // verified match length, 0 = none
  int predicted_byte_ = 0;
  int expected_bit_ = -1;            // -1: no prediction for the current bit
  StateMap confidence_;
};

}  // namespace lmarc::cm
