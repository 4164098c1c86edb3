#include "src/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>


namespace lmarc {

void Warn(std::string_view message) { std::cerr << "lmarc: warning: " << message << '\n'; }

Reporting MakeReporting(bool progress_flag, bool quiet_flag) {
  Reporting r;
  r.quiet = quiet_flag;
  r.progress = !quiet_flag && (progress_flag || isatty(STDERR_FILENO) == 1);
  return r;
}

std::string HumanBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.2f %s", value, kUnits[unit]);
  return text;
}

ProgressMeter::ProgressMeter(const Reporting& reporting, std::string label, uint64_t total_bytes)
    : enabled_(reporting.progress),
      label_(std::move(label)),
      total_bytes_(total_bytes),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

ProgressMeter::~ProgressMeter() { Finish(); }

void ProgressMeter::Add(uint64_t bytes) {
  done_bytes_ += bytes;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_print_ >= std::chrono::milliseconds(250)) {
    last_print_ = now;
    Print(false);
  }
}

void ProgressMeter::Finish() {
  if (!enabled_) return;
  Print(true);
  enabled_ = false;
}

void ProgressMeter::Print(bool final_line) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double mb_per_s = seconds > 0 ? static_cast<double>(done_bytes_) / 1e6 / seconds : 0;
  char eta[32] = "--:--";
  if (mb_per_s > 0 && total_bytes_ >= done_bytes_) {
    const auto left = static_cast<uint64_t>(static_cast<double>(total_bytes_ - done_bytes_) / 1e6 / mb_per_s);
    std::snprintf(eta, sizeof(eta), "%llu:%02llu", static_cast<unsigned long long>(left / 60),
                  static_cast<unsigned long long>(left % 60));
  }
  std::fprintf(stderr, "\r%s %s / %s  %.2f MB/s  ETA %s   %s", label_.c_str(),
               HumanBytes(done_bytes_).c_str(), HumanBytes(total_bytes_).c_str(), mb_per_s, eta,
               final_line ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace lmarc
