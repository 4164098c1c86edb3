#include "jobs/scaling_model.h"

#include "mpi/task_farm.h"

namespace lmarc {

std::string_view ScalingLimitName(ScalingLimit limit) {
  switch (limit) {
    case ScalingLimit::kCompute: return "compute";
    case ScalingLimit::kMasterDispatch: return "master dispatch";
    case ScalingLimit::kWriteBandwidth: return "single-writer bandwidth";
  }
  return "?";
}

ScalingPrediction PredictScaling(const ScalingCalibration& calibration,
                                 const ScalingWorkload& workload, bool weak, int ranks) {
  const uint64_t copies = weak ? static_cast<uint64_t>(ranks) : 1;
  const uint64_t chunks = copies * workload.chunks;
  // Rank 0 computes too only while workers are few (mpi/task_farm.h).
  const uint64_t workers = MasterShouldCompute(ranks) ? ranks : ranks - 1;
  // Whole chunks per worker: beyond `chunks` workers, extra ranks idle.
  const uint64_t chunks_per_worker = (chunks + workers - 1) / workers;
  const double compute_seconds = chunks_per_worker * calibration.chunk_compute_seconds;
  const double master_seconds = chunks * calibration.master_chunk_seconds;
  const double write_seconds =
      static_cast<double>(copies * workload.archive_bytes) / calibration.write_bytes_per_second;

  ScalingPrediction prediction;
  prediction.ranks = ranks;
  double busiest = compute_seconds;
  if (master_seconds > busiest) {
    busiest = master_seconds;
    prediction.limit = ScalingLimit::kMasterDispatch;
  }
  if (write_seconds > busiest) {
    busiest = write_seconds;
    prediction.limit = ScalingLimit::kWriteBandwidth;
  }
  prediction.seconds = busiest + calibration.startup_seconds;
  prediction.megabytes_per_second =
      static_cast<double>(copies * workload.raw_bytes) / 1e6 / prediction.seconds;
  return prediction;
}

int FirstNonComputeLimit(const ScalingCalibration& calibration, const ScalingWorkload& workload,
                         bool weak, int max_ranks) {
  for (int ranks = 1; ranks <= max_ranks; ++ranks) {
    if (PredictScaling(calibration, workload, weak, ranks).limit != ScalingLimit::kCompute) {
      return ranks;
    }
  }
  return 0;
}

}  // namespace lmarc
