// The compressors `lmarc bench` compares: lmarc's own codecs and peer tools
// (zstd, xz, bzip3, brotli), each described by the command lines that
// compress an input file and restore it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "jobs/bench_process.h"
#include "jobs/bench_report.h"
#include "src/status.h"

namespace lmarc {

// Arguments after the executable = {}; the placeholders {in}, {out} and {dir} are
// replaced by paths. When `writes_stdout` is set the output goes to {out}
// through the child's standard output instead of an argument.
struct CommandTemplate {
  std::vector<std::string> args = {};
  bool writes_stdout = false;
};

struct BenchMethod {
  std::string name = {};               // e.g. "lmarc-cm-5", "xz-9e"
  std::string tool = {};               // executable name, e.g. "lmarc", "xz"
  std::string executable = {};         // full path of the tool
  std::string compressed_suffix = {};  // file name suffix of the compressed output
  CommandTemplate compress = {};       // {in}: input file, {out}: compressed file
  // {in}: compressed file, {out}: restored file, {dir}: restore directory
  CommandTemplate decompress = {};
  // lmarc restores the input's last path component under {dir}; peers write {out}.
  bool restores_input_name = false;
  // A peer whose decoder is another program (wvunpack, dwebp, djxl, pngtopnm):
  // its full path; empty: `executable` decodes too.
  std::string decompress_executable = {};
  // Appended to {out} of decompression, for decoders that choose the output
  // format by the file name (djxl: ".pgm"/".ppm").
  std::string restored_suffix = {};
};

struct MethodSelection {
  std::vector<BenchMethod> methods;        // runnable, in the requested order
  std::vector<std::string> missing_peers;  // tool names not found on PATH
};

// Method names used when none are requested: lmarc-cm-1, lmarc-cm-5,
// lmarc-cm-9, lmarc-zstd-5, zstd-19, xz-9e, bzip3, brotli-11.
std::vector<std::string> DefaultMethodNames();

// Resolves method names ("lmarc-cm-N" and "lmarc-zstd-N" with N in 1..9,
// "lmarc-stored", or a peer name) to runnable methods. `names` empty selects
// DefaultMethodNames(). Peers are looked up on $PATH; absent ones are listed
// in missing_peers. `probe_dir` holds scratch files of tool option probes.
[[nodiscard]] StatusOr<MethodSelection> SelectMethods(const std::vector<std::string>& names,
                                                      const std::string& lmarc_binary,
                                                      const std::string& probe_dir);

// Where `method` leaves the restored copy of `input` inside `restore_dir`.
std::string RestoredPath(const BenchMethod& method, const std::string& input,
                         const std::string& restore_dir);

// Command lines of one compression and one decompression; `stderr_path`
// receives the tool's diagnostics.
ProcessSpec CompressSpec(const BenchMethod& method, const std::string& input,
                         const std::string& compressed, const std::string& stderr_path);
ProcessSpec DecompressSpec(const BenchMethod& method, const std::string& input,
                           const std::string& compressed, const std::string& restore_dir,
                           const std::string& stderr_path);

// Whether a restored file equals its input (default: byte for byte).
using SameCheck = std::function<StatusOr<bool>(const std::string& input, const std::string& restored)>;

// Compresses and restores `input` with `method` `runs` times, pinned to
// `cpu`, checking every restored copy with `same`; returns the compressed
// size and median seconds. Scratch files go to `work_dir`.
[[nodiscard]] StatusOr<BenchMeasurement> MeasureMethod(const BenchMethod& method,
                                                       const std::string& input, uint64_t raw_bytes,
                                                       int runs, int cpu, const std::string& work_dir,
                                                       const SameCheck& same = {});

}  // namespace lmarc
