// Logistic domain conversions for the cm model, as integer lookup tables.
//
// Units:
//  * a probability is P(bit == 1) in units of 2^-16 (p16, 0..65535);
//  * a "stretched" value is the logit ln(p / (1 - p)) in units of 1/256,
//    clamped to [-kStretchLimit, kStretchLimit] (about +-8.0).
// Both tables are built once by integer-only code (logistic.cc), so every
// machine and compiler produces bit-identical values.
#pragma once

#include <cstdint>

namespace lmarc::cm {

inline constexpr int kStretchLimit = 2047;

struct LogisticTables {
  // squash[x + kStretchLimit] = 65536 / (1 + e^(-x/256)), for |x| <= 2047.
  uint16_t squash[2 * kStretchLimit + 1];
  // stretch[p16 >> 4]: the inverse of squash on a 12-bit grid, monotone.
  int16_t stretch[4096];
};

// Built on first use (thread-safe function-local static), immutable after.
const LogisticTables& Logistic();

// p16 = squash(x); x is clamped to the table range first.
inline int Squash(const LogisticTables& t, int x) {
  if (x > kStretchLimit) x = kStretchLimit;
  if (x < -kStretchLimit) x = -kStretchLimit;
  return t.squash[x + kStretchLimit];
}

// Logit of a 16-bit probability, in 1/256 units.
inline int Stretch(const LogisticTables& t, uint32_t p16) { return t.stretch[p16 >> 4]; }

}  // namespace lmarc::cm
