// Progress reporting and warnings on stderr, shared by every operation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace lmarc {

// Prints "lmarc: warning: MESSAGE" on stderr.
void Warn(std::string_view message);

// Where and how a job reports: progress (bytes, MB/s, ETA) on stderr when
// enabled, at most four updates per second, erased by Finish.
struct Reporting {
  bool progress = false;  // --progress, or stderr is a terminal
  bool quiet = false;     // --quiet: no progress, no summaries
};

// Resolves --progress/--quiet against whether stderr is a terminal.
Reporting MakeReporting(bool progress_flag, bool quiet_flag);

class ProgressMeter {
 public:
  ProgressMeter(const Reporting& reporting, std::string label, uint64_t total_bytes);
  ~ProgressMeter();
  void Add(uint64_t bytes);  // bytes done since the last call
  void Finish();

 private:
  void Print(bool final_line);

  bool enabled_;
  std::string label_;
  uint64_t total_bytes_;
  uint64_t done_bytes_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

// "4.00 MiB"-style human size (binary units).
std::string HumanBytes(uint64_t bytes);

}  // namespace lmarc
