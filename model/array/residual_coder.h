// Residual coder: codes the prediction residual r = value - prediction
// (modulo 2^W, read as a W-bit two's complement number) of each element as
// binary decisions for the shared arithmetic coder.
//
// Binarisation of r, with m = |r| (m = 2^(W-1) for r = -2^(W-1)):
//  1. the bit length L of m, 0..W, as a binary tree of depth bit_width(W)
//     (4, 5, 6, 7 levels for W = 8, 16, 32, 64), MSB first;
//  2. the sign (only when L > 0);
//  3. the bits of m below its leading one, MSB first: the top kTopBits with
//     the context (L, bits so far), the rest with the context (absolute bit
//     position) — nearly uniform, but they learn trailing zeros.
// The length carries most of the information and gets four context models,
// each an adaptive probability per (context, tree node):
//   neighbours: the lengths of the left and the above residual (+1, 0 when
//               there is no such neighbour), jointly;
//   activity:   the mean length of up to five neighbours (left, two left,
//               above, above-left, above-right) in half-bit steps;
//   value:      the top bits of the prediction within the value range (for
//               floats the sign and exponent: residuals scale with the
//               magnitude of the value; for ranks a quantile);
//   far:        the lengths of the residual one plane up (3-D and more) and
//               two to the left, jointly.
// With mixing (levels >= 2) the logistic mixer of model/cm combines the four,
// one weight set per tree node; without it (level 1, faster) the neighbours
// model alone drives the coder. Mixing saves 2.4 % on the development arrays
// at about half the speed (docs/array.md). The sign's context is the signs
// of the left and above residuals and min(L, 15). Images and sound add
// hinted models (CodingHint, below) at every level.
//
// "Left", "above" and "plane" are the previous element along the last,
// second-last and third-last dims of the Geometry.
//
// Everything is integer arithmetic; encoder and decoder run the same code
// (Code<EncodingBits> / Code<DecodingBits>), so they stay in lockstep.
#pragma once

#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/array/predictor.h"
#include "model/cm/logistic.h"
#include "model/cm/mixer.h"
#include "src/arith_coder.h"

namespace lmarc::array {

// The two sides of the coder behind one interface: Code(bit, p1) codes `bit`
// (encoder) or returns the decoded bit (decoder, `bit` ignored). p1 is a
// model's P(1) in 2^-16; ToCoderProbability makes it a coder probability.
class EncodingBits {
 public:
  explicit EncodingBits(ArithEncoder* encoder) : encoder_(encoder) {}
  int Code(int bit, uint32_t p1) {
    encoder_->Encode(bit, ToCoderProbability(p1));
    return bit;
  }
  bool overrun() const { return false; }

 private:
  ArithEncoder* encoder_;
};

class DecodingBits {
 public:
  explicit DecodingBits(ArithDecoder* decoder) : decoder_(decoder) {}
  int Code(int /*bit*/, uint32_t p1) { return decoder_->Decode(ToCoderProbability(p1)); }
  // True once decoding has read past the end of the input.
  bool overrun() const { return decoder_->overrun(); }

 private:
  ArithDecoder* decoder_;
};

// Adaptive probability of a 1 bit, P in 2^-16. After n observations it moves
// by (target - p) / (n + 1.5), until that reaches 2^-kLimitShift.
class BitModel {
 public:
  uint32_t p() const { return p_; }
  void Update(int bit) {
    const int64_t target = bit ? 65535 : 0;
    p_ = static_cast<uint16_t>(p_ + (((target - p_) * kAdapt[count_]) >> 16));
    if (count_ < kCounts - 1) ++count_;
  }

 private:
  static constexpr int kLimitShift = 7;
  static constexpr int kCounts = 130;  // 131072 / (2 n + 3) reaches 2^(16-7) at n = 127
  // kAdapt[n] = max(65536 / (n + 1.5), 2^(16 - kLimitShift)).
  static constexpr auto kAdapt = [] {
    std::array<int32_t, kCounts> table{};
    for (int n = 0; n < kCounts; ++n) {
      const int32_t rate = 131072 / (2 * n + 3);
      table[n] = rate > (1 << (16 - kLimitShift)) ? rate : (1 << (16 - kLimitShift));
    }
    return table;
  }();

