#include "model/cm/match_model.h"

namespace lmarc::cm {

MatchModel::MatchModel(int table_bits)
    : table_bits_(table_bits),
      positions_(size_t{1} << table_bits, 0),
      confidence_(kLengthBuckets * 2, 1023, /*from_bit_history=*/false) {}

void MatchModel::UpdateByte(const std::vector<uint8_t>& history, uint64_t recent) {
  const uint32_t pos = static_cast<uint32_t>(history.size());  // bytes seen so far
  const uint8_t byte = history[pos - 1];
  if (length_ > 0 && history[match_ptr_] == byte) {
    if (length_ < kMaxLength) ++length_;
    ++match_ptr_;  // < pos: it trails the current position by the match distance
  } else {
    length_ = 0;
  }
  if (pos < kMinLength) return;
  const uint64_t key = (recent & ((uint64_t{1} << (8 * kMinLength)) - 1)) * 0x9E3779B97F4A7C15ull;
  uint32_t& slot = positions_[static_cast<size_t>(key >> (64 - table_bits_))];
  if (length_ == 0 && slot > 0) {
    // Verify backwards: the candidate is a real match only if its preceding
    // bytes equal ours (the hash may collide).
    const uint32_t candidate = slot;
    int verified = 0;
    while (verified < 64 && verified < static_cast<int>(candidate) &&
           history[candidate - 1 - verified] == history[pos - 1 - verified]) {
      ++verified;
    }
    if (verified >= kMinLength) {
      length_ = verified;
      match_ptr_ = candidate;
    }
  }
  slot = pos;
  if (length_ > 0) predicted_byte_ = history[match_ptr_];
}

}  // namespace lmarc::cm
