// The `lmarc` executable: parses the command line (Boost.Program_options)
// and hands over to one job runner per subcommand. Exit codes: 0 success,
// 1 failure (one "lmarc: error: ..." line on stderr), 2 usage error.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <climits>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "io/array_scan.h"
#include "jobs/bench_job.h"
#include "jobs/bench_process.h"
#include "jobs/compress_job.h"
#include "jobs/decompress_job.h"
#include "jobs/scaling_job.h"
#include "model/nn/kernel_selftest.h"
#include "model/nn/nn_codec.h"
#include "mpi/runtime.h"
#include "src/version.h"

namespace po = boost::program_options;

namespace lmarc {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "usage: lmarc COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  compress PATH... -o ARCHIVE   archive files and directory trees\n"
    "  decompress ARCHIVE -o DIR     restore every entry below DIR\n"
    "  extract ARCHIVE --path P [--range OFF:LEN] [-o FILE|-]\n"
    "  extract ARCHIVE --chunks 3,7-9 [-o FILE|-]\n"
    "                                decode only the chunks needed\n"
    "  list ARCHIVE                  files, chunk table and codec summary\n"
    "  verify ARCHIVE [--quick]      check every checksum (quick: without decoding)\n"
    "  bench PATH...                 compare lmarc with peer compressors\n"
    "  scaling PATH...               time compress under mpirun at 1..N ranks\n"
    "  version                       print the version\n"
    "\n"
    "Run 'lmarc COMMAND --help' for the options of a command; 'lmarc COMMAND\n"
    "--config FILE' reads options from FILE (key = value, long option names).\n";

struct UsageError {
  std::string message;
};

// Options every command accepts.
po::options_description CommonOptions() {
  po::options_description common("common options");
  common.add_options()("help,h", "show this help")("quiet,q", "no progress or summary output")(
      "progress", "show progress on stderr even when it is not a terminal")(
      "config", po::value<std::string>(), "read options from FILE: 'key = value' lines, long option names");
  return common;
}

// Adds the options of a --config file (Boost.Program_options syntax: `key =
// value`, long option names, `#` comments; the positional key, e.g. `input =
// PATH`, may repeat) to `vm`. po::store keeps values already stored, so the
// command line wins. A flag takes `true` or `false` here, not just presence.
void StoreConfigFile(const std::string& path, const po::options_description& all,
                     po::variables_map* vm) {
  std::ifstream file(path);
  if (!file) throw UsageError{"cannot read config file '" + path + "'"};
  po::parsed_options parsed = po::parse_config_file(file, all);
  std::erase_if(parsed.options, [&](const po::option& option) {
    if (all.find(option.string_key, false).semantic()->max_tokens() != 0) return false;
    const std::string value = option.value.empty() ? "" : option.value.front();
    if (value == "true" || value == "yes" || value == "on" || value == "1") return false;
    if (value == "false" || value == "no" || value == "off" || value == "0") return true;
    throw UsageError{path + ": '" + option.string_key + "' takes true or false, not '" + value + "'"};
  });
  po::store(parsed, *vm);
}

po::variables_map Parse(const std::vector<std::string>& args, const po::options_description& visible,
                        const char* positional_name, int positional_max) {
  po::positional_options_description positional;
  positional.add(positional_name, positional_max);
  po::options_description all;
  all.add(visible).add_options()(positional_name, po::value<std::vector<std::string>>(), "");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  if (vm.count("config")) StoreConfigFile(vm["config"].as<std::string>(), all, &vm);
  po::notify(vm);
  return vm;
}

std::vector<std::string> Positionals(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

std::string OnlyArchive(const po::variables_map& vm) {
  const auto archives = Positionals(vm, "archive");
  if (archives.size() != 1) throw UsageError{"expected exactly one ARCHIVE"};
  return archives[0];
}

bool WantsHelp(const po::variables_map& vm, const po::options_description& options,
               const char* synopsis) {
  if (!vm.count("help")) return false;
  std::cout << "usage: lmarc " << synopsis << "\n\n" << options;
  return true;
}

Reporting ReportingFrom(const po::variables_map& vm) {
  return MakeReporting(vm.count("progress") > 0, vm.count("quiet") > 0);
}

// Parses "4MiB", "512k", "1048576" into bytes.
uint64_t ParseSize(const std::string& text) {
  size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    throw UsageError{"invalid size '" + text + "'"};
  }
  const std::string unit = text.substr(used);
  int shift = 0;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "k" || unit == "K" || unit == "KiB") shift = 10;
  else if (unit == "m" || unit == "M" || unit == "MiB") shift = 20;
  else if (unit == "g" || unit == "G" || unit == "GiB") shift = 30;
  else throw UsageError{"invalid size unit in '" + text + "' (use B, KiB, MiB, GiB)"};
  if (value > (ULLONG_MAX >> shift)) throw UsageError{"size '" + text + "' too large"};
  return static_cast<uint64_t>(value) << shift;
}

