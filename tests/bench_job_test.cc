// Tests of `lmarc bench` (jobs/bench_job.h) against a stand-in lmarc: a shell
// script that "compresses" by copying the file behind a line with its name.
#include "jobs/bench_job.h"

#include <cmath>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "jobs/bench_report.h"

namespace lmarc {
namespace {
namespace fs = std::filesystem;

// Archive = "<input file name>\n" + input bytes; decompress writes DIR/<name>.
// Every call is logged to calls.log beside the script.
constexpr char kStandInLmarc[] = R"(#!/bin/sh
PATH=/usr/bin:/bin
echo "$*" >> "$(dirname "$0")/calls.log"
case "$1" in
  compress) { basename "$2"; cat "$2"; } > "$4" ;;
  decompress) name=$(head -n 1 "$2"); tail -n +2 "$2" > "$4/$name" ;;
  *) echo "stand-in: unknown command $1" >&2; exit 2 ;;
esac
)";

// Restores every file with one extra byte.
constexpr char kCorruptingLmarc[] = R"(#!/bin/sh
PATH=/usr/bin:/bin
case "$1" in
  compress) { basename "$2"; cat "$2"; } > "$4" ;;
  decompress) name=$(head -n 1 "$2"); { tail -n +2 "$2"; printf x; } > "$4/$name" ;;
esac
)";

constexpr char kFailingLmarc[] = R"(#!/bin/sh
echo "stand-in: disk on fire" >&2
exit 3
)";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class BenchJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "bench_job_test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    fs::create_directories(root_ / "inputs" / "nested");
    fs::create_directories(root_ / "empty-path");
    fs::create_directories(root_ / "work");
    std::string text;
    for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i % 37) + " of a test file\n";
    WriteFile(root_ / "inputs" / "b.txt", text);
    WriteFile(root_ / "inputs" / "nested" / "a.bin", std::string("\0\1\2 no newline", 14));
    fs::create_symlink(root_ / "inputs" / "b.txt", root_ / "inputs" / "link-to-b");
    saved_path_ = getenv("PATH") ? getenv("PATH") : "";
  }

  void TearDown() override {
    setenv("PATH", saved_path_.c_str(), 1);
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  std::string MakeScript(const std::string& name, const std::string& text) {
    const fs::path path = root_ / name;
    WriteFile(path, text);
    chmod(path.c_str(), 0755);
    return path.string();
  }

  // Options over the generated inputs with peers hidden (PATH holds no tools).
  BenchOptions StandInOptions(const std::string& script_text) {
    setenv("PATH", (root_ / "empty-path").c_str(), 1);
    BenchOptions options;
    options.inputs = {(root_ / "inputs").string()};
    options.lmarc_binary = MakeScript("lmarc", script_text);
    options.runs = 2;
    options.work_dir = (root_ / "work").string();
    options.quiet = true;
    return options;
  }

  fs::path root_;
  std::string saved_path_;
};

