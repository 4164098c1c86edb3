// `lmarc scaling`: a scaling study of parallel compression. For every rank
// count N it times `mpirun -np N lmarc compress` (whole command, wall time,
// median of `runs`) in strong scaling (the same inputs at every N; the
// archives must be byte-identical) and weak scaling (N copies of the inputs,
// so the work per rank stays constant). Calibration runs measure the
// constants of the model in jobs/scaling_model.h (start-up, compute per
// chunk, rank 0's overhead per chunk, archive write bandwidth), which then
// projects throughput to 4096 and 65536 ranks and names the first
// bottleneck. MB = 10^6 bytes.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "src/chunk_plan.h"
#include "src/status.h"

namespace lmarc {

struct ScalingOptions {
  std::vector<std::string> inputs;  // files and directories with distinct last components
  std::vector<int> ranks = {1, 2};  // rank counts to measure
  std::string mode = "both";        // strong, weak or both
  std::string codec = "cm";
  int level = 5;
  uint64_t chunk_size = uint64_t{1} << 20;  // bytes
  int runs = 3;                             // timed runs per measurement; median taken
  std::string csv_path;                     // empty = no CSV
  std::string plot_path;                    // PNG by scripts/plot_scaling.py; empty = no plot
  std::string report_path;                  // Markdown report; empty = none
  std::string lmarc_binary;                 // empty = this executable
  std::string mpirun = "mpirun";            // a path, or a name looked up on $PATH
  std::string work_dir;                     // scratch goes to a fresh subdirectory; empty = $TMPDIR
  bool quiet = false;                       // no progress lines on stderr
};

// Runs the study and prints the measured table, the model constants and the
// projection to `table_out` (Markdown; the report file holds the same text
// under a heading with the machine's core count and load). Fails on invalid
// options, a missing mpirun or lmarc, or a failing command.
[[nodiscard]] Status RunScaling(const ScalingOptions& options, std::ostream& table_out);

}  // namespace lmarc
