#include "jobs/bench_job.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <utility>

#include "jobs/bench_methods.h"
#include "jobs/bench_process.h"
#include "jobs/bench_report.h"
#include "jobs/job_files.h"
#include "jobs/plot_bench_script.h"

namespace lmarc {
namespace fs = std::filesystem;
namespace {

// Empties (or creates) `path` so every decompression writes into a clean directory.
Status ResetDirectory(const std::string& path) {
  std::error_code error;
  fs::remove_all(path, error);
  if (!error) fs::create_directory(path, error);
  if (error) return IoError(path + ": " + error.message());
  return Status::Ok();
}

// Compresses and restores `input` with `method` `runs` times, pinned to
// `cpu`, checking every restored copy; returns sizes and median seconds.
StatusOr<BenchMeasurement> MeasureMethodOnFile(const BenchMethod& method, const std::string& input,
                                               uint64_t raw_bytes, int runs, int cpu,
                                               const std::string& work_dir) {
  const std::string context = method.name + ": " + input;
  const std::string compressed = work_dir + "/compressed" + method.compressed_suffix;
  const std::string restore_dir = work_dir + "/restore";
  const std::string restored = RestoredPath(method, input, restore_dir);
  const std::string stderr_path = work_dir + "/tool-stderr.txt";
  std::vector<double> compress_seconds, decompress_seconds;
  for (int run = 0; run < runs; ++run) {
    std::error_code ignored;
    fs::remove(compressed, ignored);
    StatusOr<double> seconds =
        RunPinnedTimed(CompressSpec(method, input, compressed, stderr_path), cpu);
    if (!seconds.ok()) return seconds.status().WithContext(context + ": compress");
    compress_seconds.push_back(*seconds);

    RETURN_IF_ERROR(ResetDirectory(restore_dir));
    seconds = RunPinnedTimed(DecompressSpec(method, input, compressed, restore_dir, stderr_path),
                             cpu);
    if (!seconds.ok()) return seconds.status().WithContext(context + ": decompress");
    decompress_seconds.push_back(*seconds);

    if (!fs::is_regular_file(restored)) {
      return Corrupt(context + ": decompression wrote no file " + restored);
    }
    ASSIGN_OR_RETURN(const bool same, SameContents(input, restored));
    if (!same) return Corrupt(context + ": decompressed output differs from the input");
  }
  ASSIGN_OR_RETURN(const uint64_t compressed_bytes, FileBytes(compressed));
  return BenchMeasurement{.file = input,
                          .method = method.name,
                          .raw_bytes = raw_bytes,
                          .compressed_bytes = compressed_bytes,
                          .compress_seconds = MedianSeconds(compress_seconds),
                          .decompress_seconds = MedianSeconds(decompress_seconds)};
}

std::string JoinWithCommas(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

}  // namespace

Status RunBench(const BenchOptions& options, std::ostream& table_out) {
  if (options.inputs.empty()) return InvalidArgument("bench: no input files or directories");
  if (options.runs < 1) return InvalidArgument("bench: --runs must be at least 1");
  ASSIGN_OR_RETURN(const std::vector<std::string> files, CollectInputFiles(options.inputs));
  ASSIGN_OR_RETURN(const int cpu, ChooseBenchCpu(options.cpu));
  ASSIGN_OR_RETURN(const ScopedWorkDir work_dir,
                   ScopedWorkDir::Create(options.work_dir, "lmarc-bench-"));
  ASSIGN_OR_RETURN(const MethodSelection selection,
                   SelectMethods(options.methods, options.lmarc_binary, work_dir.path()));
  if (!options.quiet) {
    std::cerr << "bench: " << files.size() << " file(s), " << selection.methods.size()
              << " method(s), " << options.runs << " run(s) each, pinned to core " << cpu << '\n';
  }

  std::vector<BenchMeasurement> per_file;
  for (size_t file_index = 0; file_index < files.size(); ++file_index) {
    const std::string& file = files[file_index];
    ASSIGN_OR_RETURN(const uint64_t raw_bytes, FileBytes(file));
    for (const BenchMethod& method : selection.methods) {
      ASSIGN_OR_RETURN(BenchMeasurement measurement,
                       MeasureMethodOnFile(method, file, raw_bytes, options.runs, cpu,
                                           work_dir.path()));
      if (!options.quiet) {
        std::cerr << "bench: [" << file_index + 1 << '/' << files.size() << "] " << file << ' '
                  << method.name << ": " << raw_bytes << " -> " << measurement.compressed_bytes
                  << " bytes, compress " << std::fixed << std::setprecision(3)
                  << measurement.compress_seconds << " s, decompress "
                  << measurement.decompress_seconds << " s\n";
      }
      per_file.push_back(std::move(measurement));
    }
  }

  const std::vector<BenchMeasurement> totals = SumPerMethod(per_file);
  PrintBenchTable(totals, table_out);
  table_out << "(" << files.size() << " file(s); MB = 10^6 bytes; wall time of whole commands "
            << "pinned to core " << cpu << ", median of " << options.runs << " run(s))\n";
  if (!selection.missing_peers.empty()) {
    table_out << "missing peers: " << JoinWithCommas(selection.missing_peers) << '\n';
  }

  const std::string csv_path = options.csv_path.empty() && !options.plot_path.empty()
                                   ? work_dir.path() + "/bench.csv"
                                   : options.csv_path;
  if (!csv_path.empty()) RETURN_IF_ERROR(WriteBenchCsv(csv_path, per_file, totals));
  if (!options.plot_path.empty()) {
    RETURN_IF_ERROR(RunPlotScript(kPlotBenchScript, "plot_bench.py", csv_path, options.plot_path,
                                  work_dir.path()));
  }
  return Status::Ok();
}

}  // namespace lmarc
