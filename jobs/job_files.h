// File helpers shared by the measuring jobs (`lmarc bench`, `lmarc scaling`):
// scratch directories, input walks, byte-wise file comparison and the
// embedded matplotlib plot scripts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/status.h"

namespace lmarc {

// A fresh scratch directory, removed with everything in it on destruction.
class ScopedWorkDir {
 public:
  // Creates `parent`/`prefix`XXXXXX; `parent` empty = the temporary directory.
  static StatusOr<ScopedWorkDir> Create(const std::string& parent, const std::string& prefix);
  ScopedWorkDir(ScopedWorkDir&& other) noexcept;
  ScopedWorkDir& operator=(ScopedWorkDir&&) = delete;
  ~ScopedWorkDir();
  const std::string& path() const { return path_; }

 private:
  explicit ScopedWorkDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Regular files named by `inputs`; directories are walked recursively and
// contribute their regular files (symbolic links skipped) in sorted order.
[[nodiscard]] StatusOr<std::vector<std::string>> CollectInputFiles(
    const std::vector<std::string>& inputs);

// Size of the file at `path` in bytes.
[[nodiscard]] StatusOr<uint64_t> FileBytes(const std::string& path);

// True when both files hold the same bytes (what cmp(1) checks).
[[nodiscard]] StatusOr<bool> SameContents(const std::string& path_a, const std::string& path_b);

// Writes `script` to `work_dir`/`script_name` and runs it with
// /usr/bin/python3 as `script CSV_PATH PLOT_PATH`. A missing python3 or
// matplotlib only earns a warning on stderr (no plot, OK status).
[[nodiscard]] Status RunPlotScript(std::string_view script, const std::string& script_name,
                                   const std::string& csv_path, const std::string& plot_path,
                                   const std::string& work_dir);

}  // namespace lmarc
