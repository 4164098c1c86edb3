// Tests of `lmarc COMMAND --config FILE` (src/cli/main.cc): options read from
// a Boost.Program_options config file, positional inputs as repeated keys,
// command-line values winning, flags as true/false, usage errors, and the
// example job files in jobs/examples/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/archive_test_util.h"
#include "tests/cli_test_util.h"

namespace lmarc {
namespace {

using namespace ::lmarc::testing;  // NOLINT: test helpers

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string fields;  // compressible: zstd keeps its chunks
    for (int step = 0; step < 1000; ++step) fields += "step " + std::to_string(step) + " pressure 0.125\n";
    BuildTree(tmp_ / "run", {File("a.txt", "first input\n"), File("fields.txt", fields)});
    BuildTree(tmp_ / "extra", {File("notes.txt", "second input\n")});
  }

  CliResult Run(const std::vector<std::string>& args) { return RunLmarc(tmp_.path(), args); }

  // Writes `text` to a config file in the temporary directory; returns its path.
  std::string WriteConfig(const std::string& name, const std::string& text) {
    const std::string path = tmp_ / name;
    std::ofstream(path) << text;
    return path;
  }

  std::string List(const std::string& archive) {
    const CliResult list = Run({"list", archive});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    return list.out;
  }

  TempDir tmp_;
  const std::string archive_ = tmp_ / "run.lmarc.h5";
};

TEST_F(ConfigFileTest, CompressAndDecompressTakeEverythingFromConfigFiles) {
  const std::string compress = WriteConfig("compress.cfg",
                                           "# an archive job\n"
                                           "input = " + tmp_ / "run" + "\n"
                                           "input = " + tmp_ / "extra" + "\n"
                                           "output = " + archive_ + "\n"
                                           "codec = zstd\n"
                                           "level = 3\n"
                                           "chunk-size = 4KiB\n"
                                           "quiet = true\n");
  const CliResult compressed = Run({"compress", "--config", compress});
  ASSERT_EQ(compressed.exit_code, 0) << compressed.err;
  EXPECT_EQ(compressed.out + compressed.err, "");  // quiet = true
  const std::string list = List(archive_);
  EXPECT_NE(list.find("run/fields.txt"), std::string::npos) << list;
  EXPECT_NE(list.find("extra/notes.txt"), std::string::npos) << list;
  EXPECT_NE(list.find("(chunk size 4096)"), std::string::npos) << list;
  EXPECT_NE(list.find("\nzstd "), std::string::npos) << list;

  const std::string decompress = WriteConfig("decompress.cfg", "archive = " + archive_ +
                                                                   "\noutput = " + tmp_ / "restored" +
                                                                   "\nquiet = true\n");
  const CliResult restored = Run({"decompress", "--config", decompress});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  ExpectSameTree(tmp_ / "run", tmp_ / "restored/run");
  ExpectSameTree(tmp_ / "extra", tmp_ / "restored/extra");
}

TEST_F(ConfigFileTest, CommandLineValuesWin) {
  const std::string config = WriteConfig("job.cfg", "input = " + tmp_ / "extra" +
                                                        "\noutput = " + tmp_ / "from-config.h5" +
                                                        "\ncodec = zstd\nchunk-size = 4KiB\nquiet = true\n");
  const CliResult result =
      Run({"compress", tmp_ / "run", "--config", config, "-o", archive_, "--codec", "stored"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(Exists(tmp_ / "from-config.h5"));
  const std::string list = List(archive_);
  EXPECT_NE(list.find("run/fields.txt"), std::string::npos) << list;
  EXPECT_EQ(list.find("extra/"), std::string::npos) << list;  // the command line's inputs only
  EXPECT_EQ(list.find("\nzstd "), std::string::npos) << list;
  EXPECT_NE(list.find("(chunk size 4096)"), std::string::npos) << list;  // not overridden: config
}

TEST_F(ConfigFileTest, FlagsTakeTrueOrFalse) {
  ASSERT_EQ(Run({"compress", tmp_ / "run", "-o", archive_, "-q"}).exit_code, 0);
  const std::string base = "input = " + tmp_ / "run" + "\noutput = " + archive_ + "\nquiet = true\n";

  const CliResult off = Run({"compress", "--config", WriteConfig("off.cfg", base + "force = false\n")});
  EXPECT_EQ(off.exit_code, 1) << off.err;  // the archive exists and may not be replaced
  const CliResult on = Run({"compress", "--config", WriteConfig("on.cfg", base + "force = true\n")});
  EXPECT_EQ(on.exit_code, 0) << on.err;
  const CliResult bad = Run({"compress", "--config", WriteConfig("bad.cfg", base + "force = maybe\n")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'force' takes true or false, not 'maybe'"), std::string::npos) << bad.err;
}

TEST_F(ConfigFileTest, UnreadableFilesAndUnknownKeysAreUsageErrors) {
  const CliResult missing = Run({"verify", archive_, "--config", tmp_ / "missing.cfg"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read config file '" + tmp_ / "missing.cfg" + "'"), std::string::npos)
      << missing.err;

  const CliResult unknown = Run({"verify", archive_, "--config", WriteConfig("unknown.cfg", "colour = red\n")});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unrecognised option 'colour'"), std::string::npos) << unknown.err;
}

// Every example job file parses for the command named on its first line
// ("# lmarc COMMAND --config ..."); --help stops before anything runs.
TEST_F(ConfigFileTest, ExampleJobFilesParse) {
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(LMARC_SOURCE_DIR "/jobs/examples")) {
    if (entry.path().extension() != ".cfg") continue;
    std::ifstream file(entry.path());
    std::string first_line;
    std::getline(file, first_line);
    const std::string prefix = "# lmarc ";
    ASSERT_EQ(first_line.rfind(prefix, 0), 0u) << entry.path() << ": first line names no command";
    const std::string command = first_line.substr(prefix.size(), first_line.find(' ', prefix.size()) - prefix.size());
    const CliResult result = Run({command, "--config", entry.path().string(), "--help"});
    EXPECT_EQ(result.exit_code, 0) << entry.path() << ": " << result.err;
    ++examples;
  }
  EXPECT_GE(examples, 3);
}

}  // namespace
}  // namespace lmarc
