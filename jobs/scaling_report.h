// Results of `lmarc scaling`: measured rows, model rows, the console table
// (Markdown, so docs can quote it as is) and the CSV file read by
// scripts/plot_scaling.py. MB = 10^6 bytes, times in seconds.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "jobs/scaling_model.h"
#include "src/status.h"

namespace lmarc {

// One measured rank count of one mode ("strong" or "weak").
struct ScalingRow {
  std::string mode = {};
  int ranks = 0;
  bool oversubscribed = false;  // more ranks than cores this process may use
  uint64_t chunks = 0;
  uint64_t raw_bytes = 0;      // input bytes of the run
  uint64_t archive_bytes = 0;  // archive file size
  double seconds = 0;          // median wall time of the whole mpirun command
  double speedup = 0;          // see RunScaling (jobs/scaling_job.h)
  double efficiency = 0;
  std::string identical = {};  // strong: "yes"/"NO" vs the smallest rank count; weak: "-"
  ScalingPrediction model = {};  // the model's T(N) for this run

  double MegabytesPerSecond() const;  // raw MB / seconds
};

// Calibration runs as measured, for the table and the CSV.
struct CalibrationRuns {
  ScalingCalibration constants;
  uint64_t sample_chunk_bytes = 0;    // input of the chunk-compute run
  uint64_t overhead_chunk_bytes = 0;   // tiny chunk size of the master-overhead runs
  uint64_t reference_chunk_bytes = 0;  // the chunk size it is compared with
  uint64_t overhead_chunks = 0;        // extra chunks the tiny chunk size made
  uint64_t written_bytes = 0;          // extra archive bytes of the write-bandwidth runs
};

// The model at large rank counts for one mode.
struct ScalingProjection {
  std::string mode = {};
  ScalingWorkload workload = {};               // one copy
  std::vector<ScalingPrediction> points = {};  // the projected rank counts
  int first_non_compute_ranks = 0;        // 0: compute limits up to kModelMaxRanks
  ScalingLimit first_non_compute_limit = ScalingLimit::kCompute;
};

struct ScalingGains {
  double speedup = 0;
  double efficiency = 0;
};

// Gains of a run of `ranks` ranks taking `seconds` over the baseline run of
// `base_ranks` ranks taking `base_seconds`. Strong scaling: speedup =
// base_seconds / seconds, efficiency = speedup * base_ranks / ranks. Weak
// scaling (work grows with the ranks): efficiency = base_seconds / seconds,
// speedup (scaled) = efficiency * ranks / base_ranks.
ScalingGains GainsOver(bool weak, int base_ranks, double base_seconds, int ranks, double seconds);

// Largest rank count the projection searches for the first non-compute limit.
inline constexpr int kModelMaxRanks = 1 << 20;

void PrintScalingTable(const std::vector<ScalingRow>& rows, int runs, std::ostream& out);
void PrintCalibration(const CalibrationRuns& calibration, std::ostream& out);
void PrintProjections(const std::vector<ScalingProjection>& projections, std::ostream& out);

// CSV with header kind,mode,ranks,oversubscribed,chunks,raw_bytes,
// archive_bytes,seconds,mb_per_s,speedup,efficiency,identical,limit:
// kind "measured" (one row per ScalingRow), "calibration" (mode startup,
// chunk-compute, master-overhead or write-bandwidth; seconds per run, per
// chunk, per chunk and per written archive respectively) and "model" (T(N)
// at powers of two up to 65536 ranks and at the measured rank counts).
[[nodiscard]] Status WriteScalingCsv(const std::string& path, const std::vector<ScalingRow>& rows,
                                     const CalibrationRuns& calibration,
                                     const std::vector<ScalingProjection>& projections);

}  // namespace lmarc
