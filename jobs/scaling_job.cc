#include "jobs/scaling_job.h"

#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "io/array_scan.h"
#include "io/chunk_source.h"
#include "io/path_util.h"
#include "io/tree_scanner.h"
#include "jobs/bench_process.h"
#include "jobs/bench_report.h"
#include "jobs/job_files.h"
#include "jobs/plot_scaling_script.h"
#include "jobs/scaling_report.h"
#include "model/codecs.h"

namespace lmarc {
namespace fs = std::filesystem;
namespace {

// Calibration: a generated incompressible file archived with the stored
// codec. Both constants are differences of two runs, which cancels start-up
// and every per-run cost: rank 0's cost per chunk from tiny against small
// chunks (same bytes, more chunks), the write bandwidth from the file alone
// against the file and a copy of it (same chunks per byte, more bytes).
constexpr uint64_t kCalibrationFileBytes = uint64_t{64} << 20;
constexpr uint64_t kOverheadChunkBytes = uint64_t{4} << 10;
constexpr uint64_t kReferenceChunkBytes = uint64_t{64} << 10;
constexpr uint64_t kBandwidthChunkBytes = uint64_t{1} << 20;
constexpr int kOverheadRanks = 2;
// The projected rank counts.
constexpr int kProjectedRanks[] = {4096, 65536};

// How to launch one `lmarc compress` job.
struct Launcher {
  std::string mpirun = {};  // full path
  std::string lmarc = {};   // full path
  std::string stderr_path = {};
  int runs = 1;
};

struct CompressSettings {
  std::string codec = {};
  int level = 0;
  uint64_t chunk_size = 0;  // bytes
};

// Median wall seconds of `runs` runs of
// `mpirun -np ranks ... lmarc compress inputs -o archive`.
StatusOr<double> TimeCompress(const Launcher& launcher, int ranks,
                              const std::vector<std::string>& inputs,
                              const CompressSettings& settings, const std::string& archive) {
  // Ranks float (--bind-to none): beyond the core count they must share cores anyway.
  std::vector<std::string> argv = {launcher.mpirun, "-np", std::to_string(ranks), "--oversubscribe",
                                   "--bind-to", "none", launcher.lmarc, "compress"};
  argv.insert(argv.end(), inputs.begin(), inputs.end());
  argv.insert(argv.end(), {"-o", archive, "-f", "--quiet", "--threads", "1", "--codec",
                           settings.codec, "--level", std::to_string(settings.level),
                           "--chunk-size", std::to_string(settings.chunk_size)});
  std::vector<double> seconds;
  for (int run = 0; run < launcher.runs; ++run) {
    ASSIGN_OR_RETURN(const double run_seconds,
                     RunPinnedTimed({.argv = argv, .stderr_path = launcher.stderr_path}, kUnpinned));
    seconds.push_back(run_seconds);
  }
  return MedianSeconds(seconds);
}

// Chunk count and input bytes as `lmarc compress` (run as `lmarc`) plans them.
StatusOr<ScalingWorkload> PlanWorkload(const std::vector<std::string>& inputs, uint64_t chunk_size,
                                       const std::string& lmarc) {
  ASSIGN_OR_RETURN(ScannedTree tree, ScanInputs(inputs, ScanOptions{}));
  ArrayScanOptions array_scan;
  array_scan.helper = lmarc;
  std::vector<TypedRegion> regions = FindTypedRegions(tree, array_scan);
  const ChunkSource source = ChunkSource::Plan(std::move(tree), std::move(regions), chunk_size);
  return ScalingWorkload{.chunks = source.plan.size(), .raw_bytes = source.stream_size};
}

int AllowedCores() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 1;
  return CPU_COUNT(&allowed);
}

// "0.52 0.61 0.70" (1, 5 and 15 minute load averages), or "?" when unreadable.
std::string LoadAverages() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return "?";
  return one + " " + five + " " + fifteen;
}

Status WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) return IoError("cannot write " + path);
  return Status::Ok();
}

// Up to `bytes` bytes taken in equal slices from the start of every input
// file, so the sample mixes the kinds of data of the whole set.
StatusOr<std::string> SampleChunk(const std::vector<std::string>& files, uint64_t bytes) {
  std::string sample;
  for (size_t index = 0; index < files.size() && sample.size() < bytes; ++index) {
    const uint64_t slice = (bytes - sample.size()) / (files.size() - index) + 1;
    std::ifstream in(files[index], std::ios::binary);
    if (!in) return IoError("cannot read " + files[index]);
    std::string piece(std::min<uint64_t>(slice, bytes - sample.size()), '\0');
    in.read(piece.data(), static_cast<std::streamsize>(piece.size()));
    sample.append(piece, 0, static_cast<size_t>(in.gcount()));
  }
  return sample;
}

