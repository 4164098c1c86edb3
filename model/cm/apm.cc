#include "model/cm/apm.h"

#include <algorithm>

namespace lmarc::cm {

Apm::Apm(const LogisticTables& logistic, int contexts, int rate_shift)
    : knots_(static_cast<size_t>(contexts) * kKnots), rate_shift_(rate_shift) {
  uint16_t identity[kKnots];
  for (int k = 0; k < kKnots; ++k) identity[k] = static_cast<uint16_t>(Squash(logistic, (k - 8) * 256));
  for (size_t at = 0; at < knots_.size(); at += kKnots) {
    std::copy(identity, identity + kKnots, knots_.begin() + static_cast<ptrdiff_t>(at));
  }
}

}  // namespace lmarc::cm
