// The throughput model of `lmarc scaling`: a parallel compression job of N
// ranks takes
//   T(N) = max(total_compute / workers, chunks * master_overhead,
//              archive_bytes / write_bandwidth) + startup
// seconds, because every chunk is computed on some worker, dispatched to and
// appended by rank 0 alone, and written by one HDF5 writer. The constants
// come from calibration runs on the measuring machine. MB = 10^6 bytes.
#pragma once

#include <cstdint>
#include <string_view>

namespace lmarc {

// Constants measured by `lmarc scaling` (see jobs/scaling_job.h for how).
struct ScalingCalibration {
  double startup_seconds = 0;        // mpirun + lmarc start-up and exit, 1 rank, 1-byte input
  double chunk_compute_seconds = 0;  // compressing one chunk (read, encode, write), 1 rank
  double master_chunk_seconds = 0;    // rank 0's cost per chunk: receive + append (stored, 2 ranks)
  double write_bytes_per_second = 0;  // single-writer archive bandwidth, bytes/s (stored, 1 rank)
};

// The work of one copy of the input set (weak scaling runs N copies).
struct ScalingWorkload {
  uint64_t chunks = 0;
  uint64_t raw_bytes = 0;      // input bytes
  uint64_t archive_bytes = 0;  // size of the archive of one copy
};

// The term of the model that sets T(N).
enum class ScalingLimit { kCompute, kMasterDispatch, kWriteBandwidth };

std::string_view ScalingLimitName(ScalingLimit limit);  // "compute", "master dispatch", ...

struct ScalingPrediction {
  int ranks = 0;
  double seconds = 0;               // T(N), startup included
  double megabytes_per_second = 0;  // raw MB / T(N)
  ScalingLimit limit = ScalingLimit::kCompute;
};

// T(N) of `ranks` ranks on one copy (`weak` false: strong scaling) or on
// `ranks` copies (`weak` true) of `workload`.
ScalingPrediction PredictScaling(const ScalingCalibration& calibration,
                                 const ScalingWorkload& workload, bool weak, int ranks);

// The smallest rank count up to `max_ranks` at which a term other than
// compute sets T(N), or 0 when compute limits all the way.
int FirstNonComputeLimit(const ScalingCalibration& calibration,
                             const ScalingWorkload& workload, bool weak, int max_ranks);

}  // namespace lmarc
