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
#include "src/byte_order.h"
#include "src/byte_reader.h"
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

// Files one helper process parses (one process per file would cost ~17 ms
// each on trees of thousands of HDF5 files).
constexpr size_t kFilesPerHelper = 64;

struct HelperFile {
  std::string path;
  uint64_t bytes = 0;
};

// Runs one helper on `files` and collects its standard output; a failure
// of the helper (start, signal, exit status, timeout, too much output) is
// the returned error, with whatever output came before it.
Status RunHelper(const std::vector<HelperFile>& files, const ArrayScanOptions& options,
                 std::vector<uint8_t>* output) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoError("pipe", errno);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  const int seconds = options.timeout_seconds * static_cast<int>(files.size());
  std::vector<std::string> args = {options.helper, kArrayLocatorCommand,
                                   std::to_string(options.memory_limit_bytes), std::to_string(seconds)};
  for (const HelperFile& file : files) {
    args.push_back(file.path);
    args.push_back(std::to_string(file.bytes));
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // A clean environment: no MPI/PMIx/Slurm variables (the helper must never
  // join the job) and no HDF5 plugin path (no third-party filter code).
  const char* envp[] = {"LC_ALL=C", nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, options.helper.c_str(), &actions, nullptr, argv.data(),
                                  const_cast<char* const*>(envp));
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return ErrnoError("starting the array helper " + options.helper, spawned);
  write_end = UniqueFd();

  const double deadline = MonotonicSeconds() + seconds;
  std::string failure;
  for (;;) {
    const double left = deadline - MonotonicSeconds();
    if (left <= 0) {
      failure = "timed out after " + std::to_string(seconds) + " s";
      break;
    }
    pollfd poll_fd{read_end.get(), POLLIN, 0};
    const int ready = poll(&poll_fd, 1, static_cast<int>(left * 1000) + 1);
    if (ready <= 0) continue;  // EINTR or not yet: the deadline decides
    uint8_t buffer[65536];
    const ssize_t n = read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of output
    if (output->size() + static_cast<size_t>(n) > kMaxHelperOutputBytes) {
      failure = "more than " + std::to_string(kMaxHelperOutputBytes) + " bytes of output";
      break;
    }
    output->insert(output->end(), buffer, buffer + n);
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
  return Status::Ok();
}

// The helper's answer for `files`: per file, u8 ok, u64 length, then
// AppendRegions bytes (ok) or a message. Results for the files it answered
// completely; a helper that failed or answered for fewer files has its
// remaining files parsed one helper each, so a crash is pinned to its file.
std::vector<StatusOr<std::vector<TypedRegion>>> LocateInHelpers(const std::vector<HelperFile>& files,
                                                                const ArrayScanOptions& options) {
  std::vector<uint8_t> output;
  Status status = RunHelper(files, options, &output);
  std::vector<StatusOr<std::vector<TypedRegion>>> results;
  ByteReader in(output, "array helper output");
  while (results.size() < files.size()) {
    uint8_t ok = 0;
    uint64_t length = 0;
    const uint8_t* bytes = nullptr;
    if (!in.U8("status", &ok).ok() || !in.U64("length", &length).ok() ||
        length > output.size() || !in.Bytes(length, "answer", &bytes).ok() || ok > 1) {
      break;
    }
    const std::span<const uint8_t> answer(bytes, length);
    if (ok == 0) {
      results.push_back(Corrupt(std::string(answer.begin(), answer.end())));
      continue;
    }
    StatusOr<std::vector<TypedRegion>> regions = ParseRegions(answer);
    if (regions.ok()) {
      const Status checked = CheckRegions(*regions, files[results.size()].bytes);
      if (!checked.ok()) regions = checked.WithContext("array helper");
    }
    results.push_back(std::move(regions));
  }
  if (results.size() < files.size()) {
    if (status.ok()) status = Corrupt("array helper answered for " + std::to_string(results.size()) +
                                      " of " + std::to_string(files.size()) + " files");
    if (files.size() == 1) {
      results.push_back(status);
    } else {
      for (size_t i = results.size(); i < files.size(); ++i) {
        results.push_back(std::move(LocateInHelpers({files[i]}, options)[0]));
      }
    }
  }
  return results;
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
  // Per row: regions found in this process at once, HDF5 files through the
  // helper in batches.
  std::vector<std::vector<TypedRegion>> by_row(tree.entries.size());
  std::vector<size_t> helper_rows;
  const auto accept = [&](size_t row, StatusOr<std::vector<TypedRegion>> regions) {
    if (!regions.ok()) {
      Warn(tree.sources[row].source_path + ": arrays not located (" + regions.status().message() +
           "); stored as bytes");
      return;
    }
    for (TypedRegion& region : *regions) region.entry = row;
    by_row[row] = std::move(*regions);
  };
  for (size_t row = 0; row < tree.entries.size(); ++row) {
    const FileEntry& entry = tree.entries[row];
    if (entry.kind != EntryKind::kRegular || entry.size < kMinTypedRegionBytes) continue;
    const std::string& path = tree.sources[row].source_path;
    if (options.raw.has_value()) {
      accept(row, LocateArraysInFile(path, entry.size, &*options.raw));
    } else if (options.helper.empty() || !HasHdf5Signature(path, entry.size)) {
      accept(row, LocateArraysInFile(path, entry.size, nullptr));
    } else {
      helper_rows.push_back(row);
    }
  }
  for (size_t first = 0; first < helper_rows.size(); first += kFilesPerHelper) {
    const size_t end = std::min(helper_rows.size(), first + kFilesPerHelper);
    std::vector<HelperFile> files;
    for (size_t i = first; i < end; ++i) {
      files.push_back({tree.sources[helper_rows[i]].source_path, tree.entries[helper_rows[i]].size});
    }
    std::vector<StatusOr<std::vector<TypedRegion>>> results = LocateInHelpers(files, options);
    for (size_t i = first; i < end; ++i) accept(helper_rows[i], std::move(results[i - first]));
  }
  std::vector<TypedRegion> all;
  for (std::vector<TypedRegion>& regions : by_row) {
    for (TypedRegion& region : regions) all.push_back(std::move(region));
  }
  return all;
}

int RunArrayLocatorHelper(int argc, const char* const* argv) {
  uint64_t memory = 0, cpu_seconds = 0;
  if (argc < 6 || argc % 2 != 0 || std::strcmp(argv[1], kArrayLocatorCommand) != 0 ||
      !ParseU64(argv[2], &memory) || !ParseU64(argv[3], &cpu_seconds)) {
    std::fprintf(stderr, "usage: lmarc %s MEMORY_BYTES CPU_SECONDS (PATH FILE_BYTES)...\n",
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
  for (int i = 4; i + 1 < argc; i += 2) {
    uint64_t file_bytes = 0;
    std::vector<uint8_t> answer;
    bool ok = false;
    if (!ParseU64(argv[i + 1], &file_bytes)) {
      const std::string message = "bad file size argument";
      answer.assign(message.begin(), message.end());
    } else if (StatusOr<std::vector<TypedRegion>> regions = LocateArraysInFile(argv[i], file_bytes, nullptr);
               regions.ok()) {
      AppendRegions(*regions, &answer);
      ok = true;
    } else {
      const std::string& message = regions.status().message();
      answer.assign(message.begin(), message.end());
    }
    std::vector<uint8_t> record = {static_cast<uint8_t>(ok ? 1 : 0)};
    AppendLe64(answer.size(), &record);
    record.insert(record.end(), answer.begin(), answer.end());
    // Each answer leaves before the next file is parsed: a later crash keeps it.
    if (std::fwrite(record.data(), 1, record.size(), stdout) != record.size() || std::fflush(stdout) != 0) {
      return 1;
    }
  }
  return 0;
}

}  // namespace lmarc
