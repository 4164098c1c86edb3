// Portable fixed-point kernels around the int8 matmul: requantisation,
// logits → coder distribution (integer softmax), integer inverse square root
// (for RMSNorm). Integer arithmetic only, bit-identical everywhere;
// the exact definitions are in docs/model.md, "Integer kernels".
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "src/status.h"

namespace lmarc::nn {

// --- Requantisation -------------------------------------------------------

// Real scale multiplier * 2^-shift. Valid: multiplier in [0, 2^31 - 1],
// shift in [0, 62].
struct Requantizer {
  int32_t multiplier = 1;
  int shift = 0;
};

bool IsValid(Requantizer requantizer);

// x / 2^shift rounded to nearest, ties away from zero; shift in [0, 62],
// |x| <= 2^62.
// Branch-free: for x < 0, -((-x + h) >> s) == (x + h - 1) >> s (arithmetic
// shift, h = 2^(s-1)), since 2^s - h = h.
inline int64_t RoundingShiftRight(int64_t x, int shift) {
  const int64_t half = (int64_t{1} << shift) >> 1;  // 0 when shift == 0
  return (x + half - static_cast<int64_t>(shift > 0 && x < 0)) >> shift;
}

// RoundingShiftRight(value * multiplier, shift) clamped to [lo, hi].
// Precondition: IsValid(requantizer), |value| <= 2^31, lo <= hi.
inline int32_t Requantize(int64_t value, Requantizer requantizer, int32_t lo, int32_t hi) {
  // |value * multiplier| <= 2^31 * (2^31 - 1) < 2^62: no int64 overflow.
  const int64_t scaled = RoundingShiftRight(value * requantizer.multiplier, requantizer.shift);
  return static_cast<int32_t>(scaled < lo ? lo : (scaled > hi ? hi : scaled));
}

// out[i] = Requantize(in[i], requantizer, lo, hi) for i < n: the hot loop
// of the transformer. One dispatch point: the AVX2 variant when the CPU has
// it (4 lanes of 64-bit products), else the scalar one; both compute exactly
// Requantize (tested against each other). Precondition: IsValid(requantizer).
void RequantizeRow(const int32_t* in, int32_t* out, size_t n, Requantizer requantizer,
                   int32_t lo, int32_t hi);
void RequantizeRowScalar(const int32_t* in, int32_t* out, size_t n, Requantizer requantizer,
                         int32_t lo, int32_t hi);
// Only on a CPU with AVX2.
void RequantizeRowAvx2(const int32_t* in, int32_t* out, size_t n, Requantizer requantizer,
                       int32_t lo, int32_t hi);

// out[i] = Requantize(acc[i], requantizer, 0, max_value): u8 activations for
// the next matmul (max_value 127 or 255, see ActivationRange).
// InvalidArgument on size mismatch or invalid requantizer.
[[nodiscard]] Status RequantizeToUint8(std::span<const int32_t> acc, Requantizer requantizer,
                                       uint8_t max_value, std::span<uint8_t> out);

// out[i] = Requantize(acc[i], requantizer, min_value, max_value): signed
// activations (e.g. [-64, 63] for Int8Matmul::MultiplySigned with k0To127).
[[nodiscard]] Status RequantizeToInt8(std::span<const int32_t> acc, Requantizer requantizer,
                                      int8_t min_value, int8_t max_value,
                                      std::span<int8_t> out);

// floor(x / divisor) for x < 2^62 by a multiply: the reciprocal
// floor((2^64 - 1) / divisor) gives an estimate at most 1 below the
// quotient, then one exact correction step.
// Preconditions: divisor >= 1, x < 2^62 (the estimate errs by less than 1/2).
class ExactDivisor {
 public:
  explicit ExactDivisor(uint64_t divisor) : divisor_(divisor), reciprocal_(~uint64_t{0} / divisor) {}
  uint64_t Divide(uint64_t x) const {
    __extension__ typedef unsigned __int128 Uint128;
    uint64_t q = static_cast<uint64_t>((Uint128{x} * reciprocal_) >> 64);
    if (x - q * divisor_ >= divisor_) ++q;
    return q;
  }

 private:
  uint64_t divisor_;
  uint64_t reciprocal_;
};

// --- Logits → distribution (softmax) ----------------------------------------

// A logit l (int32) stands for the unnormalised weight 2^(l / 2^kLogitFracBits).
inline constexpr int kLogitFracBits = 8;
// Probabilities are in units of 2^-16 and sum to exactly this.
inline constexpr uint32_t kDistributionTotal = 65536;

// Exp2FractionTable()[r] = round(2^30 * 2^(-r / 256)), r in [0, 255],
// generated once by an integer Taylor series (table[0] = 2^30).
const std::array<uint32_t, 256>& Exp2FractionTable();

// Turns n logits (1 <= n <= 65536, any int32 values) into a distribution for
// the arithmetic coder. GUARANTEE, for every input: each probabilities[i] >= 1
// and their sum is exactly kDistributionTotal (so every symbol stays codable).
// weight_i = Exp2FractionTable()[d_i % 256] >> (d_i / 256), d_i = max(l) - l_i
// (0 when d_i / 256 >= 31); probabilities[i] = 1 + floor(weight_i * (65536 - n)
// / sum(weight)), and the rounding remainder goes to the first largest logit.
// InvalidArgument if n is 0, above 65536 or the spans differ in size.
[[nodiscard]] Status LogitsToDistribution(std::span<const int32_t> logits,
                                          std::span<uint32_t> probabilities);

// --- Inverse square root (RMSNorm) ------------------------------------------

// floor(sqrt(x)), exact.
uint32_t IntegerSqrt(uint64_t x);

// floor(2^31 / sqrt(x)) exactly (computed as IntegerSqrt(floor(2^62 / x)));
// x = 0 is treated as x = 1. Result in [1, 2^31] for x <= 2^62, 0 above
// (RMSNorm callers keep the mean square far below 2^62).
uint32_t InverseSqrtQ31(uint64_t x);

}  // namespace lmarc::nn
