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

constexpr int kStateMapLimit = 1023;
constexpr int kMatchInputs = 2;
constexpr int kMixerInputs = 10 + kMatchInputs;

}  // namespace

Predictor::Predictor(const CmParams& params, size_t expected_bytes)
    : num_contexts_(params.level <= 3 ? kContexts - 2 : kContexts),
      logistic_(Logistic()),
      bit_history_(BitHistory()),
      order0_(256, 0),
      order1_(256 * 256, 0),
      table_(params.table_bits),
      match_(params.match_bits),
      mixer_(kMixerInputs, {256, 5 * 8, 256}, 5),
      apm_order0_(logistic_, 256, 6),
      apm_order1_(logistic_, 256 * 256, 6) {
  static_assert(kContexts == 10, "kMixerInputs counts one input per context plus the match inputs");
  history_.reserve(expected_bytes);
  state_maps_.reserve(kContexts);
  for (int i = 0; i < kContexts; ++i) state_maps_.emplace_back(256, kStateMapLimit, true);
  // Contexts before the first byte: all hashes of the empty history.
  for (int i = 0; i < kHashedContexts; ++i) context_hash_[i] = ContextHash(0, i);
  LookUpNibble();
  PointAtNextBit();
}

void Predictor::LookUpNibble() {
  std::array<uint64_t, kHashedContexts> keys;
  for (int i = 0; i < num_contexts_ - kDirectContexts; ++i) {
    keys[i] = bit_pos_ == 0 ? context_hash_[i] : Finalize(context_hash_[i] + c0_ * 0x9E3779B97F4A7C15ull);
    table_.Prefetch(keys[i]);
  }
  for (int i = 0; i < num_contexts_ - kDirectContexts; ++i) slot_[i] = table_.Find(keys[i]);
}

uint32_t Predictor::P() {
  for (int i = 0; i < num_contexts_; ++i) {
    mixer_.Add(Stretch(logistic_, state_maps_[i].P(*state_[i])));
  }
  match_.Predict(logistic_, c0_, bit_pos_, &mixer_);

  const int match_class = match_.LengthClass();
  mixer_.Select(0, static_cast<int>(c0_));
  mixer_.Select(1, match_class * 8 + bit_pos_);
  mixer_.Select(2, static_cast<int>(recent_ & 0xFF));

  mixed_p_ = mixer_.Mix(logistic_, match_class);

  const uint32_t c1 = static_cast<uint32_t>(recent_ & 0xFF);
  const uint32_t p0 = apm_order0_.Refine(logistic_, mixed_p_, c0_);
  const uint32_t p1 = apm_order1_.Refine(logistic_, mixed_p_, c1 << 8 | c0_);
  return (2 * mixed_p_ + p0 + 5 * p1 + 4) >> 3;
}

void Predictor::Update(int bit) {
  for (int i = 0; i < num_contexts_; ++i) {
    *state_[i] = bit_history_.next[*state_[i]][bit];
    state_maps_[i].Update(bit);
  }
  match_.Update(bit);
  mixer_.Update(bit);
  apm_order0_.Update(bit);
  apm_order1_.Update(bit);

  c0_ = c0_ * 2 + static_cast<uint32_t>(bit);
  node_ = node_ * 2 + static_cast<uint32_t>(bit);
  ++bit_pos_;
  if (bit_pos_ == 8) {
    UpdateByte(static_cast<uint8_t>(c0_ & 0xFF));
    c0_ = 1;
    bit_pos_ = 0;
    node_ = 1;
    LookUpNibble();
  } else if (bit_pos_ == 4) {
    node_ = 1;
    LookUpNibble();
  }
  PointAtNextBit();
}

void Predictor::PointAtNextBit() {
  const uint32_t c1 = static_cast<uint32_t>(recent_ & 0xFF);
  state_[0] = &order0_[c0_];
  state_[1] = &order1_[c1 << 8 | c0_];
  for (int i = 0; i < num_contexts_ - kDirectContexts; ++i) {
    state_[kDirectContexts + i] = slot_[i] + node_;
  }
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

  context_hash_[0] = ContextHash(recent_ & 0xFFFF, 0);
  context_hash_[1] = ContextHash(recent_ & 0xFFFFFF, 1);
  context_hash_[2] = ContextHash(recent_ & 0xFFFFFFFF, 2);
  context_hash_[3] = ContextHash(recent_ & 0xFFFFFFFFFFFF, 3);
  context_hash_[4] = ContextHash(word_ ^ (recent_ & 0xFF) << 56, 4);
  context_hash_[5] = ContextHash(word_ + prev_word_ * 0x2545F4914F6CDD1Dull, 5);
  context_hash_[6] = ContextHash(recent_ & 0xFFFF00, 6);
  context_hash_[7] = ContextHash(recent_ & 0xFFFFFFFFFF, 7);
}

}  // namespace lmarc::cm