TEST_F(BenchJobTest, DefaultMethodsWithStandInWriteTableAndCsv) {
  BenchOptions options = StandInOptions(kStandInLmarc);
  options.csv_path = (root_ / "bench.csv").string();
  std::ostringstream table;
  const Status status = RunBench(options, table);
  ASSERT_TRUE(status.ok()) << status.message();

  const std::vector<std::string> table_lines = Lines(table.str());
  ASSERT_EQ(table_lines.size(), 11u) << table.str();  // header, 8 methods, note, missing peers
  EXPECT_EQ(table_lines[0].rfind("method", 0), 0u);
  for (const std::string method : {"lmarc-nn-1", "lmarc-nn-5", "lmarc-nn-9", "lmarc-nn-5-ablation",
                                   "lmarc-cm-1", "lmarc-cm-5", "lmarc-cm-9", "lmarc-zstd-5"}) {
    EXPECT_NE(table.str().find(method), std::string::npos) << method;
  }
  EXPECT_EQ(table_lines.back(), "missing peers: zstd, xz, bzip3, brotli");

  const uint64_t b_bytes = fs::file_size(root_ / "inputs" / "b.txt");
  const std::vector<std::string> csv = Lines(ReadFile(options.csv_path));
  ASSERT_EQ(csv.size(), 1u + 2 * 8 + 8);  // header, 2 files x 8 methods, 8 TOTAL rows
  EXPECT_EQ(csv[0],
            "file,method,raw_bytes,compressed_bytes,ratio,compress_s,decompress_s,"
            "compress_mbps,decompress_mbps");
  // The walk is sorted: inputs/b.txt before inputs/nested/a.bin; the symlink is skipped.
  const std::string b_row_prefix = (root_ / "inputs" / "b.txt").string() + ",lmarc-cm-1," +
                                   std::to_string(b_bytes) + "," +
                                   std::to_string(b_bytes + 6) + ",";  // + "b.txt\n"
  EXPECT_EQ(csv[5].rfind(b_row_prefix, 0), 0u) << csv[5];
  EXPECT_EQ(csv[13].rfind((root_ / "inputs" / "nested" / "a.bin").string() + ",lmarc-cm-1,14,20,", 0),
            0u)
      << csv[13];
  EXPECT_EQ(csv[21].rfind("TOTAL,lmarc-cm-1," + std::to_string(b_bytes + 14) + "," +
                              std::to_string(b_bytes + 14 + 12) + ",",
                          0),
            0u)
      << csv[21];

  // Each of the 2 files x 8 methods x 2 runs compressed and decompressed once.
  const std::string calls = ReadFile(root_ / "calls.log");
  EXPECT_EQ(Lines(calls).size(), 2u * 8 * 2 * 2);
  EXPECT_NE(calls.find("--codec nn --level 5 --model none -f --quiet --threads 1"), std::string::npos);
  EXPECT_NE(calls.find("--codec cm --level 9 -f --quiet --threads 1"), std::string::npos);
  EXPECT_NE(calls.find("--codec zstd --level 5"), std::string::npos);
  // The scratch subdirectory is removed afterwards.
  EXPECT_TRUE(fs::is_empty(root_ / "work"));
}

