#include "jobs/bench_report.h"

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

namespace lmarc {
namespace {

constexpr double kBytesPerMegabyte = 1e6;

double MegabytesPerSecond(uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / kBytesPerMegabyte / seconds : 0.0;
}

// RFC 4180 field: quoted when it holds a comma, quote or line break.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

void WriteCsvRow(const BenchMeasurement& row, std::ostream& out) {
  out << CsvField(row.file) << ',' << CsvField(row.method) << ',' << row.raw_bytes << ','
      << row.compressed_bytes << ',' << std::fixed << std::setprecision(4) << row.Ratio() << ','
      << std::setprecision(6) << row.compress_seconds << ',' << row.decompress_seconds << ','
      << std::setprecision(3) << row.CompressMegabytesPerSecond() << ','
      << row.DecompressMegabytesPerSecond() << '\n';
}

}  // namespace

double BenchMeasurement::Ratio() const {
  return compressed_bytes > 0
             ? static_cast<double>(raw_bytes) / static_cast<double>(compressed_bytes)
             : 0.0;
}

double BenchMeasurement::CompressMegabytesPerSecond() const {
  return MegabytesPerSecond(raw_bytes, compress_seconds);
}

double BenchMeasurement::DecompressMegabytesPerSecond() const {
  return MegabytesPerSecond(raw_bytes, decompress_seconds);
}

std::vector<BenchMeasurement> SumPerMethod(const std::vector<BenchMeasurement>& per_file) {
  std::vector<BenchMeasurement> totals;
  std::map<std::string, size_t> index_of_method;
  for (const BenchMeasurement& row : per_file) {
    auto [it, inserted] = index_of_method.emplace(row.method, totals.size());
    if (inserted) totals.push_back({.file = kTotalRowFile, .method = row.method});
    BenchMeasurement& total = totals[it->second];
    total.raw_bytes += row.raw_bytes;
    total.compressed_bytes += row.compressed_bytes;
    total.compress_seconds += row.compress_seconds;
    total.decompress_seconds += row.decompress_seconds;
  }
  std::stable_sort(totals.begin(), totals.end(),
                   [](const BenchMeasurement& a, const BenchMeasurement& b) {
                     return a.compressed_bytes < b.compressed_bytes;
                   });
  return totals;
}

void PrintBenchTable(const std::vector<BenchMeasurement>& totals, std::ostream& out) {
  size_t method_width = 6;  // "method"
  for (const BenchMeasurement& row : totals) method_width = std::max(method_width, row.method.size());
  std::ostringstream table;
  table << std::left << std::setw(static_cast<int>(method_width)) << "method" << std::right
        << std::setw(15) << "raw bytes" << std::setw(18) << "compressed bytes" << std::setw(9)
        << "ratio" << std::setw(16) << "compress MB/s" << std::setw(18) << "decompress MB/s"
        << '\n';
  for (const BenchMeasurement& row : totals) {
    table << std::left << std::setw(static_cast<int>(method_width)) << row.method << std::right
          << std::setw(15) << row.raw_bytes << std::setw(18) << row.compressed_bytes << std::fixed
          << std::setprecision(3) << std::setw(9) << row.Ratio() << std::setprecision(2)
          << std::setw(16) << row.CompressMegabytesPerSecond() << std::setw(18)
          << row.DecompressMegabytesPerSecond() << '\n';
  }
  out << table.str();
}

Status WriteBenchCsv(const std::string& path, const std::vector<BenchMeasurement>& per_file,
                     const std::vector<BenchMeasurement>& totals) {
  std::ofstream csv(path, std::ios::binary | std::ios::trunc);
  if (!csv) return IoError("cannot create CSV file " + path);
  csv << "file,method,raw_bytes,compressed_bytes,ratio,compress_s,decompress_s,"
         "compress_mbps,decompress_mbps\n";
  for (const BenchMeasurement& row : per_file) WriteCsvRow(row, csv);
  for (const BenchMeasurement& row : totals) WriteCsvRow(row, csv);
  csv.close();
  if (!csv) return IoError("cannot write CSV file " + path);
  return Status::Ok();
}

double MedianSeconds(std::vector<double> seconds) {
  std::sort(seconds.begin(), seconds.end());
  const size_t middle = seconds.size() / 2;
  if (seconds.size() % 2 == 1) return seconds[middle];
  return (seconds[middle - 1] + seconds[middle]) / 2;
}

}  // namespace lmarc
