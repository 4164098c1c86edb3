#include "model/cm/cm_params.h"

#include <algorithm>

namespace lmarc::cm {
namespace {

// Smallest b with 2^b >= n (n >= 1).
int CeilLog2(size_t n) {
  int b = 0;
  while ((size_t{1} << b) < n) ++b;
  return b;
}

// Per-level caps: table_bits 18 (4 MiB) .. 23 (128 MiB); match_bits 18..22.
// Levels up to 6 keep the tables small: their speed is bound by cache and
// TLB misses on the table, more than by instructions.
constexpr int kTableBitsCap[10] = {0, 18, 18, 19, 19, 19, 20, 21, 22, 23};
constexpr int kMatchBitsCap[10] = {0, 18, 18, 19, 19, 19, 20, 20, 21, 22};

}  // namespace

CmParams ChooseCmParams(int level, size_t raw_size) {
  CmParams params;
  params.level = level;
  const int size_bits = CeilLog2(std::max<size_t>(raw_size, 1));
  // About 16..32 slots per input byte: each byte touches two slots in each of
  // the hashed contexts, and most contexts recur.
  params.table_bits =
      std::clamp(size_bits + 4, CmParams::kMinTableBits, kTableBitsCap[level]);
  // About one position entry per input byte.
  params.match_bits = std::clamp(size_bits, CmParams::kMinMatchBits, kMatchBitsCap[level]);
  return params;
}

}  // namespace lmarc::cm
