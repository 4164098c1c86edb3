#include "model/cm/predictor.h"

namespace lmarc::cm {
namespace {

// 64-bit finaliser (xor-shift-multiply): every input bit affects the high
// bits (bucket) and the low byte (check) of the result.
inline uint64_t Finalize(uint64_t x) {
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 32;
  return x;
}

// Hash of context value `x` for context number `which` (keeps equal values of
// different contexts apart).
inline uint64_t ContextHash(uint64_t x, int which) {
  return Finalize(x * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(which + 1) * 0xD6E8FEB86659FD93ull);
}

inline bool IsWordByte(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 128;
}

// Mixer weight sets: (match length class 0..4) x c0.
constexpr int kMixerSets = 5 * 256;

}  // namespace

Predictor::Predictor(const CmParams& params, size_t expected_bytes)
    : num_hashed_(HashedContexts(params.level)),
      num_contexts_(kDirectContexts + num_hashed_),
      logistic_(Logistic()),
      bit_history_(BitHistory()),
      order1_(256 * 17 * 16, 0),
      table_(params.table_bits),
      match_(params.match_bits),
      mixer_(num_contexts_ + kMatchInputs, kMixerSets),
      apm_(logistic_, 256 * 256, 6) {
  history_.reserve(expected_bytes);
  for (auto& map : state_maps_) {
    for (int s = 0; s < 256; ++s) map[static_cast<size_t>(s)] = StateMap::InitialEntry(s);
  }
  // Contexts before the first byte: all hashes of the empty history.
  for (int i = 0; i < kMaxHashedContexts; ++i) context_hash_[i] = ContextHash(0, i);
  LookUpNibble();
}

void Predictor::LookUpNibble() {
  std::array<uint64_t, kMaxHashedContexts> keys;
  for (int i = 0; i < num_hashed_; ++i) {
    keys[i] = bit_pos_ == 0 ? context_hash_[i] : Finalize(context_hash_[i] + c0_ * 0x9E3779B97F4A7C15ull);
    table_.Prefetch(keys[i]);
  }
  const size_t direct_slot = bit_pos_ == 0 ? 0 : c0_ - 15;  // c0_ is 16..31 at bit 4
  slot_[0] = &order0_[direct_slot * 16];
  slot_[1] = &order1_[((recent_ & 0xFF) * 17 + direct_slot) * 16];
  for (int i = 0; i < num_hashed_; ++i) slot_[kDirectContexts + i] = table_.Find(keys[i]);
}

void Predictor::UpdateByte(uint8_t byte) {
  history_.push_back(byte);
  recent_ = recent_ << 8 | byte;
  if (IsWordByte(byte)) {
    const uint64_t lower = (byte >= 'A' && byte <= 'Z') ? byte + 32u : byte;
    word_ = (word_ + lower + 1) * 0x100000001B3ull;
  } else if (word_ != 0) {
    prev_word_ = word_;
    word_ = 0;
  }
  match_.UpdateByte(history_, recent_);

  // The order of this list is the order of HashedContexts() (predictor.h).
  const uint64_t values[kMaxHashedContexts] = {
      recent_ & 0xFFFF,
      recent_ & 0xFFFFFF,
      recent_ & 0xFFFFFFFF,
      word_ ^ (recent_ & 0xFF) << 56,
      recent_ & 0xFFFFFFFFFFFF,
      word_ + prev_word_ * 0x2545F4914F6CDD1Dull,
      recent_ & 0xFFFF00,
      recent_ & 0xFFFFFFFFFF,
      recent_ & 0xFF0000FF,
      recent_,
  };
  for (int i = 0; i < num_hashed_; ++i) context_hash_[i] = ContextHash(values[i], i);
}

}  // namespace lmarc::cm
