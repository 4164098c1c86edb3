#include "jobs/bench_job.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <utility>

#include "jobs/bench_arrays.h"
#include "jobs/bench_methods.h"
#include "jobs/bench_process.h"
#include "jobs/bench_report.h"
#include "jobs/job_files.h"
#include "jobs/plot_bench_script.h"

namespace lmarc {
namespace fs = std::filesystem;
namespace {

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
                       MeasureMethod(method, file, raw_bytes, options.runs, cpu, work_dir.path()));
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
  const std::string arrays_csv =
      options.csv_path.empty() ? "" : fs::path(options.csv_path).replace_extension().string() + "-arrays.csv";
  RETURN_IF_ERROR(RunArrayPeers(files, options, cpu, work_dir.path(), totals, arrays_csv, table_out));
  if (!options.plot_path.empty()) {
    RETURN_IF_ERROR(RunPlotScript(kPlotBenchScript, "plot_bench.py", csv_path, options.plot_path,
                                  work_dir.path()));
  }
  return Status::Ok();
}

}  // namespace lmarc
