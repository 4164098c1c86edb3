#include "jobs/scaling_report.h"

#include <cstdio>
#include <fstream>
#include <set>

namespace lmarc {
namespace {

// Rank counts of the model rows in the CSV besides the measured ones.
constexpr int kModelCsvMaxRanks = 65536;

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string Seconds(double seconds) { return Format(seconds < 0.01 ? "%.3g" : "%.3f", seconds); }

}  // namespace

double ScalingRow::MegabytesPerSecond() const {
  return seconds > 0 ? static_cast<double>(raw_bytes) / 1e6 / seconds : 0;
}

ScalingGains GainsOver(bool weak, int base_ranks, double base_seconds, int ranks, double seconds) {
  const double rank_ratio = static_cast<double>(ranks) / base_ranks;
  const double time_ratio = base_seconds / seconds;
  if (weak) return {.speedup = time_ratio * rank_ratio, .efficiency = time_ratio};
  return {.speedup = time_ratio, .efficiency = time_ratio / rank_ratio};
}

void PrintScalingTable(const std::vector<ScalingRow>& rows, int runs, std::ostream& out) {
  out << "| ranks | mode | seconds | MB/s | speedup | efficiency | identical | model s | model limit"
         " | note |\n"
      << "|---:|---|---:|---:|---:|---:|---|---:|---|---|\n";
  for (const ScalingRow& row : rows) {
    out << "| " << row.ranks << " | " << row.mode << " | " << Seconds(row.seconds) << " | "
        << Format("%.2f", row.MegabytesPerSecond()) << " | " << Format("%.2f", row.speedup)
        << " | " << Format("%.2f", row.efficiency) << " | " << row.identical << " | "
        << Seconds(row.model.seconds) << " | " << ScalingLimitName(row.model.limit) << " | "
        << (row.oversubscribed ? "oversubscribed" : "") << " |\n";
  }
  out << "\n(MB = 10^6 input bytes; seconds = wall time of the whole `mpirun -np N lmarc compress`"
         " command, median of "
      << runs << " run(s); speedup and efficiency against the smallest rank count, weak speedup"
         " scaled by the work; identical = strong-scaling archive byte-identical to the smallest"
         " rank count's)\n";
}

void PrintCalibration(const CalibrationRuns& calibration, std::ostream& out) {
  const ScalingCalibration& constants = calibration.constants;
  out << "\nmodel constants (measured):\n"
      << "- startup: " << Seconds(constants.startup_seconds)
      << " s (mpirun -np 1 lmarc compress of a 1-byte file, stored)\n"
      << "- compute per chunk: " << Seconds(constants.chunk_compute_seconds) << " s ("
      << calibration.sample_chunk_bytes << "-byte sample chunk, 1 rank, startup subtracted)\n"
      << "- master overhead per chunk: " << Format("%.3g", constants.master_chunk_seconds * 1e6)
      << " us (stored, 2 ranks: extra time of " << calibration.overhead_chunks
      << " extra chunks when the same bytes are cut into " << calibration.overhead_chunk_bytes
      << "-byte instead of " << calibration.reference_chunk_bytes << "-byte chunks)\n"
      << "- archive write bandwidth: " << Format("%.1f", constants.write_bytes_per_second / 1e6)
      << " MB/s (stored, 1 rank, 1 MiB chunks: extra time of " << calibration.written_bytes
      << " extra archive bytes)\n";
}

void PrintProjections(const std::vector<ScalingProjection>& projections, std::ostream& out) {
  out << "\nmodel: T(N) = max(chunks * compute / workers, chunks * master overhead, archive bytes /"
         " write bandwidth) + startup\n\n"
      << "| mode | ranks | chunks | model s | model MB/s | limit |\n|---|---:|---:|---:|---:|---|\n";
  for (const ScalingProjection& projection : projections) {
    for (const ScalingPrediction& point : projection.points) {
      const uint64_t copies = projection.mode == "weak" ? point.ranks : 1;
      out << "| " << projection.mode << " | " << point.ranks << " | "
          << copies * projection.workload.chunks << " | " << Seconds(point.seconds) << " | "
          << Format("%.1f", point.megabytes_per_second) << " | " << ScalingLimitName(point.limit)
          << " |\n";
    }
  }
  out << '\n';
  for (const ScalingProjection& projection : projections) {
    out << projection.mode << " scaling: ";
    if (projection.first_non_compute_ranks == 0) {
      out << "compute limits up to " << kModelMaxRanks << " ranks\n";
    } else {
      out << ScalingLimitName(projection.first_non_compute_limit) << " takes over from N = "
          << projection.first_non_compute_ranks << " ranks\n";
    }
  }
}

Status WriteScalingCsv(const std::string& path, const std::vector<ScalingRow>& rows,
                       const CalibrationRuns& calibration,
                       const std::vector<ScalingProjection>& projections) {
  std::ofstream csv(path, std::ios::binary | std::ios::trunc);
  if (!csv) return IoError("cannot write " + path);
  csv << "kind,mode,ranks,oversubscribed,chunks,raw_bytes,archive_bytes,seconds,mb_per_s,speedup,"
         "efficiency,identical,limit\n";
  for (const ScalingRow& row : rows) {
    csv << "measured," << row.mode << ',' << row.ranks << ',' << (row.oversubscribed ? 1 : 0)
        << ',' << row.chunks << ',' << row.raw_bytes << ',' << row.archive_bytes << ','
        << row.seconds << ',' << row.MegabytesPerSecond() << ',' << row.speedup << ','
        << row.efficiency << ',' << row.identical << ',' << ScalingLimitName(row.model.limit)
        << '\n';
  }
  const ScalingCalibration& constants = calibration.constants;
  csv << "calibration,startup,1,0,1,1,,"  << constants.startup_seconds << ",,,,,\n"
      << "calibration,chunk-compute,1,0,1," << calibration.sample_chunk_bytes << ",,"
      << constants.chunk_compute_seconds << ','
      << calibration.sample_chunk_bytes / 1e6 / constants.chunk_compute_seconds << ",,,,\n"
      << "calibration,master-overhead,2,0," << calibration.overhead_chunks << ",,,"
      << constants.master_chunk_seconds << ",,,,,\n"
      << "calibration,write-bandwidth,1,0,,," << calibration.written_bytes << ','
      << calibration.written_bytes / constants.write_bytes_per_second << ','
      << constants.write_bytes_per_second / 1e6 << ",,,,\n";

  for (const ScalingProjection& projection : projections) {
    const bool weak = projection.mode == "weak";
    std::set<int> ranks_to_model;
    for (int ranks = 1; ranks <= kModelCsvMaxRanks; ranks *= 2) ranks_to_model.insert(ranks);
    for (const ScalingRow& row : rows) ranks_to_model.insert(row.ranks);
    const ScalingPrediction base = PredictScaling(constants, projection.workload, weak, 1);
    for (const int ranks : ranks_to_model) {
      const ScalingPrediction point = PredictScaling(constants, projection.workload, weak, ranks);
      const uint64_t copies = weak ? ranks : 1;
      const ScalingGains gains = GainsOver(weak, 1, base.seconds, ranks, point.seconds);
      csv << "model," << projection.mode << ',' << ranks << ",0," << copies * projection.workload.chunks
          << ',' << copies * projection.workload.raw_bytes << ','
          << copies * projection.workload.archive_bytes << ',' << point.seconds << ','
          << point.megabytes_per_second << ',' << gains.speedup << ',' << gains.efficiency
          << ",-," << ScalingLimitName(point.limit) << '\n';
    }
  }
  csv.close();
  if (!csv) return IoError("cannot write " + path);
  return Status::Ok();
}

}  // namespace lmarc