// Pseudo-random bytes, which no codec compresses.
std::string IncompressibleBytes(uint64_t bytes) {
  std::mt19937_64 generator(20240601);
  std::string data(bytes, '\0');
  for (uint64_t offset = 0; offset < bytes; offset += 8) {
    const uint64_t word = generator();
    std::copy_n(reinterpret_cast<const char*>(&word), std::min<uint64_t>(8, bytes - offset),
                data.data() + offset);
  }
  return data;
}

StatusOr<CalibrationRuns> Calibrate(const Launcher& launcher, const CompressSettings& settings,
                                    const std::vector<std::string>& input_files,
                                    const std::string& work_dir) {
  const std::string dir = work_dir + "/calibration";
  const std::string archive = dir + "/calibration.h5";
  fs::create_directory(dir);
  CalibrationRuns runs;
  ScalingCalibration& constants = runs.constants;

  const std::string tiny = dir + "/tiny.bin";
  RETURN_IF_ERROR(WriteFile(tiny, "x"));
  const CompressSettings stored = {.codec = "stored", .level = settings.level, .chunk_size = 1};
  ASSIGN_OR_RETURN(constants.startup_seconds, TimeCompress(launcher, 1, {tiny}, stored, archive));

  const std::string sample = dir + "/sample-chunk.bin";
  ASSIGN_OR_RETURN(const std::string sample_bytes, SampleChunk(input_files, settings.chunk_size));
  RETURN_IF_ERROR(WriteFile(sample, sample_bytes));
  runs.sample_chunk_bytes = sample_bytes.size();
  ASSIGN_OR_RETURN(const double chunk_seconds, TimeCompress(launcher, 1, {sample}, settings, archive));
  constants.chunk_compute_seconds = std::max(chunk_seconds - constants.startup_seconds, 1e-6);

  const std::string payload = dir + "/payload.bin";
  const std::string payload_copy = dir + "/payload-copy.bin";
  const std::string payload_bytes = IncompressibleBytes(kCalibrationFileBytes);
  RETURN_IF_ERROR(WriteFile(payload, payload_bytes));
  RETURN_IF_ERROR(WriteFile(payload_copy, payload_bytes));
  CompressSettings stored_chunks = {.codec = "stored", .level = settings.level};
  stored_chunks.chunk_size = kOverheadChunkBytes;
  ASSIGN_OR_RETURN(const double tiny_chunks_seconds,
                   TimeCompress(launcher, kOverheadRanks, {payload}, stored_chunks, archive));
  stored_chunks.chunk_size = kReferenceChunkBytes;
  ASSIGN_OR_RETURN(const double reference_seconds,
                   TimeCompress(launcher, kOverheadRanks, {payload}, stored_chunks, archive));
  runs.overhead_chunk_bytes = kOverheadChunkBytes;
  runs.reference_chunk_bytes = kReferenceChunkBytes;
  runs.overhead_chunks =
      kCalibrationFileBytes / kOverheadChunkBytes - kCalibrationFileBytes / kReferenceChunkBytes;
  constants.master_chunk_seconds = std::max(tiny_chunks_seconds - reference_seconds, 1e-9) /
                                   static_cast<double>(runs.overhead_chunks);

  stored_chunks.chunk_size = kBandwidthChunkBytes;
  ASSIGN_OR_RETURN(const double one_file_seconds,
                   TimeCompress(launcher, 1, {payload}, stored_chunks, archive));
  ASSIGN_OR_RETURN(const uint64_t one_file_bytes, FileBytes(archive));
  ASSIGN_OR_RETURN(const double two_files_seconds,
                   TimeCompress(launcher, 1, {payload, payload_copy}, stored_chunks, archive));
  ASSIGN_OR_RETURN(const uint64_t two_files_bytes, FileBytes(archive));
  runs.written_bytes = two_files_bytes - one_file_bytes;
  constants.write_bytes_per_second =
      runs.written_bytes / std::max(two_files_seconds - one_file_seconds, 1e-6);
  return runs;
}