  uint16_t p_ = 32768;
  uint16_t count_ = 0;
};

// log2(x) in Q16 fixed point (x >= 1), exact integer arithmetic.
uint64_t Log2Q16(uint64_t x);

// |r| of a W-bit two's complement residual r (2^(W-1) for r = -2^(W-1)).
template <typename U>
inline U ResidualMagnitude(U residual) {
  constexpr U kSign = static_cast<U>(U{1} << (8 * sizeof(U) - 1));
  return (residual & kSign) ? static_cast<U>(U{0} - residual) : residual;
}

// A cheap, order-0 estimate of what coding residuals costs: the empirical
// entropy of their bit lengths plus one bit per sign and per bit below the
// leading one. Used to choose predictors and transforms, never for coding.
template <typename U>
class ResidualCostEstimate {
 public:
  void Add(U residual) {
    const int length = std::bit_width(ResidualMagnitude(residual));
    ++histogram_[length];
    raw_bits_ += length;  // sign + (length - 1) mantissa bits, or 0 for a zero
    ++count_;
  }
  uint64_t count() const { return count_; }
  uint64_t Bits() const;

 private:
  uint64_t histogram_[8 * sizeof(U) + 1] = {};
  uint64_t raw_bits_ = 0;
  uint64_t count_ = 0;
};

// Whether an optional stage whose estimate is `candidate_bits` earns its
// place against `plain_bits`: it must save at least 1/64 of them.
inline bool SavesEnough(uint64_t plain_bits, uint64_t candidate_bits) {
  return candidate_bits < plain_bits && candidate_bits + plain_bits / 64 <= plain_bits;
}

// Contexts a predictor can hand the coder along with each prediction (the
// blend predictor for images, SequenceHints for sound): `texture` and
// `skew`, each in [0, kTextureStates), name two local patterns (pixel
// differences and the sub-predictors' offsets from the prediction; recent
// residuals and the other channel's), `energy` in [0, kEnergyStates) the
// expected size of the residual, `fraction` in [0, kFractionStates) the
// rounding offset of the prediction (the middle state: none known).
struct CodingHint {
  static constexpr int kTextureStates = 125;
  static constexpr int kEnergyStates = 32;
  static constexpr int kFractionStates = 8;
  int texture = 0;
  int skew = 0;
  int energy = 0;
  int fraction = 0;

  // Whether every context is within its states: the coder indexes its
  // tables with them.
  bool InRange() const {
    return texture >= 0 && texture < kTextureStates && skew >= 0 && skew < kTextureStates &&
           energy >= 0 && energy < kEnergyStates && fraction >= 0 && fraction < kFractionStates;
  }

  // Half-octave steps of a magnitude e: 0, 1, 2, 3, then 4-5, 6-7, 8-11,
  // 12-15, ... (two states per bit length), capped at the last state.
  static int EnergyState(uint64_t e) {
    if (e < 4) return static_cast<int>(e);
    const int width = std::bit_width(e);
    const int state = 2 * width - 2 + static_cast<int>((e >> (width - 2)) & 1);
    return state < kEnergyStates - 1 ? state : kEnergyStates - 1;
  }
};

template <typename U>
class ResidualCoder {
 public:
  static constexpr int kBits = 8 * sizeof(U);
  static constexpr int kLengthDepth = std::bit_width(static_cast<unsigned>(kBits));
  static constexpr int kLengthNodes = 1 << kLengthDepth;
  static constexpr int kTopBits = 3;

  // One coder codes the elements of `geometry` in order; `mix` selects the
  // mixed model (levels >= 2); values are at most `max_value` (the value
  // context uses the top kValueBits of that range). Allocates
  // geometry.size() bytes of neighbour state plus fixed tables: 6.3 MiB
  // mixed and 2.2 MiB unmixed for W = 64, 0.9 MiB mixed for W = 32, less
  // for narrower types; hinted adds about 1 MiB for W = 32, 2.4 for 64.
  // kHinted mixes like kMixed, and every Code passes a CodingHint: three
  // more length models (texture and skew, each with energy / 4; energy
  // with the above length), mixer weights per energy, a mixed sign and
  // energy in the top bits' context.
  enum class Model { kNeighbours, kMixed, kHinted };
  ResidualCoder(const Geometry& geometry, Model model, U max_value);

  // Call before the first element of each row, rows in order.
  void StartRow(uint64_t row);

  // Codes the residual of element `index` (coordinate x in the current row)
  // given its prediction, and returns it. The decoder passes residual = 0 and
  // gets the decoded one.
  template <typename Bits>
  U Code(Bits& bits, uint64_t index, uint64_t x, U prediction, U residual,
         CodingHint hint = {});

  // True once the decoder met an impossible residual (length > W, or a
  // magnitude beyond 2^(W-1)); the decoded values are then meaningless.
  bool corrupt() const { return corrupt_; }

