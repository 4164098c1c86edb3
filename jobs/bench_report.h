// Results of `lmarc bench`: per-file measurements, per-method totals, the
// console table and the CSV file. MB = 10^6 bytes throughout.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "src/status.h"

namespace lmarc {

// File column of the per-method total rows.
inline constexpr char kTotalRowFile[] = "TOTAL";

// One method on one file (or, with file == kTotalRowFile, summed over all files).
struct BenchMeasurement {
  std::string file;
  std::string method;
  uint64_t raw_bytes = 0;
  uint64_t compressed_bytes = 0;
  double compress_seconds = 0;    // median wall time of one compression run
  double decompress_seconds = 0;  // median wall time of one decompression run

  double Ratio() const;                  // raw / compressed bytes
  double CompressMegabytesPerSecond() const;    // raw MB / compress_seconds
  double DecompressMegabytesPerSecond() const;  // raw MB / decompress_seconds
};

// One kTotalRowFile row per method: bytes and median seconds summed over the
// files, ordered by compressed bytes, smallest first.
std::vector<BenchMeasurement> SumPerMethod(const std::vector<BenchMeasurement>& per_file);

// The console table of `totals`, one line per method.
void PrintBenchTable(const std::vector<BenchMeasurement>& totals, std::ostream& out);

// CSV with header file,method,raw_bytes,compressed_bytes,ratio,compress_s,
// decompress_s,compress_mbps,decompress_mbps: the per-file rows, then the totals.
[[nodiscard]] Status WriteBenchCsv(const std::string& path,
                                   const std::vector<BenchMeasurement>& per_file,
                                   const std::vector<BenchMeasurement>& totals);

// Median of a non-empty list of seconds (mean of the middle two for even sizes).
double MedianSeconds(std::vector<double> seconds);

}  // namespace lmarc