// Directories copy-0 .. copy-(copies-1) below `dir`, each holding a copy of
// every input under its archive root name (real copies: hard links would be
// archived once, as links).
StatusOr<std::vector<std::string>> WeakInputs(const std::vector<std::string>& inputs, int copies,
                                              const std::string& dir) {
  std::vector<std::string> roots;
  for (int copy = 0; copy < copies; ++copy) {
    const std::string root = dir + "/copy-" + std::to_string(copy);
    roots.push_back(root);
    if (fs::exists(root)) continue;
    fs::create_directories(root);
    for (const std::string& input : inputs) {
      ASSIGN_OR_RETURN(const std::string name, ArchiveRootName(input));
      std::error_code error;
      fs::copy(input, root + "/" + name,
               fs::copy_options::recursive | fs::copy_options::copy_symlinks, error);
      if (error) return IoError(input + ": copy for weak scaling: " + error.message());
    }
  }
  return roots;
}

Status ValidateOptions(const ScalingOptions& options) {
  if (options.inputs.empty()) return InvalidArgument("scaling: no input files or directories");
  if (options.runs < 1) return InvalidArgument("scaling: --runs must be at least 1");
  if (options.ranks.empty()) return InvalidArgument("scaling: --ranks lists no rank count");
  for (const int ranks : options.ranks) {
    if (ranks < 1) return InvalidArgument("scaling: rank counts must be at least 1");
  }
  if (options.mode != "strong" && options.mode != "weak" && options.mode != "both") {
    return InvalidArgument("scaling: --mode must be strong, weak or both");
  }
  if (BuiltinCodecs().FindByName(options.codec) == nullptr) {
    return InvalidArgument("scaling: unknown codec '" + options.codec + "' (nn, cm, zstd, stored)");
  }
  if (options.level < kMinLevel || options.level > kMaxLevel) {
    return InvalidArgument("scaling: --level must be between 1 and 9");
  }
  if (options.chunk_size < 1 || options.chunk_size > kMaxChunkSize) {
    return InvalidArgument("scaling: --chunk-size must be between 1 byte and 1 GiB");
  }
  return Status::Ok();
}

StatusOr<Launcher> FindLauncher(const ScalingOptions& options, const std::string& work_dir) {
  Launcher launcher{.stderr_path = work_dir + "/compress-stderr.txt", .runs = options.runs};
  if (options.mpirun.find('/') != std::string::npos) {
    launcher.mpirun = options.mpirun;
  } else if (auto found = FindExecutableOnPath(options.mpirun)) {
    launcher.mpirun = *found;
  }
  if (!IsExecutableFile(launcher.mpirun)) {
    return NotFound("scaling: " + options.mpirun + ": no such executable (Open MPI's mpirun)");
  }
  if (options.lmarc_binary.empty()) {
    ASSIGN_OR_RETURN(launcher.lmarc, CurrentExecutablePath());
  } else {
    launcher.lmarc = options.lmarc_binary;
  }
  if (!IsExecutableFile(launcher.lmarc)) return NotFound(launcher.lmarc + ": no such executable");
  return launcher;
}