Status Compress(const std::vector<std::string>& args) {
  CompressOptions o;
  std::string chunk_size = "4MiB";
  std::string arrays = "auto", dtype, shape, offset;
  po::options_description opts("compress options");
  opts.add_options()("output,o", po::value(&o.output), "archive to write (ARCHIVE.partial until complete)")(
      "force,f", "overwrite an existing archive")(
      "chunk-size", po::value(&chunk_size)->default_value(chunk_size), "chunk size (B, KiB, MiB, GiB)")(
      "level,l", po::value(&o.level)->default_value(o.level), "compression level 1 (fast) .. 9 (best)")(
      "codec", po::value(&o.codec)->default_value(o.codec), "codec: nn, cm, zstd or stored")(
      "model", po::value(&o.model), "nn model: a model id, or none (no transformer); default: the shipped model")(
      "threads,T", po::value(&o.threads)->default_value(o.threads), "compression threads per rank")(
      "follow-symlinks", "archive what symlinks point to instead of the links")(
      "ignore-changed", "warn instead of failing when a file changes while it is read")(
      "arrays", po::value(&arrays)->default_value(arrays),
      "auto: numeric arrays in HDF5/NetCDF files (or --dtype/--shape) through the array codec; off: bytes only")(
      "dtype", po::value(&dtype), "raw inputs: element type f32 f64 i8 i16 i32 i64 u8 u16 u32 u64")(
      "shape", po::value(&shape), "raw inputs: extents, outermost first, e.g. 512x512x512")(
      "offset", po::value(&offset), "raw inputs: bytes before the array (B, KiB, MiB, GiB)")(
      "big-endian", "raw inputs: elements are big-endian");
  opts.add(CommonOptions());
  const auto vm = Parse(args, opts, "input", -1);
  if (WantsHelp(vm, opts, "compress PATH... -o ARCHIVE [options]")) return Status::Ok();
  if (arrays != "auto" && arrays != "off") throw UsageError{"compress: --arrays must be auto or off"};
  o.type_arrays = arrays == "auto";
  if (vm.count("dtype") != vm.count("shape")) {
    throw UsageError{"compress: --dtype and --shape go together"};
  }
  if (vm.count("dtype") > 0) {
    RawArraySpec raw;
    if (!array::ParseDType(dtype, &raw.layout.dtype).ok() ||
        !array::ParseShape(shape, &raw.layout.shape).ok()) {
      throw UsageError{"compress: bad --dtype '" + dtype + "' or --shape '" + shape + "'"};
    }
    raw.layout.byte_order = vm.count("big-endian") > 0 ? array::ByteOrder::kBig : array::ByteOrder::kLittle;
    raw.offset = offset.empty() ? 0 : ParseSize(offset);
    o.array_scan.raw = raw;
  } else if (vm.count("offset") > 0 || vm.count("big-endian") > 0) {
    throw UsageError{"compress: --offset and --big-endian need --dtype and --shape"};
  }
  ASSIGN_OR_RETURN(o.array_scan.helper, CurrentExecutablePath());
  o.inputs = Positionals(vm, "input");
  if (o.inputs.empty()) throw UsageError{"compress: no input PATH given"};
  if (o.output.empty()) throw UsageError{"compress: no archive given (-o ARCHIVE)"};
  o.chunk_size = ParseSize(chunk_size);
  o.overwrite = vm.count("force") > 0;
  o.follow_symlinks = vm.count("follow-symlinks") > 0;
  o.ignore_changed = vm.count("ignore-changed") > 0;
  o.reporting = ReportingFrom(vm);
  return RunCompress(o);
}

Status Decompress(const std::vector<std::string>& args) {
  DecompressOptions o;
  po::options_description opts("decompress options");
  opts.add_options()("output,o", po::value(&o.output_dir), "directory to restore into")(
      "force,f", "replace existing files")(
      "threads,T", po::value(&o.threads)->default_value(o.threads), "decoding threads per rank");
  opts.add(CommonOptions());
  const auto vm = Parse(args, opts, "archive", -1);
  if (WantsHelp(vm, opts, "decompress ARCHIVE -o DIR [options]")) return Status::Ok();
  o.archive = OnlyArchive(vm);
  if (o.output_dir.empty()) throw UsageError{"decompress: no output directory given (-o DIR)"};
  o.overwrite = vm.count("force") > 0;
  o.reporting = ReportingFrom(vm);
  return RunDecompress(o);
}

