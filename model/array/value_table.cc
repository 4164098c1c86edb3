#include "model/array/value_table.h"

#include <algorithm>
#include <string>

namespace lmarc::array {

// Values of at most 16 bits are sorted and ranked through a table indexed
// by the value (linear time); wider ones by sorting and binary search.
template <typename U>
constexpr bool kIndexable = sizeof(U) <= 2;

template <typename U>
std::vector<U> SortedDistinct(const U* values, uint64_t count) {
  if constexpr (kIndexable<U>) {
    std::vector<uint8_t> present(size_t{1} << (8 * sizeof(U)), 0);
    for (uint64_t i = 0; i < count; ++i) present[values[i]] = 1;
    std::vector<U> table;
    for (size_t v = 0; v < present.size(); ++v) {
      if (present[v]) table.push_back(static_cast<U>(v));
    }
    return table;
  } else {
    std::vector<U> table(values, values + count);
    std::sort(table.begin(), table.end());
    table.erase(std::unique(table.begin(), table.end()), table.end());
    return table;
  }
}

template <typename U>
void ToRanks(const std::vector<U>& table, U* values, uint64_t count) {
  if constexpr (kIndexable<U>) {
    std::vector<U> rank_of(size_t{1} << (8 * sizeof(U)), 0);
    for (size_t r = 0; r < table.size(); ++r) rank_of[table[r]] = static_cast<U>(r);
    for (uint64_t i = 0; i < count; ++i) values[i] = rank_of[values[i]];
  } else {
    for (uint64_t i = 0; i < count; ++i) {
      values[i] =
          static_cast<U>(std::lower_bound(table.begin(), table.end(), values[i]) - table.begin());
    }
  }
}

template <typename U>
Status FromRanks(const std::vector<U>& table, U* values, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    if (values[i] >= table.size()) {
      return Corrupt("array: rank " + std::to_string(values[i]) + " at element " +
                     std::to_string(i) + " is outside the value table of " +
                     std::to_string(table.size()));
    }
    values[i] = table[values[i]];
  }
  return Status::Ok();
}

template <typename U>
Status ValidateTable(const std::vector<U>& table) {
  for (size_t i = 1; i < table.size(); ++i) {
    if (table[i] <= table[i - 1]) {
      return Corrupt("array: value table is not strictly increasing at entry " + std::to_string(i));
    }
  }
  return Status::Ok();
}

#define LMARC_INSTANTIATE_VALUE_TABLE(U)                                  \
  template std::vector<U> SortedDistinct<U>(const U*, uint64_t);          \
  template void ToRanks<U>(const std::vector<U>&, U*, uint64_t);          \
  template Status FromRanks<U>(const std::vector<U>&, U*, uint64_t);      \
  template Status ValidateTable<U>(const std::vector<U>&);
LMARC_INSTANTIATE_VALUE_TABLE(uint8_t)
LMARC_INSTANTIATE_VALUE_TABLE(uint16_t)
LMARC_INSTANTIATE_VALUE_TABLE(uint32_t)
LMARC_INSTANTIATE_VALUE_TABLE(uint64_t)
#undef LMARC_INSTANTIATE_VALUE_TABLE

}  // namespace lmarc::array
