#include "io/array_scan.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <hdf5.h>

#include "io/netcdf3_header.h"
#include "io/unique_fd.h"
#include "src/progress.h"

namespace lmarc {
namespace {

// The helper's answer is at most this long (a region is < 200 bytes; a file
// with more tiles than this allows is stored as bytes).
constexpr size_t kMaxHelperOutputBytes = size_t{64} << 20;

double MonotonicSeconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Runs the helper on one file and returns its regions; any failure of the
// helper is an error describing it.
StatusOr<std::vector<TypedRegion>> LocateInHelper(const std::string& path, uint64_t file_bytes,
                                                  const ArrayScanOptions& options) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoError("pipe", errno);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  const std::string bytes_arg = std::to_string(file_bytes);
  const std::string memory_arg = std::to_string(options.memory_limit_bytes);
  const std::string cpu_arg = std::to_string(options.timeout_seconds);
  const char* argv[] = {options.helper.c_str(), kArrayLocatorCommand, path.c_str(),
                        bytes_arg.c_str(),      memory_arg.c_str(),   cpu_arg.c_str(), nullptr};
  // A clean environment: no MPI/PMIx/Slurm variables (the helper must never
  // join the job) and no HDF5 plugin path (no third-party filter code).
  const char* envp[] = {"LC_ALL=C", nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, options.helper.c_str(), &actions, nullptr,
                                  const_cast<char* const*>(argv), const_cast<char* const*>(envp));
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return ErrnoError("starting the array helper " + options.helper, spawned);
  write_end = UniqueFd();

  std::vector<uint8_t> output;
  const double deadline = MonotonicSeconds() + options.timeout_seconds;
  std::string failure;
  for (;;) {
    const double left = deadline - MonotonicSeconds();
    if (left <= 0) {
      failure = "timed out after " + std::to_string(options.timeout_seconds) + " s";
      break;
    }
    pollfd poll_fd{read_end.get(), POLLIN, 0};
    const int ready = poll(&poll_fd, 1, static_cast<int>(left * 1000) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    uint8_t buffer[65536];
    const ssize_t n = read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of output
    if (output.size() + static_cast<size_t>(n) > kMaxHelperOutputBytes) {
      failure = "more than " + std::to_string(kMaxHelperOutputBytes) + " bytes of output";
      break;
    }
    output.insert(output.end(), buffer, buffer + n);
  }
  if (!failure.empty()) kill(pid, SIGKILL);
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (!failure.empty()) return ResourceLimit("array helper " + failure);
  if (WIFSIGNALED(wait_status)) {
    return Internal("array helper killed by signal " + std::to_string(WTERMSIG(wait_status)) +
                    " (" + strsignal(WTERMSIG(wait_status)) + ")");
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    return Corrupt("array helper failed (exit status " +
                   std::to_string(WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1) + ")");
  }
  return ParseRegions(output);
}

// The same checks LocateArraysInFile applies, on regions from the helper.
Status CheckRegions(const std::vector<TypedRegion>& regions, uint64_t file_bytes) {
  for (size_t i = 0; i < regions.size(); ++i) {
    const TypedRegion& r = regions[i];
    if (r.bytes() < kMinTypedRegionBytes || r.offset > file_bytes ||
        r.bytes() > file_bytes - r.offset ||
        (i > 0 && regions[i - 1].offset + regions[i - 1].bytes() > r.offset)) {
      return Corrupt("array helper reported regions that overlap or leave the file");
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<TypedRegion>> LocateOne(const std::string& path, uint64_t file_bytes,
                                             const ArrayScanOptions& options) {
  if (options.raw.has_value()) return LocateArraysInFile(path, file_bytes, &*options.raw);
  if (options.helper.empty() || !HasHdf5Signature(path, file_bytes)) {
    return LocateArraysInFile(path, file_bytes, nullptr);
  }
  ASSIGN_OR_RETURN(std::vector<TypedRegion> regions, LocateInHelper(path, file_bytes, options));
  RETURN_IF_ERROR(CheckRegions(regions, file_bytes));
  return regions;
}

bool ParseU64(const char* text, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0') return false;
  *out = value;
  return true;
}

}  // namespace

std::vector<TypedRegion> FindTypedRegions(const ScannedTree& tree,
                                          const ArrayScanOptions& options) {
  std::vector<TypedRegion> all;
  for (size_t row = 0; row < tree.entries.size(); ++row) {
    const FileEntry& entry = tree.entries[row];
    if (entry.kind != EntryKind::kRegular || entry.size < kMinTypedRegionBytes) continue;
    const std::string& path = tree.sources[row].source_path;
    StatusOr<std::vector<TypedRegion>> regions = LocateOne(path, entry.size, options);
    if (!regions.ok()) {
      Warn(path + ": arrays not located (" + regions.status().message() + "); stored as bytes");
      continue;
    }
    for (TypedRegion& region : *regions) {
      region.entry = row;
      all.push_back(std::move(region));
    }
  }
  return all;
}

int RunArrayLocatorHelper(int argc, const char* const* argv) {
  uint64_t file_bytes = 0, memory = 0, cpu_seconds = 0;
  if (argc != 6 || std::strcmp(argv[1], kArrayLocatorCommand) != 0 ||
      !ParseU64(argv[3], &file_bytes) || !ParseU64(argv[4], &memory) ||
      !ParseU64(argv[5], &cpu_seconds)) {
    std::fprintf(stderr, "usage: lmarc %s PATH FILE_BYTES MEMORY_BYTES CPU_SECONDS\n",
                 kArrayLocatorCommand);
    return 1;
  }
  const rlimit address_space{memory, memory};
  const rlimit cpu{cpu_seconds, cpu_seconds};
  const rlimit no_core{0, 0};
  // AddressSanitizer reserves terabytes of address space for its shadow
  // memory: sanitizer builds (tests only) run the helper without RLIMIT_AS.
#if defined(__SANITIZE_ADDRESS__)
  const bool limit_address_space = false;
#else
  const bool limit_address_space = true;
#endif
  if ((limit_address_space && setrlimit(RLIMIT_AS, &address_space) != 0) ||
      setrlimit(RLIMIT_CPU, &cpu) != 0 || setrlimit(RLIMIT_CORE, &no_core) != 0) {
    std::perror("lmarc: array helper: setrlimit");
    return 1;
  }
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // no HDF5 error stacks on stderr
  StatusOr<std::vector<TypedRegion>> regions = LocateArraysInFile(argv[2], file_bytes, nullptr);
  if (!regions.ok()) {
    std::fprintf(stderr, "lmarc: array helper: %s\n", regions.status().message().c_str());
    return 1;
  }
  std::vector<uint8_t> bytes;
  AppendRegions(*regions, &bytes);
  return std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size() && std::fflush(stdout) == 0
             ? 0
             : 1;
}

}  // namespace lmarc
