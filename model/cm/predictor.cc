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

template <int kHashed, int kExternal>
Predictor<kHashed, kExternal>::Predictor(const CmParams& params, size_t expected_bytes)
    : use_apm_(params.level > 1),
      logistic_(Logistic()),
      bit_history_(BitHistory()),
      lane_(params.match_bits),
      order1_(256 * 17 * 16, 0),
      table_(params.table_bits),
      mixer_(kInputs, kMixerSets),
      apm_(logistic_, use_apm_ ? 256 * 256 : 0, 6) {
  for (auto& map : state_maps_) {
    for (int s = 0; s < 256; ++s) map[static_cast<size_t>(s)] = StateMap::InitialEntry(s);
  }
  StartLane(expected_bytes);
}

template <int kHashed, int kExternal>
typename Predictor<kHashed, kExternal>::Lane Predictor<kHashed, kExternal>::NewLane(
    int match_bits, size_t expected_bytes) {
  Lane lane(match_bits);
  ExchangeLane(&lane);
  StartLane(expected_bytes);
  ExchangeLane(&lane);
  return lane;
}

template <int kHashed, int kExternal>
void Predictor<kHashed, kExternal>::StartLane(size_t expected_bytes) {
  lane_.history.reserve(expected_bytes);
  // Contexts before the first byte: all hashes of the empty history.
  for (int i = 0; i < kHashed; ++i) lane_.context_hash[i] = ContextHash(0, i);
  LookUpHighNibble();
}

template <int kHashed, int kExternal>
void Predictor<kHashed, kExternal>::LookUpHighNibble() {
  for (int i = 0; i < kHashed; ++i) table_.Prefetch(lane_.context_hash[i]);
  lane_.slot[0] = &order0_[0];
  lane_.slot[1] = &order1_[(lane_.recent & 0xFF) * 17 * 16];
  for (int i = 0; i < kHashed; ++i) {
    lane_.slot[kDirectContexts + i] = table_.Find(lane_.context_hash[i], bit_history_);
  }
}

template <int kHashed, int kExternal>
void Predictor<kHashed, kExternal>::LookUpLowNibble() {
  uint64_t keys[kHashed];
  for (int i = 0; i < kHashed; ++i) {
    keys[i] = LowNibbleKey(lane_.context_hash[i], lane_.c0);
    table_.Prefetch(keys[i]);
  }
  const size_t direct_slot = lane_.c0 - 15;  // lane_.c0 is 16..31 at bit 4
  lane_.slot[0] = &order0_[direct_slot * 16];
  lane_.slot[1] = &order1_[((lane_.recent & 0xFF) * 17 + direct_slot) * 16];
  for (int i = 0; i < kHashed; ++i) lane_.slot[kDirectContexts + i] = table_.Find(keys[i], bit_history_);
}

template <int kHashed, int kExternal>
void Predictor<kHashed, kExternal>::UpdateByte(uint8_t byte) {
  lane_.history.push_back(byte);
  lane_.recent = lane_.recent << 8 | byte;
  if (IsWordByte(byte)) {
    const uint64_t lower = (byte >= 'A' && byte <= 'Z') ? byte + 32u : byte;
    lane_.word = (lane_.word + lower + 1) * 0x100000001B3ull;
  } else if (lane_.word != 0) {
    lane_.prev_word = lane_.word;
    lane_.word = 0;
  }
  lane_.match.UpdateByte(lane_.history, lane_.recent);

  // The order of this list is the order of the contexts (predictor.h); the
  // unused tail is dead code the compiler drops.
  const uint64_t values[kMaxHashedContexts] = {
      lane_.recent & 0xFFFF,
      lane_.recent & 0xFFFFFF,
      lane_.recent & 0xFFFFFFFF,
      lane_.word ^ (lane_.recent & 0xFF) << 56,
      lane_.word + lane_.prev_word * 0x2545F4914F6CDD1Dull,
      lane_.recent & 0xFFFFFFFFFFFF,
      lane_.recent & 0xFFFF00,
      lane_.recent & 0xFFFFFFFFFF,
      lane_.recent & 0xFF0000FF,
      lane_.recent,
  };
  for (int i = 0; i < kHashed; ++i) lane_.context_hash[i] = ContextHash(values[i], i);
}

template class Predictor<3>;
template class Predictor<4>;
template class Predictor<5>;
template class Predictor<10>;
template class Predictor<3, 2>;
template class Predictor<4, 2>;
template class Predictor<5, 2>;
template class Predictor<10, 2>;

}  // namespace lmarc::cm
