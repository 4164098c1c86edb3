#include "jobs/bench_process.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace lmarc {
namespace {

// What a child failed at before exec, reported to the parent over a pipe.
enum class ChildStep : int { kAffinity = 1, kStdin, kStdout, kStderr, kExec };

struct ChildFailure {
  ChildStep step;
  int errno_value;
};

const char* ChildStepName(ChildStep step) {
  switch (step) {
    case ChildStep::kAffinity: return "sched_setaffinity";
    case ChildStep::kStdin: return "open stdin";
    case ChildStep::kStdout: return "open stdout";
    case ChildStep::kStderr: return "open stderr";
    case ChildStep::kExec: return "exec";
  }
  return "start";
}

// Child side: tells the parent which step failed and with which errno, then exits.
[[noreturn]] void ReportChildFailure(int report_fd, ChildStep step) {
  ChildFailure failure{step, errno};
  [[maybe_unused]] ssize_t written = write(report_fd, &failure, sizeof failure);
  _exit(127);
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(char* const* argv, bool pin, const cpu_set_t& cpus, const char* in_path,
                            const char* out_path, const char* err_path, int report_fd) {
  if (pin && sched_setaffinity(0, sizeof cpus, &cpus) != 0) {
    ReportChildFailure(report_fd, ChildStep::kAffinity);
  }
  struct Redirect {
    const char* path;
    int flags;
    int target_fd;
    ChildStep step;
  };
  const Redirect redirects[] = {
      {in_path, O_RDONLY, STDIN_FILENO, ChildStep::kStdin},
      {out_path, O_WRONLY | O_CREAT | O_TRUNC, STDOUT_FILENO, ChildStep::kStdout},
      {err_path, O_WRONLY | O_CREAT | O_TRUNC, STDERR_FILENO, ChildStep::kStderr},
  };
  for (const Redirect& redirect : redirects) {
    int fd = open(redirect.path, redirect.flags | O_CLOEXEC, 0644);
    if (fd < 0) ReportChildFailure(report_fd, redirect.step);
    // dup2 onto itself would keep O_CLOEXEC, so clear the flag in that case.
    const bool redirected = fd == redirect.target_fd ? fcntl(fd, F_SETFD, 0) == 0
                                                     : dup2(fd, redirect.target_fd) >= 0;
    if (!redirected) ReportChildFailure(report_fd, redirect.step);
  }
  execv(argv[0], argv);
  ReportChildFailure(report_fd, ChildStep::kExec);
}

// Last `max_bytes` of a file as one line, its lines joined by " | " ("" when unreadable).
std::string TailAsOneLine(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  std::istringstream lines(text);
  std::string joined;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    joined += (joined.empty() ? "" : " | ") + line;
  }
  return joined;
}

const char* PathOrDevNull(const std::string& path) {
  return path.empty() ? "/dev/null" : path.c_str();
}

}  // namespace

std::string FormatCommand(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& arg : argv) {
    if (!text.empty()) text += ' ';
    text += arg;
  }
  return text;
}

StatusOr<double> RunPinnedTimed(const ProcessSpec& spec, int cpu) {
  if (spec.argv.empty()) return InvalidArgument("empty command line");
  if (cpu != kUnpinned && (cpu < 0 || cpu >= CPU_SETSIZE)) {
    return InvalidArgument("no such CPU core: " + std::to_string(cpu));
  }
  std::vector<char*> argv;
  for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (cpu != kUnpinned) CPU_SET(cpu, &cpus);
  int report_pipe[2];
  if (pipe2(report_pipe, O_CLOEXEC) != 0) return ErrnoError("pipe", errno);

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    ExecChild(argv.data(), cpu != kUnpinned, cpus, PathOrDevNull(spec.stdin_path), PathOrDevNull(spec.stdout_path),
              PathOrDevNull(spec.stderr_path), report_pipe[1]);
  }
  const int fork_errno = errno;
  close(report_pipe[1]);
  if (pid < 0) {
    close(report_pipe[0]);
    return ErrnoError("fork", fork_errno);
  }
  // Blocks until exec succeeds (pipe closed by O_CLOEXEC) or the child reports a failure.
  ChildFailure failure{};
  ssize_t report_bytes;
  do {
    report_bytes = read(report_pipe[0], &failure, sizeof failure);
  } while (report_bytes < 0 && errno == EINTR);
  close(report_pipe[0]);
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return ErrnoError("waitpid", errno);
  }
  const auto end = std::chrono::steady_clock::now();

  const std::string command = FormatCommand(spec.argv);
  if (report_bytes == static_cast<ssize_t>(sizeof failure)) {
    return ErrnoError(command + ": " + ChildStepName(failure.step), failure.errno_value);
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    std::ostringstream message;
    message << command << ": ";
    if (WIFSIGNALED(wait_status)) {
      message << "killed by signal " << WTERMSIG(wait_status);
    } else {
      message << "exited with status " << WEXITSTATUS(wait_status);
    }
    if (!spec.stderr_path.empty()) {
      const std::string stderr_tail = TailAsOneLine(spec.stderr_path, 400);
      if (!stderr_tail.empty()) message << ": " << stderr_tail;
    }
    return IoError(message.str());
  }
  return std::chrono::duration<double>(end - start).count();
}

StatusOr<std::string> CurrentExecutablePath() {
  char path[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length <= 0) return ErrnoError("cannot locate the running executable (/proc/self/exe)", errno);
  return std::string(path, static_cast<size_t>(length));
}

bool IsExecutableFile(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

std::optional<std::string> FindExecutableOnPath(const std::string& name) {
  const char* path_env = std::getenv("PATH");
  if (path_env == nullptr) return std::nullopt;
  std::istringstream directories{std::string(path_env)};
  std::string directory;
  while (std::getline(directories, directory, ':')) {
    if (directory.empty()) continue;  // an empty entry (cwd) is not trusted
    const std::string candidate = directory + "/" + name;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return std::nullopt;
}

StatusOr<int> ChooseBenchCpu(int requested) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    return ErrnoError("sched_getaffinity", errno);
  }
  if (requested >= 0) {
    if (requested >= CPU_SETSIZE || !CPU_ISSET(requested, &allowed)) {
      return InvalidArgument("--cpu " + std::to_string(requested) +
                             ": core is offline or not in this process's affinity mask");
    }
    return requested;
  }
  if (requested != -1) return InvalidArgument("--cpu must be a core number or -1 (last core)");
  for (int cpu = CPU_SETSIZE - 1; cpu >= 0; --cpu) {
    if (CPU_ISSET(cpu, &allowed)) return cpu;
  }
  return Internal("empty CPU affinity mask");
}

}  // namespace lmarc
