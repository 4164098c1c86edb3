// `lmarc bench`: compares lmarc's codecs with peer compressors (zstd, xz,
// bzip3, brotli) file by file. Every method compresses each input file with
// its own command line and restores it; the restored copy must equal the
// input byte for byte. Speeds are whole-command wall times (process start-up
// and file I/O included) on one pinned core, median of `runs`; compressed
// sizes are whole output files (for lmarc the .h5 archive with its overhead).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "src/status.h"

namespace lmarc {

struct BenchOptions {
  std::vector<std::string> inputs;  // files and directories (walked recursively, sorted)
  std::string lmarc_binary;         // the lmarc executable timed for the lmarc-* methods
  std::string csv_path;             // per-file and TOTAL rows; empty = no CSV
  std::string plot_path;            // PNG written by scripts/plot_bench.py; empty = no plot
  int runs = 3;                     // timed runs per file, method and direction; median taken
  int cpu = -1;                     // core to pin the commands to; -1 = last core allowed
  std::vector<std::string> methods;  // e.g. "lmarc-cm-5", "xz-9e"; empty = default set
  std::string work_dir;             // scratch files go to a fresh subdirectory; empty = $TMPDIR
  bool quiet = false;               // no progress lines on stderr
};

// Runs the benchmark and prints the per-method table (sorted by compressed
// size, smallest first) and a "missing peers: ..." line for peer tools not
// on $PATH to `table_out`. Fails on an unknown method, a failing command or a
// restored file that differs from its input.
[[nodiscard]] Status RunBench(const BenchOptions& options, std::ostream& table_out);

}  // namespace lmarc
