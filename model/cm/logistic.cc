#include "model/cm/logistic.h"

namespace lmarc::cm {
namespace {

// e^(-1/256) in Q32, from its Taylor series evaluated in Q62 fixed point.
// Terms alternate in sign and shrink by a factor >= 256, so ten terms are
// exact to well below 2^-40.
uint64_t ExpMinusOne256thQ32() {
  int64_t sum = int64_t{1} << 62;
  int64_t term = int64_t{1} << 62;
  for (int k = 1; k <= 10; ++k) {
    term /= 256 * k;
    sum += (k % 2 == 1) ? -term : term;
  }
  return static_cast<uint64_t>((sum + (int64_t{1} << 29)) >> 30);
}

LogisticTables Build() {
  LogisticTables t{};
  // decay[i] = e^(-i/256) in Q30 (i >= 0), by repeated exact-width products:
  // value (< 2^31) * factor (< 2^32) < 2^63, so nothing overflows.
  const uint64_t factor = ExpMinusOne256thQ32();
  uint64_t decay = uint64_t{1} << 30;
  for (int i = 0; i <= kStretchLimit; ++i) {
    // squash(i) = 2^16 / (1 + e^(-i/256)) = 2^46 / (2^30 + decay), rounded.
    const uint64_t denom = (uint64_t{1} << 30) + decay;
    uint64_t p = ((uint64_t{1} << 46) + denom / 2) / denom;
    if (p > 65535) p = 65535;
    t.squash[kStretchLimit + i] = static_cast<uint16_t>(p);
    t.squash[kStretchLimit - i] = static_cast<uint16_t>(65536 - p);
    decay = (decay * factor + (uint64_t{1} << 31)) >> 32;
  }
  // Invert on the 12-bit grid: stretch[j] is the smallest x whose squash
  // reaches bucket j; buckets past squash(2047) saturate at the limit.
  int next_bucket = 0;
  for (int x = -kStretchLimit; x <= kStretchLimit; ++x) {
    const int bucket = t.squash[x + kStretchLimit] >> 4;
    for (int j = next_bucket; j <= bucket; ++j) t.stretch[j] = static_cast<int16_t>(x);
    if (bucket + 1 > next_bucket) next_bucket = bucket + 1;
  }
  for (int j = next_bucket; j < 4096; ++j) t.stretch[j] = kStretchLimit;
  return t;
}

}  // namespace

const LogisticTables& Logistic() {
  static const LogisticTables tables = Build();
  return tables;
}

}  // namespace lmarc::cm