Status Extract(const std::vector<std::string>& args) {
  ExtractOptions o;
  std::string range;
  std::string chunks;
  po::options_description opts("extract options");
  opts.add_options()("path,p", po::value(&o.path), "file in the archive")(
      "range,r", po::value(&range), "OFFSET:LENGTH bytes of that file")(
      "chunks,c", po::value(&chunks), "chunk ids, e.g. 3,7-9: their raw bytes in order")(
      "dataset", po::value(&o.dataset), "FILE:/path/var: a typed dataset (HDF5/NetCDF/raw array)")(
      "slab", po::value(&o.slab), "with --dataset: a box such as 0:10,:,5 (default: all); -o X.h5 writes HDF5, else raw")(
      "output,o", po::value(&o.output)->default_value("-"), "output file, - for stdout")(
      "force,f", "overwrite an existing output file")(
      "threads,T", po::value(&o.threads)->default_value(o.threads), "decoding threads per rank");
  opts.add(CommonOptions());
  const auto vm = Parse(args, opts, "archive", -1);
  if (WantsHelp(vm, opts,
                "extract ARCHIVE (--path P [--range OFF:LEN] | --chunks LIST | --dataset FILE:/VAR "
                "[--slab BOX]) [-o FILE|-]")) {
    return Status::Ok();
  }
  o.archive = OnlyArchive(vm);
  if (int{!o.path.empty()} + int{!chunks.empty()} + int{vm.count("dataset") > 0} != 1) {
    throw UsageError{"extract: give exactly one of --path, --chunks or --dataset"};
  }
  if (vm.count("slab") > 0 && vm.count("dataset") == 0) throw UsageError{"extract: --slab needs --dataset"};
  if (!range.empty()) {
    if (o.path.empty()) throw UsageError{"extract: --range needs --path"};
    RETURN_IF_ERROR(ParseRange(range, &o.range_offset, &o.range_length));
    o.has_range = true;
  }
  if (!chunks.empty()) {
    ASSIGN_OR_RETURN(o.chunks, ParseChunkList(chunks));
  }
  o.overwrite = vm.count("force") > 0;
  o.reporting = ReportingFrom(vm);
  return RunExtract(o);
}

Status List(const std::vector<std::string>& args) {
  po::options_description opts("list options");
  opts.add(CommonOptions());
  const auto vm = Parse(args, opts, "archive", -1);
  if (WantsHelp(vm, opts, "list ARCHIVE")) return Status::Ok();
  if (MpiRuntime::rank() != 0) return Status::Ok();
  return RunList(OnlyArchive(vm), std::cout);
}

Status Verify(const std::vector<std::string>& args) {
  VerifyOptions o;
  po::options_description opts("verify options");
  opts.add_options()("quick", "check structure and payload checksums without decoding")(
      "threads,T", po::value(&o.threads)->default_value(o.threads), "decoding threads per rank");
  opts.add(CommonOptions());
  const auto vm = Parse(args, opts, "archive", -1);
  if (WantsHelp(vm, opts, "verify ARCHIVE [--quick]")) return Status::Ok();
  o.archive = OnlyArchive(vm);
  o.quick = vm.count("quick") > 0;
  o.reporting = ReportingFrom(vm);
  return RunVerify(o, std::cout);
}

Status Bench(const std::vector<std::string>& args) {
  BenchOptions o;
  po::options_description opts("bench options");
  opts.add_options()("csv", po::value(&o.csv_path)->default_value("bench.csv"), "CSV output (per file and TOTAL rows)")(
      "plot", po::value(&o.plot_path)->default_value("bench.png"), "PNG plot output (needs python3-matplotlib)")(
      "runs", po::value(&o.runs)->default_value(o.runs), "timed runs per measurement (median)")(
      "cpu", po::value(&o.cpu)->default_value(o.cpu), "core to pin to (-1: last allowed core)")(
      "method,m", po::value(&o.methods)->multitoken(), "methods to run (default: all), e.g. lmarc-cm-5 xz-9e")(
      "work-dir", po::value(&o.work_dir), "scratch directory (default $TMPDIR)");
  opts.add(CommonOptions());
  const auto vm = Parse(args, opts, "input", -1);
  if (WantsHelp(vm, opts, "bench PATH... [options]")) return Status::Ok();
  o.inputs = Positionals(vm, "input");
  if (o.inputs.empty()) throw UsageError{"bench: no input PATH given"};
  o.quiet = vm.count("quiet") > 0;
  if (MpiRuntime::size() > 1) throw UsageError{"bench: run it as a single process, not under mpirun"};
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return IoError("cannot locate the lmarc executable (/proc/self/exe)");
  o.lmarc_binary.assign(self, static_cast<size_t>(n));
  return RunBench(o, std::cout);
}

