#include "model/cm/bit_history.h"

#include <algorithm>

namespace lmarc::cm {
namespace {

// Largest count a bit may reach while the opposite bit's count is `other`:
// long one-sided runs are tracked precisely, mixed histories coarsely.
int CountCap(int other) {
  static constexpr int kCaps[] = {40, 24, 14, 9, 7, 6, 5, 4};
  return other < 8 ? kCaps[other] : 3;
}

// The opposite count after a bit arrives: small counts survive, larger ones
// collapse toward 2..5 so that a context can switch its prediction quickly.
int Discount(int n) {
  if (n <= 2) return n;
  if (n <= 5) return 3;
  if (n <= 11) return 4;
  return 5;
}

BitHistoryTable Build() {
  BitHistoryTable t{};
  // Breadth-first enumeration of the reachable (n0, n1) pairs from (0, 0);
  // the numbering is therefore fixed by the rules above alone.
  int count = 1;
  t.zeros[0] = 0;
  t.ones[0] = 0;
  for (int s = 0; s < count; ++s) {
    for (int bit = 0; bit < 2; ++bit) {
      int n0 = t.zeros[s];
      int n1 = t.ones[s];
      if (bit == 1) {
        n0 = Discount(n0);
        n1 = std::min(n1 + 1, CountCap(n0));
      } else {
        n1 = Discount(n1);
        n0 = std::min(n0 + 1, CountCap(n1));
      }
      int found = -1;
      for (int k = 0; k < count; ++k) {
        if (t.zeros[k] == n0 && t.ones[k] == n1) {
          found = k;
          break;
        }
      }
      if (found < 0) {
        // The caps bound the reachable set well below kMaxStates (checked by
        // cm_tables_test); clamping here only guards against edits.
        if (count == BitHistoryTable::kMaxStates) {
          found = s;
        } else {
          found = count++;
          t.zeros[found] = static_cast<uint8_t>(n0);
          t.ones[found] = static_cast<uint8_t>(n1);
        }
      }
      t.next[s][bit] = static_cast<uint8_t>(found);
    }
  }
  t.num_states = count;
  return t;
}

}  // namespace

const BitHistoryTable& BitHistory() {
  static const BitHistoryTable table = Build();
  return table;
}

uint32_t StateMap::InitialEntry(int state) {
  const BitHistoryTable& history = BitHistory();
  if (state >= history.num_states) return (1u << 21) << 10;
  // (n1 + 1/2) / (n0 + n1 + 1) in Q22.
  const uint32_t n0 = history.zeros[state];
  const uint32_t n1 = history.ones[state];
  const uint32_t p22 = static_cast<uint32_t>(((uint64_t{2} * n1 + 1) << 22) / (2 * (n0 + n1) + 2));
  return p22 << 10;
}

StateMap::StateMap(int size, int count_limit, bool from_bit_history)
    : entries_(static_cast<size_t>(size), (1u << 21) << 10),
      limit_(static_cast<uint32_t>(count_limit)) {
  if (!from_bit_history) return;
  for (int i = 0; i < size; ++i) entries_[static_cast<size_t>(i)] = InitialEntry(i);
}

}  // namespace lmarc::cm
