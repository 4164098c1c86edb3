// Process helpers of the benchmark job: timed, CPU-pinned child processes
// (fork + exec, no shell) and executable lookup on PATH.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "src/status.h"

namespace lmarc {

// One command line to run. Empty redirect paths mean /dev/null.
struct ProcessSpec {
  std::vector<std::string> argv = {};  // argv[0]: executable path (not searched on PATH)
  std::string stdin_path = {};
  std::string stdout_path = {};  // created or truncated
  std::string stderr_path = {};  // created or truncated; quoted in the error on failure
};

// `cpu` value of RunPinnedTimed that leaves the child's affinity alone.
inline constexpr int kUnpinned = -1;

// Runs `spec` pinned to CPU core `cpu` (or kUnpinned) and waits for it. Returns the wall time
// in seconds from just before the fork to the reaping of the child (process
// start-up, I/O and exit included). Fails when the child cannot be started or
// does not exit with status 0.
[[nodiscard]] StatusOr<double> RunPinnedTimed(const ProcessSpec& spec, int cpu);

// Full path of the first executable regular file named `name` in the
// directories of $PATH, or nullopt.
std::optional<std::string> FindExecutableOnPath(const std::string& name);

// Full path of the running executable (/proc/self/exe).
[[nodiscard]] StatusOr<std::string> CurrentExecutablePath();

// True when `path` names an executable regular file.
bool IsExecutableFile(const std::string& path);

// The core to pin to: `requested` when this process may run on it, the
// highest core of this process's affinity mask when `requested` is -1.
[[nodiscard]] StatusOr<int> ChooseBenchCpu(int requested);

// "argv0 arg1 ..." for messages.
std::string FormatCommand(const std::vector<std::string>& argv);

}  // namespace lmarc
