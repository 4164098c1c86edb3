#include "jobs/bench_job.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <utility>

#include "jobs/bench_methods.h"
#include "jobs/bench_process.h"
#include "jobs/bench_report.h"
#include "jobs/plot_bench_script.h"

namespace lmarc {
namespace fs = std::filesystem;
namespace {

constexpr char kPython[] = "/usr/bin/python3";

// A fresh scratch directory, removed with everything in it on destruction.
class ScopedWorkDir {
 public:
  static StatusOr<ScopedWorkDir> Create(const std::string& parent) {
    std::error_code error;
    const fs::path base = parent.empty() ? fs::temp_directory_path(error) : fs::path(parent);
    if (error) return IoError("no temporary directory: " + error.message());
    fs::create_directories(base, error);
    if (error) return IoError(base.string() + ": " + error.message());
    std::string pattern = (base / "lmarc-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return ErrnoError(pattern, errno);
    return ScopedWorkDir(pattern);
  }
  ScopedWorkDir(ScopedWorkDir&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  ScopedWorkDir& operator=(ScopedWorkDir&&) = delete;
  ~ScopedWorkDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  explicit ScopedWorkDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Regular files named by `inputs`; directories are walked recursively and
// contribute their regular files (symbolic links skipped) in sorted order.
StatusOr<std::vector<std::string>> CollectInputFiles(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    std::error_code error;
    const fs::file_status status = fs::status(input, error);
    if (!fs::exists(status)) return NotFound(input + ": no such file or directory");
    if (fs::is_regular_file(status)) {
      files.push_back(input);
      continue;
    }
    if (!fs::is_directory(status)) {
      return InvalidArgument(input + ": not a regular file or directory");
    }
    std::vector<std::string> directory_files;
    for (auto it = fs::recursive_directory_iterator(input, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
      if (it->symlink_status().type() == fs::file_type::regular) {
        directory_files.push_back(it->path().string());
      }
    }
    if (error) return IoError(input + ": " + error.message());
    std::sort(directory_files.begin(), directory_files.end());
    files.insert(files.end(), directory_files.begin(), directory_files.end());
  }
  if (files.empty()) return InvalidArgument("no regular files to benchmark");
  return files;
}

StatusOr<uint64_t> FileBytes(const std::string& path) {
  std::error_code error;
  const uintmax_t bytes = fs::file_size(path, error);
  if (error) return IoError(path + ": " + error.message());
  return static_cast<uint64_t>(bytes);
}

// True when both files hold the same bytes.
StatusOr<bool> SameContents(const std::string& path_a, const std::string& path_b) {
  std::ifstream file_a(path_a, std::ios::binary);
  std::ifstream file_b(path_b, std::ios::binary);
  if (!file_a) return IoError("cannot read " + path_a);
  if (!file_b) return IoError("cannot read " + path_b);
  constexpr size_t kBlockBytes = 1 << 20;
  std::vector<char> block_a(kBlockBytes), block_b(kBlockBytes);
  while (true) {
    file_a.read(block_a.data(), kBlockBytes);
    file_b.read(block_b.data(), kBlockBytes);
    const std::streamsize read_a = file_a.gcount();
    if (read_a != file_b.gcount()) return false;
    if (!std::equal(block_a.begin(), block_a.begin() + read_a, block_b.begin())) return false;
    if (read_a < static_cast<std::streamsize>(kBlockBytes)) return true;
  }
}

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

// Renders `csv_path` into the PNG `plot_path` with the embedded plot script.
// A missing python3 or matplotlib only earns a warning.
Status PlotBench(const std::string& csv_path, const std::string& plot_path,
                 const std::string& work_dir) {
  const std::string stderr_path = work_dir + "/plot-stderr.txt";
  if (!IsExecutableFile(kPython) ||
      !RunPinnedTimed({.argv = {kPython, "-c", "import matplotlib"}, .stderr_path = stderr_path},
                      kUnpinned)
           .ok()) {
    std::cerr << "lmarc: warning: " << kPython
              << " with matplotlib is not available; no plot written\n";
    return Status::Ok();
  }
  const std::string script_path = work_dir + "/plot_bench.py";
  std::ofstream script(script_path, std::ios::binary | std::ios::trunc);
  script << kPlotBenchScript;
  script.close();
  if (!script) return IoError("cannot write " + script_path);
  StatusOr<double> plot_seconds = RunPinnedTimed(
      {.argv = {kPython, script_path, csv_path, plot_path}, .stderr_path = stderr_path},
      kUnpinned);
  return plot_seconds.status().WithContext("plot");
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
  ASSIGN_OR_RETURN(const ScopedWorkDir work_dir, ScopedWorkDir::Create(options.work_dir));
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
    RETURN_IF_ERROR(PlotBench(csv_path, options.plot_path, work_dir.path()));
  }
  return Status::Ok();
}

}  // namespace lmarc
