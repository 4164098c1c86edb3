// The cm predictor: ties the context models, the match model, the mixer and
// the APM stages into one bitwise model.
//
// Protocol (identical for encoder and decoder): for each byte, for each of
// its 8 bits MSB first, call P() then Update(bit). P() returns P(bit == 1)
// in units of 2^-16; it is deterministic given the bits updated so far.
//
// Inputs to the mixer, per bit (the number of hashed contexts, kHashed, is a
// template parameter so that the per-context loops unroll; HashedContexts()
// gives it per level):
//  * order-0 and order-1 bit histories (direct tables),
//  * hashed bit histories, in this order (a level uses a prefix): orders 2,
//    3, 4 (level 1 stops here: 3), the current alphabetic word with the
//    previous byte (levels 2..3: 4), the current and previous word (levels
//    4..6: 5); order 6, a sparse context (the 2nd and 3rd previous bytes),
//    order 5, a sparse context (the previous byte and the 4th one back),
//    order 8 (levels 7..9: 10); all in one shared NibbleTable,
//  * two match-model inputs.
// Each bit history goes through its own StateMap to become a probability.
// The mixer's weight set is selected by (match length class, partial byte
// c0). Except at level 1, the mix is refined by an order-1 APM and averaged
// with it (1:3).
//
// P() and Update() run for every bit and are defined here so that they
// inline into the coding loops.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "model/cm/apm.h"
#include "model/cm/bit_history.h"
#include "model/cm/cm_params.h"
#include "model/cm/logistic.h"
#include "model/cm/match_model.h"
#include "model/cm/mixer.h"
#include "model/cm/nibble_table.h"

namespace lmarc::cm {

inline constexpr int kMaxHashedContexts = 10;

// Hashed contexts used at `level`: 3 at level 1, 4 at 2..3, 5 at 4..6, 10 at
// 7..9 (a prefix of the list above; cm_codec.cc instantiates each).
inline int HashedContexts(int level) {
  return level == 1 ? 3 : (level <= 3 ? 4 : (level <= 6 ? 5 : 10));
}

// kExternal: mixer inputs the caller supplies per bit (the nn codec's
// transformer inputs; 0 for cm).
template <int kHashed, int kExternal = 0>
class Predictor {
 public:
  static_assert(kHashed >= 1 && kHashed <= kMaxHashedContexts);
  static constexpr int kDirectContexts = 2;  // order 0, order 1
  static constexpr int kContexts = kDirectContexts + kHashed;
  static constexpr int kMatchInputs = 2;
  static constexpr int kInputs = kContexts + kMatchInputs + kExternal;
  // Every input plus the bias fit one mixer row.
  static_assert(kInputs < Mixer::kWidth);

  // Everything that follows one byte sequence: the bits and bytes seen, the
  // context hashes and slots, the match model. The shared tables (context
  // table, StateMaps, mixer, APM) learn from every lane. At a byte boundary
  // a caller may exchange the active lane with another (ExchangeLane) to
  // code several sequences interleaved byte by byte; the order of the
  // exchanges is part of the bitstream.
  struct Lane {
    explicit Lane(int match_bits) : match(match_bits) {}

    uint32_t c0 = 1;      // partial byte: a leading 1 then the bits seen (1..255)
    int bit_pos = 0;      // bits of the current byte seen, 0..7
    uint32_t node = 1;    // node within the current nibble's tree, 1..15
    uint64_t recent = 0;  // last 8 bytes, newest in the low byte
    std::vector<uint8_t> history;
    uint64_t word = 0;       // hash of the current alphabetic word (0: none)
    uint64_t prev_word = 0;  // hash of the word before it
    std::array<uint64_t, kHashed> context_hash{};
    // Every context's states are nibble slots of 16 bytes ([0] unused or the
    // check byte, [node] the state of tree node 1..15), so the state coded
    // next is always slot[i][node]; direct contexts first.
    std::array<uint8_t*, kContexts> slot{};
    MatchModel match;
  };

  // The predictor starts with one active lane whose match model has
  // params.match_bits; `expected_bytes` only reserves its history capacity.
  Predictor(const CmParams& params, size_t expected_bytes);

  // A lane at the start of a sequence (to be made active by ExchangeLane).
  // Creating one looks up its first contexts in the shared table, so the
  // order of creation is part of the bitstream too.
  Lane NewLane(int match_bits, size_t expected_bytes);

