#include "model/cm/predictor.h"

namespace lmarc::cm {
namespace {

// Context hashing: one multiply per context per byte and one per context per
// nibble. A NibbleTable key takes its bucket from its high bits and its check
// byte from bits 32..39 (nibble_table.h); both are products by an odd
// constant, whose high half depends on every input bit below it. The
// xor-shift folds the top half of a 64-bit context value down so that it
// reaches the check byte too.
constexpr uint64_t kByteMul = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kNibbleMul = 0xD6E8FEB86659FD93ull;
constexpr uint64_t kSalt = 0x2545F4914F6CDD1Dull;

// Hash of context value `x` for context number `which` (the salt keeps equal
// values of different contexts apart).
inline uint64_t ContextHash(uint64_t x, int which) {
  return ((x ^ (x >> 32)) + static_cast<uint64_t>(which + 1) * kSalt) * kByteMul;
}

// Key of the low-nibble slot of context hash `h` after high nibble c0 (16..31).
inline uint64_t LowNibbleKey(uint64_t h, uint32_t c0) { return (h + c0) * kNibbleMul; }

inline bool IsWordByte(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 128;
}

// Mixer weight sets: (match length class 0..4) x c0.
constexpr int kMixerSets = 5 * 256;

}  // namespace

template <int kHashed>
Predictor<kHashed>::Predictor(const CmParams& params, size_t expected_bytes)
    : use_apm_(params.level > 1),
      logistic_(Logistic()),
      bit_history_(BitHistory()),
      order1_(256 * 17 * 16, 0),
      table_(params.table_bits),
      match_(params.match_bits),
      mixer_(kContexts + kMatchInputs, kMixerSets),
      apm_(logistic_, use_apm_ ? 256 * 256 : 0, 6) {
  history_.reserve(expected_bytes);
  for (auto& map : state_maps_) {
    for (int s = 0; s < 256; ++s) map[static_cast<size_t>(s)] = StateMap::InitialEntry(s);
  }
  // Contexts before the first byte: all hashes of the empty history.
  for (int i = 0; i < kHashed; ++i) context_hash_[i] = ContextHash(0, i);
  LookUpHighNibble();
}

template <int kHashed>
void Predictor<kHashed>::LookUpHighNibble() {
  for (int i = 0; i < kHashed; ++i) table_.Prefetch(context_hash_[i]);
  slot_[0] = &order0_[0];
  slot_[1] = &order1_[(recent_ & 0xFF) * 17 * 16];
  for (int i = 0; i < kHashed; ++i) {
    slot_[kDirectContexts + i] = table_.Find(context_hash_[i], bit_history_);
  }
}

template <int kHashed>
void Predictor<kHashed>::LookUpLowNibble() {
  uint64_t keys[kHashed];
  for (int i = 0; i < kHashed; ++i) {
    keys[i] = LowNibbleKey(context_hash_[i], c0_);
    table_.Prefetch(keys[i]);
  }
  const size_t direct_slot = c0_ - 15;  // c0_ is 16..31 at bit 4
  slot_[0] = &order0_[direct_slot * 16];
  slot_[1] = &order1_[((recent_ & 0xFF) * 17 + direct_slot) * 16];
  for (int i = 0; i < kHashed; ++i) slot_[kDirectContexts + i] = table_.Find(keys[i], bit_history_);
}

template <int kHashed>
void Predictor<kHashed>::UpdateByte(uint8_t byte) {
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

  // The order of this list is the order of the contexts (predictor.h); the
  // unused tail is dead code the compiler drops.
  const uint64_t values[kMaxHashedContexts] = {
      recent_ & 0xFFFF,
      recent_ & 0xFFFFFF,
      recent_ & 0xFFFFFFFF,
      word_ ^ (recent_ & 0xFF) << 56,
      word_ + prev_word_ * 0x2545F4914F6CDD1Dull,
      recent_ & 0xFFFFFFFFFFFF,
      recent_ & 0xFFFF00,
      recent_ & 0xFFFFFFFFFF,
      recent_ & 0xFF0000FF,
      recent_,
  };
  for (int i = 0; i < kHashed; ++i) context_hash_[i] = ContextHash(values[i], i);
}

template class Predictor<3>;
template class Predictor<4>;
template class Predictor<5>;
template class Predictor<10>;

}  // namespace lmarc::cm
