// Helpers for tests that run as every rank of an MPI job (or alone, where
// MpiRuntime does not initialise MPI and each helper is the one-rank case).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mpi/runtime.h"

namespace lmarc::testing {

inline bool IsRankZero() { return MpiRuntime::rank() == 0; }
// "rank=R", for failure messages.
inline std::string RankTag() { return "rank=" + std::to_string(MpiRuntime::rank()); }

// Combines one flag of every rank with `op` (MPI_LAND, MPI_LOR).
inline bool CombineOverRanks(bool flag, MPI_Op op) {
  if (!MpiRuntime::active()) return flag;
  int local = flag ? 1 : 0;
  int combined = 0;
  MPI_Allreduce(&local, &combined, 1, MPI_INT, op, MPI_COMM_WORLD);
  return combined != 0;
}
// Whether `holds` on every rank: an assertion every rank fails together, so
// that no rank leaves a test while others wait in a collective call.
inline bool OnEveryRank(bool holds) { return CombineOverRanks(holds, MPI_LAND); }
inline bool OnAnyRank(bool holds) { return CombineOverRanks(holds, MPI_LOR); }

inline std::string BroadcastString(const std::string& from_rank_zero) {
  std::vector<uint8_t> bytes(from_rank_zero.begin(), from_rank_zero.end());
  BroadcastBytes(&bytes);
  return std::string(bytes.begin(), bytes.end());
}

// Every rank's value, on rank 0 (empty elsewhere).
inline std::vector<uint64_t> GatherOnRankZero(uint64_t value) {
  if (!MpiRuntime::active()) return {value};
  std::vector<uint64_t> values(IsRankZero() ? MpiRuntime::size() : 0);
  MPI_Gather(&value, 1, MPI_UINT64_T, values.data(), 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  return values;
}

}  // namespace lmarc::testing