  // Swaps the active lane with *other. Only at a byte boundary.
  void ExchangeLane(Lane* other) { std::swap(lane_, *other); }

  // The caller's kExternal inputs for the next P() (stretched values within
  // +-kStretchLimit), written before each P().
  int16_t* external_inputs() { return mixer_.inputs() + kContexts + kMatchInputs; }

  // The loops below run over compile-time counts and fully unroll. Update()
  // loads every state before it stores any: the uint8_t stores may alias
  // any member, so a store before a load would force the load to re-read.
  uint32_t P() {
    int16_t* const in = mixer_.inputs();
    const uint32_t node = lane_.node;
    const int16_t* const stretch = logistic_.stretch;
    for (int i = 0; i < kContexts; ++i) {
      in[i] = stretch[StateMapP(state_maps_[i][lane_.slot[i][node]]) >> 4];
    }
    lane_.match.Predict(logistic_, lane_.c0, lane_.bit_pos, in + kContexts);
    mixed_p_ = mixer_.Mix(logistic_, lane_.match.LengthClass() << 8 | static_cast<int>(lane_.c0));
    if (!use_apm_) return mixed_p_;
    const uint32_t c1 = static_cast<uint32_t>(lane_.recent & 0xFF);
    const uint32_t refined = apm_.Refine(logistic_, mixed_p_, c1 << 8 | lane_.c0);
    return (mixed_p_ + 3 * refined + 2) >> 2;
  }

  void Update(int bit) {
    const uint32_t node = lane_.node;
    const BitHistoryTable& history = bit_history_;
    uint8_t* states[kContexts];
    uint8_t s[kContexts];
    for (int i = 0; i < kContexts; ++i) {
      states[i] = &lane_.slot[i][node];
      s[i] = *states[i];
    }
    for (int i = 0; i < kContexts; ++i) StateMapTrain(&state_maps_[i][s[i]], bit, kStateMapLimit);
    for (int i = 0; i < kContexts; ++i) *states[i] = history.next[s[i]][bit];
    lane_.match.Update(bit);
    mixer_.Update(bit);
    if (use_apm_) apm_.Update(bit);

    lane_.c0 = lane_.c0 * 2 + static_cast<uint32_t>(bit);
    lane_.node = lane_.node * 2 + static_cast<uint32_t>(bit);
    ++lane_.bit_pos;
    if (lane_.bit_pos == 8) {
      UpdateByte(static_cast<uint8_t>(lane_.c0 & 0xFF));
      lane_.c0 = 1;
      lane_.bit_pos = 0;
      lane_.node = 1;
      LookUpHighNibble();
    } else if (lane_.bit_pos == 4) {
      lane_.node = 1;
      LookUpLowNibble();
    }
  }

 private:
  static constexpr uint32_t kStateMapLimit = 1023;

  void UpdateByte(uint8_t byte);
  // Prepares the fresh active lane: history capacity, empty-history contexts.
  void StartLane(size_t expected_bytes);
  // Re-aim lane_.slot at the current nibble: at bit 0 and at bit 4.
  void LookUpHighNibble();
  void LookUpLowNibble();

  const bool use_apm_;
  const LogisticTables& logistic_;
  const BitHistoryTable& bit_history_;

  Lane lane_;  // the active lane

  // Context models. Direct slots: 17 per byte context, slot 0 for the high
  // nibble and slot 1 + h for the low nibble after high nibble h.
  std::array<uint8_t, 17 * 16> order0_{};  // [slot * 16 + node]
  std::vector<uint8_t> order1_;            // [(c1 * 17 + slot) * 16 + node]
  NibbleTable table_;
  // One StateMap per context, indexed by bit-history state (StateMapP/Train).
  std::array<std::array<uint32_t, 256>, kContexts> state_maps_;

  // Mixing and refinement.
  Mixer mixer_;
  Apm apm_;  // order 1: (c1, c0); empty when !use_apm_
  uint32_t mixed_p_ = 32768;
};

extern template class Predictor<3>;
extern template class Predictor<4>;
extern template class Predictor<5>;
extern template class Predictor<10>;
extern template class Predictor<3, 2>;
extern template class Predictor<4, 2>;
extern template class Predictor<5, 2>;
extern template class Predictor<10, 2>;

}  // namespace lmarc::cm