 private:
  // Neighbour state per element: bit length (bits 0..6) and sign (bit 7).
  static constexpr uint8_t kSignFlag = 0x80;
  static constexpr int kLengthStates = kBits + 2;  // 0 = no neighbour, else length + 1
  static constexpr int kActivityStates = 2 * kLengthStates;
  static constexpr int kValueBits = kBits >= 64 ? 12 : (kBits >= 32 ? 10 : 8);
  enum LengthModel {
    kNeighbours, kActivity, kValue, kFar,  // kMixed
    kTexture, kSkew, kEnergy,              // kHinted
    kLengthModels
  };

  int LengthOf(uint64_t i) const { return (state_[i] & ~kSignFlag) + 1; }
  // 0: absent or zero, 1: positive, 2: negative.
  int SignOf(uint64_t i) const {
    return (state_[i] & ~kSignFlag) == 0 ? 0 : ((state_[i] & kSignFlag) ? 2 : 1);
  }
  uint32_t LengthP(int node);
  void LengthUpdate(int node, int bit);

  const uint64_t row_length_;
  const uint64_t above_stride_;
  const uint64_t plane_stride_;
  const uint64_t rows_per_plane_;  // extent of the second-last dim (1 for 1-D)
  const uint64_t planes_;          // extent of the third-last dim (1 below 3-D)
  // The length models in use: the first models_ of LengthModel (kNeighbours:
  // 1, kMixed: 4, kHinted: all).
  int models_ = 0;
  const bool hinted_;
  const int value_shift_;          // prediction >> value_shift_: the value context
  bool has_above_ = false;         // of the current row
  bool has_plane_ = false;
  bool corrupt_ = false;
  std::vector<uint8_t> state_;  // per element, see kSignFlag

  // [model][context * kLengthNodes + node]; the current element's context
  // offsets and the models' last probabilities.
  std::array<std::vector<BitModel>, kLengthModels> length_models_;
  std::array<size_t, kLengthModels> length_context_{};
  std::unique_ptr<cm::Mixer> mixer_;  // only when mixing
  int mixer_set_ = 0;                 // of the current element, times kLengthNodes
  const cm::LogisticTables& logistic_;