Status Scaling(const std::vector<std::string>& args) {
  ScalingOptions o;
  std::string ranks = "1,2";
  std::string chunk_size = "1MiB";
  po::options_description opts("scaling options");
  opts.add_options()("ranks", po::value(&ranks)->default_value(ranks), "rank counts, e.g. 1,2,4")(
      "mode", po::value(&o.mode)->default_value(o.mode), "strong, weak or both")(
      "codec", po::value(&o.codec)->default_value(o.codec), "codec: nn, cm, zstd or stored")(
      "level,l", po::value(&o.level)->default_value(o.level), "compression level 1 .. 9")(
      "chunk-size", po::value(&chunk_size)->default_value(chunk_size), "chunk size (B, KiB, MiB, GiB)")(
      "runs", po::value(&o.runs)->default_value(o.runs), "timed runs per measurement (median)")(
      "csv", po::value(&o.csv_path)->default_value("scaling.csv"), "CSV output")(
      "plot", po::value(&o.plot_path)->default_value("scaling.png"), "PNG plot output (needs python3-matplotlib)")(
      "report", po::value(&o.report_path), "Markdown report output")(
      "mpirun", po::value(&o.mpirun)->default_value(o.mpirun), "mpirun to launch with")(
      "work-dir", po::value(&o.work_dir), "scratch directory (default $TMPDIR)");
  opts.add(CommonOptions());
  const auto vm = Parse(args, opts, "input", -1);
  if (WantsHelp(vm, opts, "scaling PATH... [options]")) return Status::Ok();
  o.inputs = Positionals(vm, "input");
  if (o.inputs.empty()) throw UsageError{"scaling: no input PATH given"};
  o.ranks.clear();
  std::istringstream rank_list(ranks);
  for (std::string item; std::getline(rank_list, item, ',');) {
    try {
      o.ranks.push_back(std::stoi(item));
    } catch (const std::exception&) {
      throw UsageError{"scaling: invalid rank count '" + item + "' in --ranks"};
    }
  }
  o.chunk_size = ParseSize(chunk_size);
  o.quiet = vm.count("quiet") > 0;
  if (MpiRuntime::size() > 1) throw UsageError{"scaling: run it as a single process; it starts mpirun itself"};
  return RunScaling(o, std::cout);
}

// Prints a failure once and ends the job: under MPI every rank must exit
// non-zero, and ranks blocked in a collective would otherwise wait forever.
int Fail(const Status& status) {
  const std::string rank = MpiRuntime::size() > 1 && status.message().rfind("rank ", 0) != 0
                               ? MpiRuntime::RankPrefix()
                               : "";
  // One write: under mpirun the lines of several failing ranks share stderr.
  std::cerr << "lmarc: error: " + rank + status.message() + "\n" << std::flush;
  if (MpiRuntime::size() > 1) MpiRuntime::AbortJob(kExitFailure);
  MpiRuntime::Stop();
  return kExitFailure;
}

int Main(int argc, char** argv) {
  // The array locator helper (io/array_scan.h) never touches MPI.
  if (argc >= 2 && std::string_view(argv[1]) == kArrayLocatorCommand) {
    return RunArrayLocatorHelper(argc, argv);
  }
  if (const Status started = MpiRuntime::Start(&argc, &argv); !started.ok()) return Fail(started);
  if (argc < 2) {
    if (MpiRuntime::rank() == 0) std::cerr << "lmarc: missing command\n" << kUsage;
    MpiRuntime::Stop();
    return kExitUsage;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    Status status;
    if (command == "compress" || command == "c") status = Compress(args);
    else if (command == "decompress" || command == "d") status = Decompress(args);
    else if (command == "extract" || command == "x") status = Extract(args);
    else if (command == "list" || command == "l") status = List(args);
    else if (command == "verify" || command == "t") status = Verify(args);
    else if (command == "bench") status = Bench(args);
    else if (command == "scaling") status = Scaling(args);
    else if (command == "version" || command == "--version" || command == "-V") {
      std::cout << "lmarc " << kLmarcVersion << " (archive format 1)\n"
                << "default nn model: " << kDefaultNnModelId << "\n"
                << "transformer kernels: " << nn::MatmulPathDescription() << "\n";
    } else if (command == "help" || command == "--help" || command == "-h") {
      std::cout << kUsage;
    } else {
      throw UsageError{"unknown command '" + command + "'"};
    }
    if (!status.ok()) return Fail(status);
    MpiRuntime::Stop();
    return 0;
  } catch (const UsageError& e) {
    if (MpiRuntime::rank() == 0) std::cerr << "lmarc: " << e.message << "\n" << kUsage;
  } catch (const po::error& e) {
    if (MpiRuntime::rank() == 0) {
      std::cerr << "lmarc: " << e.what() << "\nRun 'lmarc " << command << " --help' for its options.\n";
    }
  }
  MpiRuntime::Stop();  // every rank parsed the same arguments and stops alike
  return kExitUsage;
}

}  // namespace
}  // namespace lmarc

int main(int argc, char** argv) { return lmarc::Main(argc, argv); }