TEST_F(BenchJobTest, MismatchNamesMethodAndFile) {
  BenchOptions options = StandInOptions(kCorruptingLmarc);
  options.methods = {"lmarc-cm-5"};
  std::ostringstream table;
  const Status status = RunBench(options, table);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kCorrupt);
  EXPECT_NE(status.message().find("lmarc-cm-5"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("b.txt"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("differs"), std::string::npos) << status.message();
}

TEST_F(BenchJobTest, FailingCommandQuotesItsStderr) {
  BenchOptions options = StandInOptions(kFailingLmarc);
  options.methods = {"lmarc-zstd-3"};
  std::ostringstream table;
  const Status status = RunBench(options, table);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("lmarc-zstd-3"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("exited with status 3"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("disk on fire"), std::string::npos) << status.message();
}

TEST_F(BenchJobTest, RejectsBadOptions) {
  BenchOptions options = StandInOptions(kStandInLmarc);
  std::ostringstream table;
  options.methods = {"gzip-9"};
  EXPECT_EQ(RunBench(options, table).code(), StatusCode::kInvalidArgument);
  options.methods = {"lmarc-cm-0"};
  EXPECT_EQ(RunBench(options, table).code(), StatusCode::kInvalidArgument);
  options.methods = {};
  options.runs = 0;
  EXPECT_EQ(RunBench(options, table).code(), StatusCode::kInvalidArgument);
  options.runs = 1;
  options.inputs = {(root_ / "missing").string()};
  EXPECT_EQ(RunBench(options, table).code(), StatusCode::kNotFound);
  options.inputs = {(root_ / "empty-path").string()};
  EXPECT_EQ(RunBench(options, table).code(), StatusCode::kInvalidArgument);
  options.inputs = {(root_ / "inputs").string()};
  options.lmarc_binary = (root_ / "no-such-lmarc").string();
  EXPECT_EQ(RunBench(options, table).code(), StatusCode::kNotFound);
  EXPECT_TRUE(table.str().empty());
}

// Installed peers round-trip; absent ones are only reported.
TEST_F(BenchJobTest, PeersRoundTripOrAreReportedMissing) {
  setenv("PATH", "/usr/bin:/bin", 1);
  BenchOptions options;
  options.inputs = {(root_ / "inputs" / "b.txt").string()};
  options.runs = 1;
  options.quiet = true;
  options.methods = {"zstd-19", "xz-9e", "bzip3", "brotli-11"};
  std::ostringstream table;
  const Status status = RunBench(options, table);
  ASSERT_TRUE(status.ok()) << status.message();
  const std::vector<std::pair<std::string, std::string>> method_and_tool = {
      {"zstd-19", "zstd"}, {"xz-9e", "xz"}, {"bzip3", "bzip3"}, {"brotli-11", "brotli"}};
  const std::string text = table.str();
  const size_t missing_line = text.find("missing peers:");
  for (const auto& [method, tool] : method_and_tool) {
    const bool installed =
        fs::exists("/usr/bin/" + tool) || fs::exists("/bin/" + tool);
    const size_t found = text.find(method + " ");
    EXPECT_EQ(found != std::string::npos && found < missing_line, installed) << text;
  }
}

// An input holding a typed array: the array peers run on its values and the
// table reports the peer total (best peer per array + xz -9e outside).
TEST_F(BenchJobTest, ArrayPeersRunOnTypedRegions) {
  setenv("PATH", "/usr/bin:/bin", 1);
  const std::string file = (root_ / "field.h5").string();
  {
    const hid_t h5 = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t dims[2] = {64, 64};
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    const hid_t dataset = H5Dcreate2(h5, "t", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<double> values(64 * 64);
    for (size_t i = 0; i < values.size(); ++i) values[i] = 280.0 + std::sin(0.01 * static_cast<double>(i));
    H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(dataset);
    H5Sclose(space);
    H5Fclose(h5);
  }
  BenchOptions options;
  options.inputs = {file};
  options.lmarc_binary = LMARC_BINARY;
  options.runs = 1;
  options.quiet = true;
  options.methods = {"lmarc-cm-5"};
  options.csv_path = (root_ / "bench.csv").string();
  std::ostringstream table;
  const Status status = RunBench(options, table);
  ASSERT_TRUE(status.ok()) << status.message();
  const std::string text = table.str();
  EXPECT_NE(text.find("typed arrays: 1 arrays, 32768 bytes"), std::string::npos) << text;
  EXPECT_NE(text.find("peer total:"), std::string::npos) << text;
  EXPECT_NE(text.find("lmarc-cm-5"), std::string::npos) << text;
  for (const auto& [peer, tool] : std::vector<std::pair<std::string, std::string>>{
           {"fpzip ", "fpzip"}, {"zfp-R ", "zfp"}, {"hdf5-gzip9-shuffle ", "h5repack"}, {"xz-9e ", "xz"}}) {
    const bool installed = fs::exists("/usr/bin/" + tool);
    EXPECT_EQ(text.find(peer) != std::string::npos, installed) << peer << "\n" << text;
  }
  const std::vector<std::string> csv = Lines(ReadFile(root_ / "bench-arrays.csv"));
  ASSERT_FALSE(csv.empty());
  EXPECT_EQ(csv[0], "file,dataset,dtype,shape,peer,raw_bytes,compressed_bytes,compress_s,decompress_s");
  EXPECT_GE(csv.size(), 2u);
}

// A WAV and a PGM: FLAC, WavPack, PNG, WebP and JPEG XL run on the same
// samples and pixels (their decoded output checked), or are listed missing.
TEST_F(BenchJobTest, MediaPeersRunOnSamplesAndPixels) {
  setenv("PATH", "/usr/bin:/bin", 1);
  std::string wave = "RIFF";
  const uint32_t data_bytes = 8000 * 4;  // 8000 stereo 16-bit frames
  const auto le = [](uint32_t v, int n, std::string* out) {
    for (int i = 0; i < n; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
  };
  le(36 + data_bytes, 4, &wave);
  wave += "WAVEfmt ";
  le(16, 4, &wave);
  le(1, 2, &wave);
  le(2, 2, &wave);
  le(44100, 4, &wave);
  le(44100 * 4, 4, &wave);
  le(4, 2, &wave);
  le(16, 2, &wave);
  wave += "data";
  le(data_bytes, 4, &wave);
  for (int f = 0; f < 8000; ++f) {
    le(static_cast<uint32_t>(static_cast<int16_t>(9000 * std::sin(0.02 * f))), 2, &wave);
    le(static_cast<uint32_t>(static_cast<int16_t>(7000 * std::sin(0.03 * f))), 2, &wave);
  }
  std::ofstream(root_ / "tone.wav", std::ios::binary) << wave;
  std::string pgm = "P5\n100 80\n255\n";
  for (int i = 0; i < 8000; ++i) pgm.push_back(static_cast<char>((i % 100) + (i / 100)));
  std::ofstream(root_ / "ramp.pgm", std::ios::binary) << pgm;
  BenchOptions options;
  options.inputs = {(root_ / "tone.wav").string(), (root_ / "ramp.pgm").string()};
  options.lmarc_binary = LMARC_BINARY;
  options.runs = 1;
  options.quiet = true;
  options.methods = {"lmarc-cm-1"};
  options.csv_path = (root_ / "bench.csv").string();
  std::ostringstream table;
  const Status status = RunBench(options, table);
  ASSERT_TRUE(status.ok()) << status.message();
  const std::string text = table.str();
  EXPECT_NE(text.find("typed arrays: 2 arrays, 40000 bytes"), std::string::npos) << text;
  for (const auto& [peer, tool] : std::vector<std::pair<std::string, std::string>>{
           {"flac-8 ", "flac"}, {"wavpack-hhx6 ", "wavpack"}, {"png-optipng-o2 ", "optipng"},
           {"webp-lossless-z9 ", "cwebp"}, {"jxl-lossless-e7 ", "cjxl"}, {"jxl-lossless-e9 ", "cjxl"}}) {
    const bool installed = fs::exists("/usr/bin/" + tool);
    EXPECT_EQ(text.find(peer) != std::string::npos, installed) << peer << "\n" << text;
    if (!installed) EXPECT_NE(text.find(tool), std::string::npos) << "listed missing: " << tool;
  }
}

TEST_F(BenchJobTest, PlotIsWrittenOrSkippedWithWarning) {
  BenchOptions options = StandInOptions(kStandInLmarc);
  options.methods = {"lmarc-cm-1", "lmarc-cm-9"};
  options.runs = 1;
  options.plot_path = (root_ / "bench.png").string();
  std::ostringstream table;
  const Status status = RunBench(options, table);
  ASSERT_TRUE(status.ok()) << status.message();
  const bool has_matplotlib =
      std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") == 0;
  if (!has_matplotlib) GTEST_SKIP() << "no matplotlib: plot skipped with a warning";
  EXPECT_EQ(ReadFile(options.plot_path).substr(0, 4), "\x89PNG");
}

TEST(BenchReportTest, TotalsAreSortedByCompressedBytes) {
  const std::vector<BenchMeasurement> per_file = {
      {"f1", "big", 100, 80, 1.0, 0.5}, {"f1", "small", 100, 20, 4.0, 2.0},
      {"f2", "big", 300, 90, 1.0, 0.5}, {"f2", "small", 300, 40, 4.0, 2.0}};
  const std::vector<BenchMeasurement> totals = SumPerMethod(per_file);
  ASSERT_EQ(totals.size(), 2u);
  EXPECT_EQ(totals[0].method, "small");
  EXPECT_EQ(totals[0].file, kTotalRowFile);
  EXPECT_EQ(totals[0].raw_bytes, 400u);
  EXPECT_EQ(totals[0].compressed_bytes, 60u);
  EXPECT_DOUBLE_EQ(totals[0].compress_seconds, 8.0);
  EXPECT_DOUBLE_EQ(totals[0].CompressMegabytesPerSecond(), 400 / 1e6 / 8.0);
  EXPECT_DOUBLE_EQ(totals[1].Ratio(), 400.0 / 170.0);
}

TEST(BenchReportTest, MedianOfOddAndEvenRuns) {
  EXPECT_DOUBLE_EQ(MedianSeconds({3.0, 1.0, 2.0}), 2.0);
  EXPECT_DOUBLE_EQ(MedianSeconds({4.0, 1.0, 2.0, 100.0}), 3.0);
  EXPECT_DOUBLE_EQ(MedianSeconds({7.0}), 7.0);
}

TEST(BenchReportTest, CsvQuotesFileNamesWithCommas) {
  const std::string path =
      (fs::temp_directory_path() / ("bench_csv_test_" + std::to_string(getpid()) + ".csv"))
          .string();
  const std::vector<BenchMeasurement> per_file = {{"a,\"b\".txt", "m", 10, 5, 1.0, 1.0}};
  ASSERT_TRUE(WriteBenchCsv(path, per_file, SumPerMethod(per_file)).ok());
  const std::vector<std::string> lines = Lines(ReadFile(path));
  fs::remove(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].rfind("\"a,\"\"b\"\".txt\",m,10,5,2.0000,", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("TOTAL,m,10,5,2.0000,", 0), 0u) << lines[2];
}

}  // namespace
}  // namespace lmarc
