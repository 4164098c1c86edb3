// The process runtime: whether this lmarc process is one rank of an MPI job.
//
// MPI is initialised only when a launcher started the process (mpirun,
// or srun --mpi=pmix); a plain `lmarc ...` runs as the single rank 0 of a
// job of size 1 without touching MPI (an Open MPI singleton start costs
// ~0.4 s). Both go through the same scheduling and write path.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "src/status.h"

namespace lmarc {

class MpiRuntime {
 public:
  // Initialises MPI (MPI_THREAD_FUNNELED: only the main thread calls MPI)
  // when launched by an MPI launcher. Fails on srun without PMIx.
  static Status Start(int* argc, char*** argv);
  // MPI_Finalize when MPI was initialised.
  static void Stop();
  // Ends every rank of the job with `exit_code` (MPI_Abort), or exits.
  [[noreturn]] static void AbortJob(int exit_code);

  static bool active() { return active_; }  // MPI initialised
  static int rank() { return rank_; }
  static int size() { return size_; }
  // "rank 3: " in a multi-rank job, "" when alone: prefix for messages.
  static std::string RankPrefix();

 private:
  static bool active_;
  static int rank_;
  static int size_;
};

}  // namespace lmarc

namespace lmarc {

// Rank 0's *bytes replace every other rank's (no-op when alone). Rank 0
// must hold fewer than 2^31 bytes per call; larger buffers go in pieces.
void BroadcastBytes(std::vector<uint8_t>* bytes);
// Waits for every rank (no-op when alone).
void Barrier();

}  // namespace lmarc
