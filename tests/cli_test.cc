// End-to-end tests of the `lmarc` executable (src/cli/main.cc): exit codes
// (0 success, 1 failure, 2 usage), the one-line error format, -f, stdout
// output and --help of every command.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/archive_test_util.h"
#include "tests/cli_test_util.h"

namespace lmarc {
namespace {

using namespace ::lmarc::testing;  // NOLINT: test helpers

const std::string kHello = "hello from the command line\n";

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BuildTree(tmp_ / "src", {File("hello.txt", kHello), File("big.bin", PatternBytes(10'000, 5)),
                             Dir("sub"), Symlink("sub/link", "../hello.txt")});
  }

  CliResult Run(const std::vector<std::string>& args) { return RunLmarc(tmp_.path(), args); }

  // Compresses src/ with zstd into `archive` (2+ chunks); expects success.
  void CompressSample(const std::string& archive) {
    const CliResult result =
        Run({"compress", tmp_ / "src", "-o", archive, "--codec", "zstd", "--chunk-size", "4KiB", "-q"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }

  TempDir tmp_;
  const std::string archive_ = tmp_ / "cli.lmarc.h5";
};

TEST_F(CliTest, CompressListVerifyExtractDecompressSucceed) {
  CompressSample(archive_);

  const CliResult list = Run({"list", archive_});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("src/hello.txt"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("src/sub/link -> ../hello.txt"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("entries 5, chunks "), std::string::npos) << list.out;

  for (const char* quick : {"", "--quick"}) {
    std::vector<std::string> args = {"verify", archive_};
    if (*quick) args.push_back(quick);
    const CliResult verify = Run(args);
    EXPECT_EQ(verify.exit_code, 0) << verify.err;
    EXPECT_EQ(verify.out.rfind(archive_ + ": OK", 0), 0u) << verify.out;
  }

  const CliResult extract = Run({"extract", archive_, "--path", "src/hello.txt", "-o", "-"});
  EXPECT_EQ(extract.exit_code, 0) << extract.err;
  EXPECT_EQ(extract.out, kHello);

  const CliResult decompress = Run({"decompress", archive_, "-o", tmp_ / "out", "-q"});
  EXPECT_EQ(decompress.exit_code, 0) << decompress.err;
  ExpectSameTree(tmp_ / "src", tmp_ / "out/src");
}

TEST_F(CliTest, CorruptedChunkIsOneErrorLineNamingArchiveAndChunk) {
  CompressSample(archive_);
  CorruptChunkBody(archive_, 1, 10);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"verify", archive_}, {"verify", "--quick", archive_},
        {"decompress", archive_, "-o", tmp_ / "out", "-q"}, {"extract", archive_, "--chunks", "1"}}) {
    SCOPED_TRACE(args[0]);
    const CliResult result = Run(args);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.err.rfind("lmarc: error: " + archive_ + ": chunk 1: ", 0), 0u) << result.err;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "not one line: " << result.err;
  }
}

TEST_F(CliTest, ExistingArchiveIsOverwrittenOnlyWithForce) {
  WriteFile(archive_, "not yet an archive");
  const CliResult refused = Run({"compress", tmp_ / "src", "-o", archive_, "-q"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("already exists"), std::string::npos) << refused.err;
  EXPECT_EQ(ReadFile(archive_), "not yet an archive");

  const CliResult forced = Run({"compress", tmp_ / "src", "-o", archive_, "-f", "-q", "--codec", "zstd"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(Run({"verify", archive_}).exit_code, 0);
}

TEST_F(CliTest, FailedCompressLeavesNoArchiveAndNoPartial) {
  const CliResult result = Run({"compress", tmp_ / "does-not-exist", "-o", archive_, "-q"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err.rfind("lmarc: error: ", 0), 0u) << result.err;
  EXPECT_FALSE(Exists(archive_));
  EXPECT_FALSE(Exists(archive_ + ".partial"));
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  const CliResult no_command = Run({});
  EXPECT_EQ(no_command.exit_code, 2);
  EXPECT_EQ(no_command.err.rfind("lmarc: missing command\nusage: lmarc", 0), 0u) << no_command.err;
  const std::vector<std::vector<std::string>> usage_errors = {
      {"frobnicate"},
      {"compress", "-o", archive_},
      {"compress", tmp_ / "src"},
      {"compress", tmp_ / "src", "-o", archive_, "--chunk-size", "12parsecs"},
      {"compress", tmp_ / "src", "-o", archive_, "--no-such-option"},
      {"decompress", archive_},
      {"extract", archive_},
      {"extract", archive_, "--chunks", "1", "--range", "0:1"},
      {"list"},
      {"verify", archive_, archive_},
  };
  for (const auto& args : usage_errors) {
    SCOPED_TRACE(::testing::PrintToString(args));
    const CliResult result = Run(args);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.err.rfind("lmarc: ", 0), 0u) << result.err;
    EXPECT_FALSE(Exists(archive_));
  }
}

TEST_F(CliTest, HelpWorksForEveryCommand) {
  for (const char* command : {"compress", "decompress", "extract", "list", "verify", "bench"}) {
    SCOPED_TRACE(command);
    const CliResult result = Run({command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out.rfind(std::string("usage: lmarc ") + command, 0), 0u) << result.out;
  }
  for (const char* help : {"--help", "help", "-h"}) {
    const CliResult result = Run({help});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find("commands:"), std::string::npos) << result.out;
  }
  const CliResult version = Run({"version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("archive format 1"), std::string::npos) << version.out;
}

}  // namespace
}  // namespace lmarc