// Times every rank count of one mode; fills speedup, efficiency and identical.
StatusOr<std::vector<ScalingRow>> MeasureMode(const ScalingOptions& options,
                                              const std::vector<int>& rank_counts, bool weak,
                                              const Launcher& launcher,
                                              const CompressSettings& settings,
                                              const std::string& work_dir) {
  std::vector<ScalingRow> rows;
  const int cores = AllowedCores();
  for (const int ranks : rank_counts) {
    std::vector<std::string> inputs = options.inputs;
    if (weak) {
      ASSIGN_OR_RETURN(inputs, WeakInputs(options.inputs, ranks, work_dir + "/weak"));
    }
    ScalingRow row{.mode = weak ? "weak" : "strong", .ranks = ranks, .oversubscribed = ranks > cores};
    const std::string archive = work_dir + "/" + row.mode + "-" + std::to_string(ranks) + ".h5";
    ASSIGN_OR_RETURN(row.seconds, TimeCompress(launcher, ranks, inputs, settings, archive));
    ASSIGN_OR_RETURN(const ScalingWorkload workload, PlanWorkload(inputs, settings.chunk_size, launcher.lmarc));
    row.chunks = workload.chunks;
    row.raw_bytes = workload.raw_bytes;
    ASSIGN_OR_RETURN(row.archive_bytes, FileBytes(archive));
    const ScalingGains gains =
        GainsOver(weak, rank_counts.front(), rows.empty() ? row.seconds : rows.front().seconds,
                  ranks, row.seconds);
    row.speedup = gains.speedup;
    row.efficiency = gains.efficiency;
    row.identical = "-";
    if (!weak) {
      const std::string base_archive = work_dir + "/strong-" + std::to_string(rank_counts.front()) + ".h5";
      ASSIGN_OR_RETURN(const bool same, SameContents(base_archive, archive));
      row.identical = same ? "yes" : "NO";
    }
    if (!options.quiet) {
      std::cerr << "scaling: " << row.mode << " N=" << ranks << ": " << row.seconds << " s, "
                << row.MegabytesPerSecond() << " MB/s\n";
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// The model's view of one copy of the inputs, from the measured run with
// the fewest ranks.
ScalingProjection Project(const std::string& mode, const std::vector<ScalingRow>& rows,
                          const ScalingCalibration& constants) {
  const bool weak = mode == "weak";
  const ScalingRow& base = rows.front();
  const uint64_t copies = weak ? base.ranks : 1;
  ScalingProjection projection{.mode = mode,
                               .workload = {.chunks = base.chunks / copies,
                                            .raw_bytes = base.raw_bytes / copies,
                                            .archive_bytes = base.archive_bytes / copies}};
  for (const int ranks : kProjectedRanks) {
    projection.points.push_back(PredictScaling(constants, projection.workload, weak, ranks));
  }
  projection.first_non_compute_ranks =
      FirstNonComputeLimit(constants, projection.workload, weak, kModelMaxRanks);
  if (projection.first_non_compute_ranks > 0) {
    projection.first_non_compute_limit =
        PredictScaling(constants, projection.workload, weak, projection.first_non_compute_ranks).limit;
  }
  return projection;
}

}  // namespace

Status RunScaling(const ScalingOptions& options, std::ostream& table_out) {
  RETURN_IF_ERROR(ValidateOptions(options));
  ASSIGN_OR_RETURN(const std::vector<std::string> input_files, CollectInputFiles(options.inputs));
  ASSIGN_OR_RETURN(const ScopedWorkDir work_dir,
                   ScopedWorkDir::Create(options.work_dir, "lmarc-scaling-"));
  ASSIGN_OR_RETURN(const Launcher launcher, FindLauncher(options, work_dir.path()));
  std::vector<int> rank_counts = options.ranks;
  std::sort(rank_counts.begin(), rank_counts.end());
  rank_counts.erase(std::unique(rank_counts.begin(), rank_counts.end()), rank_counts.end());
  const CompressSettings settings = {
      .codec = options.codec, .level = options.level, .chunk_size = options.chunk_size};
  const std::string load_before = LoadAverages();

  std::vector<ScalingRow> rows;
  std::vector<std::string> modes;
  if (options.mode != "weak") modes.push_back("strong");
  if (options.mode != "strong") modes.push_back("weak");
  std::vector<std::vector<ScalingRow>> rows_per_mode;
  for (const std::string& mode : modes) {
    ASSIGN_OR_RETURN(std::vector<ScalingRow> mode_rows,
                     MeasureMode(options, rank_counts, mode == "weak", launcher, settings,
                                 work_dir.path()));
    rows_per_mode.push_back(std::move(mode_rows));
  }
  ASSIGN_OR_RETURN(const CalibrationRuns calibration,
                   Calibrate(launcher, settings, input_files, work_dir.path()));
  const std::string load_after = LoadAverages();

  std::vector<ScalingProjection> projections;
  for (size_t index = 0; index < modes.size(); ++index) {
    projections.push_back(Project(modes[index], rows_per_mode[index], calibration.constants));
    for (ScalingRow& row : rows_per_mode[index]) {
      row.model = PredictScaling(calibration.constants, projections.back().workload,
                                 modes[index] == "weak", row.ranks);
      rows.push_back(std::move(row));
    }
  }

  std::ostringstream text;
  PrintScalingTable(rows, options.runs, text);
  PrintCalibration(calibration, text);
  PrintProjections(projections, text);
  text << "\ncodec " << options.codec << " level " << options.level << ", chunk size "
       << options.chunk_size << " bytes, " << AllowedCores() << " core(s); load average (1/5/15 min)"
       << " at start: " << load_before << ", at end: " << load_after << '\n';
  table_out << text.str();
  if (!options.report_path.empty()) {
    RETURN_IF_ERROR(WriteFile(options.report_path, "# lmarc scaling measurements\n\n" + text.str()));
  }

  const std::string csv_path = options.csv_path.empty() && !options.plot_path.empty()
                                   ? work_dir.path() + "/scaling.csv"
                                   : options.csv_path;
  if (!csv_path.empty()) RETURN_IF_ERROR(WriteScalingCsv(csv_path, rows, calibration, projections));
  if (!options.plot_path.empty()) {
    RETURN_IF_ERROR(RunPlotScript(kPlotScalingScript, "plot_scaling.py", csv_path,
                                  options.plot_path, work_dir.path()));
  }
  return Status::Ok();
}

}  // namespace lmarc
