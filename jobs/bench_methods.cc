#include "jobs/bench_methods.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "jobs/job_files.h"

namespace lmarc {
namespace fs = std::filesystem;
namespace {

// Peer tools at their strongest common settings, single-threaded.
std::vector<BenchMethod> PeerCatalogue() {
  return {
      {.name = "zstd-19",
       .tool = "zstd",
       .compressed_suffix = ".zst",
       .compress = {{"-19", "-T1", "-q", "-f", "{in}", "-o", "{out}"}},
       .decompress = {{"-d", "-q", "-f", "{in}", "-o", "{out}"}}},
      {.name = "xz-9e",
       .tool = "xz",
       .compressed_suffix = ".xz",
       .compress = {{"-9e", "-T1", "-c", "{in}"}, true},
       .decompress = {{"-d", "-T1", "-c", "{in}"}, true}},
      {.name = "bzip3",
       .tool = "bzip3",
       .compressed_suffix = ".bz3",
       .compress = {{"-e", "-j", "1", "-c", "{in}"}, true},
       .decompress = {{"-d", "-j", "1", "-c", "{in}"}, true}},
      {.name = "brotli-11",
       .tool = "brotli",
       .compressed_suffix = ".br",
       .compress = {{"-q", "11", "-f", "-o", "{out}", "{in}"}},
       .decompress = {{"-d", "-f", "-o", "{out}", "{in}"}}},
  };
}

// "lmarc-cm-5" → method running `lmarc compress --codec cm --level 5`;
// "lmarc-nn-5-ablation" → the nn codec at level 5 without its transformer
// (`--model none`); nullopt when `name` is not an lmarc method name.
std::optional<BenchMethod> ParseLmarcMethod(const std::string& name) {
  std::vector<std::string> compress_args = {"compress", "{in}", "-o", "{out}"};
  if (name == "lmarc-stored") {
    compress_args.insert(compress_args.end(), {"--codec", "stored"});
  } else {
    bool parsed = false;
    const std::string ablation = "-ablation";
    const bool is_ablation = name.starts_with("lmarc-nn-") && name.ends_with(ablation);
    const std::string base = is_ablation ? name.substr(0, name.size() - ablation.size()) : name;
    for (const std::string codec : {"nn", "cm", "zstd"}) {
      const std::string prefix = "lmarc-" + codec + "-";
      if (base.size() == prefix.size() + 1 && base.starts_with(prefix) && base.back() >= '1' &&
          base.back() <= '9') {
        compress_args.insert(compress_args.end(),
                             {"--codec", codec, "--level", std::string(1, base.back())});
        if (is_ablation) compress_args.insert(compress_args.end(), {"--model", "none"});
        parsed = true;
      }
    }
    if (!parsed) return std::nullopt;
  }
  compress_args.insert(compress_args.end(), {"-f", "--quiet", "--threads", "1"});
  return BenchMethod{.name = name,
                     .tool = "lmarc",
                     .compressed_suffix = ".lmarc.h5",
                     .compress = {compress_args},
                     .decompress = {{"decompress", "{in}", "-o", "{dir}", "-f", "--quiet"}},
                     .restores_input_name = true};
}

// bzip3 offers -j only when built with thread support; its help says so.
bool Bzip3HasJobsOption(const std::string& executable, const std::string& probe_dir) {
  const std::string help_path = probe_dir + "/bzip3-help.txt";
  const ProcessSpec probe{.argv = {executable, "--help"}, .stdout_path = help_path};
  // The exit status of --help differs between versions; only the text counts.
  (void)RunPinnedTimed(probe, kUnpinned).ok();
  std::ifstream help_file(help_path);
  const std::string help((std::istreambuf_iterator<char>(help_file)),
                         std::istreambuf_iterator<char>());
  return help.find("--jobs") != std::string::npos;
}

void RemoveOption(CommandTemplate& command, const std::string& option) {
  auto it = std::find(command.args.begin(), command.args.end(), option);
  if (it != command.args.end()) command.args.erase(it, it + 2);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::vector<std::string> Substitute(const CommandTemplate& command, const std::string& executable,
                                    const std::string& in, const std::string& out,
                                    const std::string& dir) {
  std::vector<std::string> argv = {executable};
  for (const std::string& arg : command.args) {
    if (arg == "{in}") {
      argv.push_back(in);
    } else if (arg == "{out}") {
      argv.push_back(out);
    } else if (arg == "{dir}") {
      argv.push_back(dir);
    } else {
      argv.push_back(arg);
    }
  }
  return argv;
}

// Empties (or creates) `path` so every decompression writes into a clean directory.
Status ResetDirectory(const std::string& path) {
  std::error_code error;
  fs::remove_all(path, error);
  if (!error) fs::create_directory(path, error);
  if (error) return IoError(path + ": " + error.message());
  return Status::Ok();
}

}  // namespace

StatusOr<BenchMeasurement> MeasureMethod(const BenchMethod& method, const std::string& input,
                                         uint64_t raw_bytes, int runs, int cpu,
                                         const std::string& work_dir, const SameCheck& same) {
  const std::string context = method.name + ": " + input;
  const std::string compressed = work_dir + "/compressed" + method.compressed_suffix;
  const std::string restore_dir = work_dir + "/restore";
  const std::string restored = RestoredPath(method, input, restore_dir);
  const std::string stderr_path = work_dir + "/tool-stderr.txt";
  std::vector<double> compress_seconds, decompress_seconds;
  for (int run = 0; run < runs; ++run) {
    std::error_code ignored;
    fs::remove(compressed, ignored);
    StatusOr<double> seconds =
        RunPinnedTimed(CompressSpec(method, input, compressed, stderr_path), cpu);
    if (!seconds.ok()) return seconds.status().WithContext(context + ": compress");
    compress_seconds.push_back(*seconds);

    RETURN_IF_ERROR(ResetDirectory(restore_dir));
    seconds = RunPinnedTimed(DecompressSpec(method, input, compressed, restore_dir, stderr_path),
                             cpu);
    if (!seconds.ok()) return seconds.status().WithContext(context + ": decompress");
    decompress_seconds.push_back(*seconds);

    if (!fs::is_regular_file(restored)) {
      return Corrupt(context + ": decompression wrote no file " + restored);
    }
    ASSIGN_OR_RETURN(const bool equal, same ? same(input, restored) : SameContents(input, restored));
    if (!equal) return Corrupt(context + ": decompressed output differs from the input");
  }
  ASSIGN_OR_RETURN(const uint64_t compressed_bytes, FileBytes(compressed));
  return BenchMeasurement{.file = input,
                          .method = method.name,
                          .raw_bytes = raw_bytes,
                          .compressed_bytes = compressed_bytes,
                          .compress_seconds = MedianSeconds(compress_seconds),
                          .decompress_seconds = MedianSeconds(decompress_seconds)};
}


std::vector<std::string> DefaultMethodNames() {
  std::vector<std::string> names = {"lmarc-nn-1", "lmarc-nn-5",  "lmarc-nn-9",  "lmarc-nn-5-ablation",
                                    "lmarc-cm-1", "lmarc-cm-5",  "lmarc-cm-9",  "lmarc-zstd-5"};
  for (const BenchMethod& peer : PeerCatalogue()) names.push_back(peer.name);
  return names;
}

StatusOr<MethodSelection> SelectMethods(const std::vector<std::string>& names,
                                        const std::string& lmarc_binary,
                                        const std::string& probe_dir) {
  const std::vector<std::string> requested = names.empty() ? DefaultMethodNames() : names;
  const std::vector<BenchMethod> peers = PeerCatalogue();
  MethodSelection selection;
  for (const std::string& name : requested) {
    for (const BenchMethod& chosen : selection.methods) {
      if (chosen.name == name) return InvalidArgument("method listed twice: " + name);
    }
    if (std::optional<BenchMethod> lmarc_method = ParseLmarcMethod(name)) {
      if (!IsExecutableFile(lmarc_binary)) {
        return NotFound("lmarc binary is not an executable file: " + lmarc_binary);
      }
      lmarc_method->executable = lmarc_binary;
      selection.methods.push_back(*lmarc_method);
      continue;
    }
    auto peer = std::find_if(peers.begin(), peers.end(),
                             [&](const BenchMethod& candidate) { return candidate.name == name; });
    if (peer == peers.end()) {
      std::vector<std::string> peer_names;
      for (const BenchMethod& known : peers) peer_names.push_back(known.name);
      return InvalidArgument("unknown bench method '" + name +
                             "' (known: lmarc-nn-1..9, lmarc-nn-1..9-ablation, lmarc-cm-1..9, lmarc-zstd-1..9, lmarc-stored, " +
                             JoinNames(peer_names) + ")");
    }
    std::optional<std::string> executable = FindExecutableOnPath(peer->tool);
    if (!executable) {
      selection.missing_peers.push_back(peer->tool);
      continue;
    }
    BenchMethod method = *peer;
    method.executable = *executable;
    if (method.tool == "bzip3" && !Bzip3HasJobsOption(method.executable, probe_dir)) {
      RemoveOption(method.compress, "-j");
      RemoveOption(method.decompress, "-j");
    }
    selection.methods.push_back(method);
  }
  return selection;
}

std::string RestoredPath(const BenchMethod& method, const std::string& input,
                         const std::string& restore_dir) {
  if (method.restores_input_name) {
    return restore_dir + "/" + std::filesystem::path(input).filename().string();
  }
  return restore_dir + "/restored" + method.restored_suffix;
}

ProcessSpec CompressSpec(const BenchMethod& method, const std::string& input,
                         const std::string& compressed, const std::string& stderr_path) {
  ProcessSpec spec{.argv = Substitute(method.compress, method.executable, input, compressed, ""),
                   .stderr_path = stderr_path};
  if (method.compress.writes_stdout) spec.stdout_path = compressed;
  return spec;
}

ProcessSpec DecompressSpec(const BenchMethod& method, const std::string& input,
                           const std::string& compressed, const std::string& restore_dir,
                           const std::string& stderr_path) {
  const std::string restored = RestoredPath(method, input, restore_dir);
  ProcessSpec spec{
      .argv = Substitute(method.decompress,
                         method.decompress_executable.empty() ? method.executable
                                                              : method.decompress_executable,
                         compressed, restored, restore_dir),
      .stderr_path = stderr_path};
  if (method.decompress.writes_stdout) spec.stdout_path = restored;
  return spec;
}

}  // namespace lmarc
