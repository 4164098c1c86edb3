// The cm predictor: ties the context models, the match model, the mixer and
// the APM stages into one bitwise model.
//
// Protocol (identical for encoder and decoder): for each byte, for each of
// its 8 bits MSB first, call P() then Update(bit). P() returns P(bit == 1)
// in units of 2^-16; it is deterministic given the bits updated so far.
//
// Inputs to the mixer, per bit:
//  * order-0 and order-1 bit histories (direct tables),
//  * order-2, 3, 4, 6 bit histories and two word contexts (the current
//    alphabetic word with the previous byte; the current and previous word),
//    plus (levels >= 4) a sparse context (the 2nd and 3rd previous bytes) and
//    order 5, all in one shared NibbleTable,
//  * two match-model inputs.
// Each bit history goes through its own StateMap to become a probability.
// Mixer weight sets are selected by the partial byte c0, by (match length
// class, bit position) and by the previous byte; the layer-2 set by the match
// length class. The mix is refined by order-0 and order-1 APMs and averaged
// with them (2:1:5).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/cm/apm.h"
#include "model/cm/bit_history.h"
#include "model/cm/cm_params.h"
#include "model/cm/logistic.h"
#include "model/cm/match_model.h"
#include "model/cm/mixer.h"
#include "model/cm/nibble_table.h"

namespace lmarc::cm {

class Predictor {
 public:
  // `expected_bytes` only reserves history capacity.
  Predictor(const CmParams& params, size_t expected_bytes);

  uint32_t P();
  void Update(int bit);

 private:
  static constexpr int kHashedContexts = 8;
  static constexpr int kDirectContexts = 2;  // order 0, order 1
  static constexpr int kContexts = kDirectContexts + kHashedContexts;

  void UpdateByte(uint8_t byte);
  void LookUpNibble();    // re-finds every hashed slot; at bit 0 and bit 4
  void PointAtNextBit();  // aims state_ at the histories of the next bit

  // Contexts in use: levels 1..3 drop the order-5 and sparse contexts (the
  // last two) for speed.
  const int num_contexts_;
  const LogisticTables& logistic_;
  const BitHistoryTable& bit_history_;

  // Bits and bytes seen.
  uint32_t c0_ = 1;      // partial byte: a leading 1 then the bits seen (1..255)
  int bit_pos_ = 0;      // bits of the current byte seen, 0..7
  uint32_t node_ = 1;    // node within the current nibble's tree, 1..15
  uint64_t recent_ = 0;  // last 8 bytes, newest in the low byte
  std::vector<uint8_t> history_;
  uint64_t word_ = 0;       // hash of the current alphabetic word (0: none)
  uint64_t prev_word_ = 0;  // hash of the word before it

  // Context models.
  std::vector<uint8_t> order0_;  // [c0]
  std::vector<uint8_t> order1_;  // [c1 << 8 | c0]
  NibbleTable table_;
  std::array<uint64_t, kHashedContexts> context_hash_{};
  std::array<uint8_t*, kHashedContexts> slot_{};
  std::array<uint8_t*, kContexts> state_{};  // the bit history coded next
  std::vector<StateMap> state_maps_;         // one per context
  MatchModel match_;

  // Mixing and refinement.
  Mixer mixer_;
  Apm apm_order0_;
  Apm apm_order1_;
  uint32_t mixed_p_ = 32768;
};

}  // namespace lmarc::cm
