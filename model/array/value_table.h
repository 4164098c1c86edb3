// Value table: the sorted distinct values of an array, and the rank transform
// that replaces each value by its index in that table.
//
// Many stored fields hold few distinct values (quantised measurements, masks,
// fill values, coordinates printed to 3 decimals): their ordered integers are
// far apart and irregularly spaced, but their ranks are small and as smooth
// as the field. Ranks preserve order, so the predictors work on them
// unchanged. The table itself is coded as a 1-D array (its ordered values
// increase, often by nearly constant steps, which order-2 prediction removes).
#pragma once

#include <cstdint>
#include <vector>

#include "src/status.h"

namespace lmarc::array {

// The distinct values of values[0, count), ascending.
template <typename U>
std::vector<U> SortedDistinct(const U* values, uint64_t count);

// Replaces each of values[0, count) by its index in `table`; every value
// must be in the table.
template <typename U>
void ToRanks(const std::vector<U>& table, U* values, uint64_t count);

// The inverse: replaces each rank by table[rank]. Corrupt when a rank is out
// of the table (a hostile body), leaving `values` partly mapped.
template <typename U>
[[nodiscard]] Status FromRanks(const std::vector<U>& table, U* values, uint64_t count);

// Corrupt unless `table` is strictly increasing (what SortedDistinct makes).
template <typename U>
[[nodiscard]] Status ValidateTable(const std::vector<U>& table);

}  // namespace lmarc::array
