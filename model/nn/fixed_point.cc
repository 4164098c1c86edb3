#include "model/nn/fixed_point.h"

#include <algorithm>
#include <string>

namespace lmarc::nn {
namespace {

__extension__ typedef unsigned __int128 Uint128;

// ln(2) * 2^62, rounded to nearest.
constexpr uint64_t kLn2Q62 = 3196577161300663915ull;
constexpr Uint128 kOneQ62 = Uint128{1} << 62;

// round(2^30 * exp(-x)) for x = r * ln(2) / 256, r in [0, 255]: the Taylor
// series 1 - x + x^2/2! - ... in Q62 (x < ln 2, so terms fall below one unit
// after ~25 steps), each term truncated, then rounded to Q30 (half up).
uint32_t Exp2FractionEntry(int r) {
  const Uint128 x = Uint128{static_cast<uint64_t>(r)} * kLn2Q62 / 256;
  Uint128 term = kOneQ62;
  Uint128 positive = 0;  // sum of even terms
  Uint128 negative = 0;  // sum of odd terms
  for (int k = 0; term != 0; ++k) {
    (k % 2 == 0 ? positive : negative) += term;
    term = term * x / (static_cast<Uint128>(k + 1) * kOneQ62);
  }
  const Uint128 q62 = positive - negative;
  return static_cast<uint32_t>((q62 + (Uint128{1} << 31)) >> 32);
}

std::array<uint32_t, 256> BuildExp2FractionTable() {
  std::array<uint32_t, 256> table{};
  for (int r = 0; r < 256; ++r) table[r] = Exp2FractionEntry(r);
  return table;
}

}  // namespace

bool IsValid(Requantizer requantizer) {
  return requantizer.multiplier >= 0 && requantizer.shift >= 0 && requantizer.shift <= 62;
}

namespace {

// The body of both RequantizeRow variants: Requantize written branch-free so
// that it vectorises (RoundingShiftRight's form; clamps as selects). x86
// before AVX-512 has no 64-bit arithmetic shift, so the rounded value
// y = x + half - [x < 0] (|y| < 2^62 + 2^61) is biased by 2^62 to a
// non-negative number and shifted logically: for 0 <= s <= 62,
// floor((y + 2^62) / 2^s) = floor(y / 2^s) + 2^(62 - s) exactly.
inline void RequantizeRowBody(const int32_t* __restrict in, int32_t* __restrict out, size_t n,
                              Requantizer requantizer, int32_t lo, int32_t hi) {
  const int64_t multiplier = requantizer.multiplier;
  const int shift = requantizer.shift;
  constexpr uint64_t kBias = uint64_t{1} << 62;
  const uint64_t biased_half = kBias + (((uint64_t{1} << shift) >> 1));
  const int64_t negative_adjust = shift > 0 ? 1 : 0;
  const int64_t unbias = static_cast<int64_t>(kBias >> shift);
  for (size_t i = 0; i < n; ++i) {
    const int64_t x = int64_t{in[i]} * multiplier;  // |x| < 2^62
    const uint64_t y = static_cast<uint64_t>(x - (x < 0 ? negative_adjust : 0)) + biased_half;
    int64_t r = static_cast<int64_t>(y >> shift) - unbias;
    r = r < lo ? lo : r;
    r = r > hi ? hi : r;
    out[i] = static_cast<int32_t>(r);
  }
}

}  // namespace

void RequantizeRowScalar(const int32_t* in, int32_t* out, size_t n, Requantizer requantizer,
                         int32_t lo, int32_t hi) {
  RequantizeRowBody(in, out, n, requantizer, lo, hi);
}

__attribute__((target("avx2"))) void RequantizeRowAvx2(const int32_t* in, int32_t* out, size_t n,
                                                      Requantizer requantizer, int32_t lo,
                                                      int32_t hi) {
  RequantizeRowBody(in, out, n, requantizer, lo, hi);
}

void RequantizeRow(const int32_t* in, int32_t* out, size_t n, Requantizer requantizer,
                   int32_t lo, int32_t hi) {
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  (has_avx2 ? RequantizeRowAvx2 : RequantizeRowScalar)(in, out, n, requantizer, lo, hi);
}

Status RequantizeToUint8(std::span<const int32_t> acc, Requantizer requantizer,
                         uint8_t max_value, std::span<uint8_t> out) {
  if (acc.size() != out.size() || !IsValid(requantizer)) {
    return InvalidArgument("requantize: size mismatch or invalid requantizer");
  }
  for (size_t i = 0; i < acc.size(); ++i) {
    out[i] = static_cast<uint8_t>(Requantize(acc[i], requantizer, 0, max_value));
  }
  return Status::Ok();
}

Status RequantizeToInt8(std::span<const int32_t> acc, Requantizer requantizer, int8_t min_value,
                        int8_t max_value, std::span<int8_t> out) {
  if (acc.size() != out.size() || !IsValid(requantizer) || min_value > max_value) {
    return InvalidArgument("requantize: size mismatch, invalid requantizer or range");
  }
  for (size_t i = 0; i < acc.size(); ++i) {
    out[i] = static_cast<int8_t>(Requantize(acc[i], requantizer, min_value, max_value));
  }
  return Status::Ok();
}

const std::array<uint32_t, 256>& Exp2FractionTable() {
  static const std::array<uint32_t, 256> table = BuildExp2FractionTable();
  return table;
}

Status LogitsToDistribution(std::span<const int32_t> logits, std::span<uint32_t> probabilities) {
  const size_t n = logits.size();
  if (n == 0 || n > kDistributionTotal || probabilities.size() != n) {
    return InvalidArgument("softmax: " + std::to_string(n) + " logits for " +
                           std::to_string(probabilities.size()) + " probabilities");
  }
  const auto first_max = std::max_element(logits.begin(), logits.end());  // first on ties
  const int64_t max_logit = *first_max;
  const std::array<uint32_t, 256>& table = Exp2FractionTable();
  // weight in Q30, <= 2^30; the largest logit has weight 2^30, so
  // 2^30 <= total <= n * 2^30 <= 2^46.
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t distance = max_logit - logits[i];  // in [0, 2^32)
    const int64_t whole = distance >> kLogitFracBits;
    const uint32_t weight = whole >= 31 ? 0 : table[distance & 255] >> whole;
    probabilities[i] = weight;  // temporarily the weight
    total += weight;
  }
  // Each entry gets 1, plus its floor share of the rest; weight * budget < 2^46.
  const uint64_t budget = kDistributionTotal - n;
  uint64_t assigned = 0;
  const ExactDivisor by_total(total);  // a division per entry costs ~10x a multiply
  for (size_t i = 0; i < n; ++i) {
    const uint64_t share = by_total.Divide(probabilities[i] * budget);
    probabilities[i] = static_cast<uint32_t>(1 + share);
    assigned += share;
  }
  // 0 <= budget - assigned < n: the floors lose less than one unit per entry.
  probabilities[static_cast<size_t>(first_max - logits.begin())] +=
      static_cast<uint32_t>(budget - assigned);
  return Status::Ok();
}

uint32_t IntegerSqrt(uint64_t x) {
  // Digit-by-digit (base 4) square root: exact floor(sqrt(x)).
  uint64_t root = 0;
  uint64_t bit = uint64_t{1} << 62;
  while (bit > x) bit >>= 2;
  while (bit != 0) {
    if (x >= root + bit) {
      x -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  return static_cast<uint32_t>(root);
}

uint32_t InverseSqrtQ31(uint64_t x) {
  // floor(sqrt(floor(y))) == floor(sqrt(y)) for real y >= 0, so this is exact.
  return IntegerSqrt((uint64_t{1} << 62) / std::max<uint64_t>(x, 1));
}

}  // namespace lmarc::nn
