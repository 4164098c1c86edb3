#include "jobs/job_files.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <utility>

#include "jobs/bench_process.h"

namespace lmarc {
namespace fs = std::filesystem;
namespace {

constexpr char kPython[] = "/usr/bin/python3";

}  // namespace

StatusOr<ScopedWorkDir> ScopedWorkDir::Create(const std::string& parent, const std::string& prefix) {
  std::error_code error;
  const fs::path base = parent.empty() ? fs::temp_directory_path(error) : fs::path(parent);
  if (error) return IoError("no temporary directory: " + error.message());
  fs::create_directories(base, error);
  if (error) return IoError(base.string() + ": " + error.message());
  std::string pattern = (base / (prefix + "XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) return ErrnoError(pattern, errno);
  return ScopedWorkDir(pattern);
}

ScopedWorkDir::ScopedWorkDir(ScopedWorkDir&& other) noexcept
    : path_(std::exchange(other.path_, "")) {}

ScopedWorkDir::~ScopedWorkDir() {
  std::error_code ignored;
  if (!path_.empty()) fs::remove_all(path_, ignored);
}

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
  if (files.empty()) return InvalidArgument("no regular files in the inputs");
  return files;
}

StatusOr<uint64_t> FileBytes(const std::string& path) {
  std::error_code error;
  const uintmax_t bytes = fs::file_size(path, error);
  if (error) return IoError(path + ": " + error.message());
  return static_cast<uint64_t>(bytes);
}

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

Status RunPlotScript(std::string_view script, const std::string& script_name,
                     const std::string& csv_path, const std::string& plot_path,
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
  const std::string script_path = work_dir + "/" + script_name;
  std::ofstream script_file(script_path, std::ios::binary | std::ios::trunc);
  script_file << script;
  script_file.close();
  if (!script_file) return IoError("cannot write " + script_path);
  StatusOr<double> plot_seconds = RunPinnedTimed(
      {.argv = {kPython, script_path, csv_path, plot_path}, .stderr_path = stderr_path},
      kUnpinned);
  return plot_seconds.status().WithContext("plot");
}

}  // namespace lmarc
