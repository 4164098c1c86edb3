// Tests of `lmarc scaling` (jobs/scaling_job.h): the real lmarc under the
// real mpirun at 1 and 2 ranks on a tiny generated input (zstd, one run).
#include "jobs/scaling_job.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "jobs/bench_process.h"

namespace lmarc {
namespace {
namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t CountPrefixed(const std::vector<std::string>& lines, const std::string& prefix) {
  size_t count = 0;
  for (const std::string& line : lines) count += line.rfind(prefix, 0) == 0;
  return count;
}

class ScalingJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FindExecutableOnPath("mpirun")) GTEST_SKIP() << "mpirun is not on PATH";
    // Open MPI refuses to run as root without these (containers, CI).
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    std::string pattern = (fs::temp_directory_path() / "scaling_job_test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    fs::create_directories(root_ / "inputs" / "nested");
    fs::create_directories(root_ / "work");
    std::string text;
    for (int i = 0; i < 6000; ++i) text += "record " + std::to_string(i * 7919 % 1000) + " ok\n";
    std::ofstream(root_ / "inputs" / "a.txt", std::ios::binary) << text;
    std::ofstream(root_ / "inputs" / "nested" / "b.txt", std::ios::binary) << text.substr(5000);
  }

  void TearDown() override {
    std::error_code ignored;
    if (!root_.empty()) fs::remove_all(root_, ignored);
  }

  ScalingOptions TinyOptions() const {
    ScalingOptions options;
    options.inputs = {(root_ / "inputs").string()};
    options.codec = "zstd";
    options.chunk_size = 16 << 10;
    options.runs = 1;
    options.lmarc_binary = LMARC_BINARY;
    options.work_dir = (root_ / "work").string();
    options.quiet = true;
    return options;
  }

  fs::path root_;
};

TEST_F(ScalingJobTest, StrongAndWeakAtOneAndTwoRanks) {
  ScalingOptions options = TinyOptions();
  options.csv_path = (root_ / "scaling.csv").string();
  options.report_path = (root_ / "scaling.md").string();
  std::ostringstream table;
  const Status status = RunScaling(options, table);
  ASSERT_TRUE(status.ok()) << status.message();

  const std::vector<std::string> table_lines = Lines(table.str());
  EXPECT_EQ(CountPrefixed(table_lines, "| 1 | strong |"), 1u) << table.str();
  EXPECT_EQ(CountPrefixed(table_lines, "| 2 | strong |"), 1u) << table.str();
  EXPECT_EQ(CountPrefixed(table_lines, "| 1 | weak |"), 1u) << table.str();
  EXPECT_EQ(CountPrefixed(table_lines, "| 2 | weak |"), 1u) << table.str();
  // Both strong-scaling archives are byte-identical.
  for (const std::string& line : table_lines) {
    if (line.rfind("| 2 | strong |", 0) == 0) {
      EXPECT_NE(line.find("| yes |"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(CountPrefixed(table_lines, "| weak | 65536 |"), 1u) << table.str();
  EXPECT_EQ(CountPrefixed(table_lines, "weak scaling: "), 1u) << table.str();
  EXPECT_NE(table.str().find("master overhead per chunk"), std::string::npos);
  EXPECT_EQ(ReadFile(options.report_path), "# lmarc scaling measurements\n\n" + table.str());

  const std::vector<std::string> csv = Lines(ReadFile(options.csv_path));
  ASSERT_FALSE(csv.empty());
  EXPECT_EQ(csv[0],
            "kind,mode,ranks,oversubscribed,chunks,raw_bytes,archive_bytes,seconds,mb_per_s,"
            "speedup,efficiency,identical,limit");
  EXPECT_EQ(CountPrefixed(csv, "measured,strong,"), 2u);
  EXPECT_EQ(CountPrefixed(csv, "measured,weak,"), 2u);
  EXPECT_EQ(CountPrefixed(csv, "calibration,"), 4u);
  EXPECT_EQ(CountPrefixed(csv, "model,weak,65536,"), 1u);
  // Weak scaling at 2 ranks archives twice the input of 1 rank.
  const uint64_t input_bytes =
      fs::file_size(root_ / "inputs" / "a.txt") + fs::file_size(root_ / "inputs" / "nested" / "b.txt");
  EXPECT_EQ(CountPrefixed(csv, "measured,weak,2,0,"), 1u);
  for (const std::string& row : csv) {
    if (row.rfind("measured,strong,2,", 0) == 0) {
      EXPECT_NE(row.find("," + std::to_string(input_bytes) + ","), std::string::npos) << row;
      EXPECT_NE(row.find(",yes,"), std::string::npos) << row;
    }
    if (row.rfind("measured,weak,2,", 0) == 0) {
      EXPECT_NE(row.find("," + std::to_string(2 * input_bytes) + ","), std::string::npos) << row;
    }
  }
  EXPECT_TRUE(fs::is_empty(root_ / "work"));  // scratch removed
}

TEST_F(ScalingJobTest, RejectsBadOptions) {
  std::ostringstream table;
  ScalingOptions options = TinyOptions();
  options.mode = "sideways";
  EXPECT_EQ(RunScaling(options, table).code(), StatusCode::kInvalidArgument);
  options = TinyOptions();
  options.ranks = {0};
  EXPECT_EQ(RunScaling(options, table).code(), StatusCode::kInvalidArgument);
  options = TinyOptions();
  options.codec = "gzip";
  EXPECT_EQ(RunScaling(options, table).code(), StatusCode::kInvalidArgument);
  options = TinyOptions();
  options.mpirun = (root_ / "no-such-mpirun").string();
  EXPECT_EQ(RunScaling(options, table).code(), StatusCode::kNotFound);
  EXPECT_TRUE(table.str().empty());
}

}  // namespace
}  // namespace lmarc