  // Hinted: [fraction][left sign][above sign][min(length, 3)]; else
  // [left sign][above sign][min(length, 15)].
  std::vector<BitModel> sign_;
  std::vector<BitModel> texture_sign_;     // hinted: [texture][fraction][min(length, 3)]
  std::vector<BitModel> skew_sign_;        // hinted: [skew][fraction][min(length, 3)]
  std::unique_ptr<cm::Mixer> sign_mixer_;  // hinted: the three above
  std::vector<BitModel> top_;  // [energy / 2 (hinted)][length][node of the top-bits tree]
  std::vector<BitModel> low_;   // [bit position]
};

// ----------------------------------------------------------------------------
// Implementation of the per-element coding (inline: it is the hot loop).

template <typename U>
uint32_t ResidualCoder<U>::LengthP(int node) {
  if (models_ == 1) return length_models_[kNeighbours][length_context_[kNeighbours] + node].p();
  int16_t* inputs = mixer_->inputs();
  for (int m = 0; m < models_; ++m) {
    const uint32_t p = length_models_[m][length_context_[m] + node].p();
    inputs[m] = static_cast<int16_t>(cm::Stretch(logistic_, p));
  }
  return mixer_->Mix(logistic_, mixer_set_ + node);
}

template <typename U>
void ResidualCoder<U>::LengthUpdate(int node, int bit) {
  for (int m = 0; m < models_; ++m) length_models_[m][length_context_[m] + node].Update(bit);
  if (models_ > 1) mixer_->Update(bit);
}

template <typename U>
template <typename Bits>
U ResidualCoder<U>::Code(Bits& bits, uint64_t index, uint64_t x, U prediction, U residual,
                         CodingHint hint) {
  assert(hint.InRange());
  const bool has_left = x > 0;
  const int left = has_left ? LengthOf(index - 1) : 0;
  const int above = has_above_ ? LengthOf(index - above_stride_) : 0;
  length_context_[kNeighbours] = static_cast<size_t>(left * kLengthStates + above) * kLengthNodes;
  if (models_ > 1) {
    const int left2 = x > 1 ? LengthOf(index - 2) : 0;
    int sum = left + above + left2;
    int count = (left > 0) + (above > 0) + (left2 > 0);
    if (has_above_ && has_left) sum += LengthOf(index - above_stride_ - 1), ++count;
    if (has_above_ && x + 1 < row_length_) sum += LengthOf(index - above_stride_ + 1), ++count;
    const int activity = count == 0 ? 0 : (2 * sum + count / 2) / count;  // 2..2W+2
    length_context_[kActivity] =
        static_cast<size_t>(activity < kActivityStates ? activity : kActivityStates - 1) *
        kLengthNodes;
    const uint64_t top = uint64_t{prediction} >> value_shift_;
    constexpr uint64_t kValueStates = uint64_t{1} << kValueBits;
    length_context_[kValue] =
        static_cast<size_t>(top < kValueStates ? top : kValueStates - 1) * kLengthNodes;
    const int plane = has_plane_ ? LengthOf(index - plane_stride_) : 0;
    length_context_[kFar] = static_cast<size_t>(plane * kLengthStates + left2) * kLengthNodes;
    if (hinted_) {
      length_context_[kTexture] =
          static_cast<size_t>(hint.texture * (CodingHint::kEnergyStates / 4) + hint.energy / 4) *
          kLengthNodes;
      length_context_[kSkew] =
          static_cast<size_t>(hint.skew * (CodingHint::kEnergyStates / 4) + hint.energy / 4) *
          kLengthNodes;
      length_context_[kEnergy] =
          static_cast<size_t>(hint.energy * kLengthStates + above) * kLengthNodes;
      mixer_set_ = hint.energy * kLengthNodes;
    }
  }

  // 1. Length.
  const U magnitude = ResidualMagnitude(residual);
  const int length = std::bit_width(magnitude);
  int node = 1;
  for (int level = kLengthDepth - 1; level >= 0; --level) {
    const int bit = bits.Code((length >> level) & 1, LengthP(node));
    LengthUpdate(node, bit);
    node = node * 2 + bit;
  }
  int coded_length = node - kLengthNodes;
  if (coded_length > kBits) {
    corrupt_ = true;
    coded_length = kBits;
  }
  if (coded_length == 0) {
    state_[index] = 0;
    return 0;
  }

  // 2. Sign.
  const int left_sign = has_left ? SignOf(index - 1) : 0;
  const int above_sign = has_above_ ? SignOf(index - above_stride_) : 0;
  const int short_length = coded_length < 3 ? coded_length : 3;
  int negative;
  if (hinted_) {
    BitModel& by_neighbours =
        sign_[((hint.fraction * 3 + left_sign) * 3 + above_sign) * 4 + short_length];
    BitModel& by_texture =
        texture_sign_[(hint.texture * CodingHint::kFractionStates + hint.fraction) * 4 +
                     short_length];
    BitModel& by_skew =
        skew_sign_[(hint.skew * CodingHint::kFractionStates + hint.fraction) * 4 + short_length];
    int16_t* inputs = sign_mixer_->inputs();
    inputs[0] = static_cast<int16_t>(cm::Stretch(logistic_, by_neighbours.p()));
    inputs[1] = static_cast<int16_t>(cm::Stretch(logistic_, by_texture.p()));
    inputs[2] = static_cast<int16_t>(cm::Stretch(logistic_, by_skew.p()));
    const uint32_t p = sign_mixer_->Mix(logistic_, hint.fraction * 4 + short_length);
    negative = bits.Code((residual >> (kBits - 1)) & 1, p);
    by_neighbours.Update(negative);
    by_texture.Update(negative);
    by_skew.Update(negative);
    sign_mixer_->Update(negative);
  } else {
    BitModel& sign_model =
        sign_[(left_sign * 3 + above_sign) * 16 + (coded_length < 15 ? coded_length : 15)];
    negative = bits.Code((residual >> (kBits - 1)) & 1, sign_model.p());
    sign_model.Update(negative);
  }

  // 3. Bits below the leading one.
  U decoded = static_cast<U>(U{1} << (coded_length - 1));
  int position = coded_length - 2;
  int top_node = 1;
  BitModel* const top = &top_[((hint.energy / 2) * (kBits + 1) + coded_length) << kTopBits];
  for (int k = 0; k < kTopBits && position >= 0; ++k, --position) {
    BitModel& model = top[top_node];
    const int bit = bits.Code((magnitude >> position) & 1, model.p());
    model.Update(bit);
    top_node = top_node * 2 + bit;
    decoded |= static_cast<U>(U{static_cast<U>(bit)} << position);
  }
  for (; position >= 0; --position) {
    BitModel& model = low_[position];
    const int bit = bits.Code((magnitude >> position) & 1, model.p());
    model.Update(bit);
    decoded |= static_cast<U>(U{static_cast<U>(bit)} << position);
  }
  // Only -2^(W-1) has length W; a positive or larger magnitude there is corrupt.
  if (coded_length == kBits && (!negative || decoded != static_cast<U>(U{1} << (kBits - 1)))) {
    corrupt_ = true;
  }
  state_[index] = static_cast<uint8_t>(coded_length | (negative ? kSignFlag : 0));
  return negative ? static_cast<U>(U{0} - decoded) : decoded;
}

}  // namespace lmarc::array
