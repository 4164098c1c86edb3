// End-to-end tests of compress + decompress (jobs/): restored trees equal
// their sources, for every codec, and archives are byte-for-byte
// reproducible (docs/format.md §1).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/archive_test_util.h"

namespace lmarc {
namespace {

using namespace ::lmarc::testing;  // NOLINT: test helpers

constexpr uint64_t kChunkSize = 64 << 10;

std::string TextLines(size_t bytes) {
  std::string text;
  for (size_t line = 0; text.size() < bytes; ++line) {
    text += "line " + std::to_string(line) + ": the quick brown fox jumps over the lazy dog\n";
  }
  text.resize(bytes);
  return text;
}

// Every entry kind, odd modes and nanosecond mtimes, a random file, a file
// of more than three chunks and many small files.
std::vector<TreeItem> SampleItems() {
  std::vector<TreeItem> items = {
      Dir("a"),
      Dir("a/b", 0750, 1'400'000'000, 999'999'999),
      Dir("a/b/c", 0700),
      File("a/b/c/deep.txt", "deep content\n", 0640, 1'600'000'000, 123'456'789),
      File("a/empty.bin", "", 0600),
      Symlink("a/relative_link", "b/c/deep.txt", 1'500'000'000),
      Hardlink("a/second_name.txt", "linked/original.txt"),
      Symlink("absolute_link", "/nonexistent/absolute/target"),
      Symlink("dangling", "missing/file"),
      Dir("empty_dir", 0755, 1'300'000'000, 1),
      File("large.txt", TextLines(3 * kChunkSize + 1234), 0755),
      Dir("linked"),
      File("linked/original.txt", "shared by two names", 0664, 1'650'000'000, 5),
      Dir("many"),
      File("random.bin", PatternBytes(10'000, 3)),
      Dir("readonly", 0555),
      File("readonly/inside.txt", "inside a read-only directory", 0444),
  };
  for (size_t i = 0; i < kSmallFileCount; ++i) {
    items.push_back(File("many/f" + std::to_string(i) + ".txt", "small file " + std::to_string(i),
                         0644, 1'600'000'000 + static_cast<int64_t>(i), static_cast<long>(i)));
  }
  return items;
}

std::vector<std::string> TopLevelPaths(const std::string& root) {
  std::vector<std::string> paths;
  for (const auto& item : std::filesystem::directory_iterator(root)) paths.push_back(item.path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

void ExpectSameBytes(const std::string& a, const std::string& b) {
  const std::string bytes_a = ReadFile(a);
  EXPECT_FALSE(bytes_a.empty()) << a;
  EXPECT_TRUE(bytes_a == ReadFile(b)) << a << " and " << b << " differ";
}

class RoundTripTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { BuildTree(tmp_ / "tree", SampleItems()); }
  TempDir tmp_;
};

TEST_P(RoundTripTest, RestoredTreeEqualsSourceAndThreadCountKeepsArchiveBytes) {
  const std::string codec = GetParam();
  CompressOptions options = QuietCompress({tmp_ / "tree"}, tmp_ / "one.lmarc.h5", codec, kChunkSize);
  LMARC_ASSERT_OK(RunCompress(options));
  options.output = tmp_ / "two.lmarc.h5";
  options.threads = 2;
  LMARC_ASSERT_OK(RunCompress(options));
  ExpectSameBytes(tmp_ / "one.lmarc.h5", tmp_ / "two.lmarc.h5");

  const std::vector<ChunkRow> rows = ChunkRowsOf(tmp_ / "one.lmarc.h5");
  EXPECT_GE(rows.size(), 5u);  // large.txt alone spans four chunks
  const auto codec_id = static_cast<uint16_t>(BuiltinCodecs().FindByName(codec)->id());
  EXPECT_TRUE(std::any_of(rows.begin(), rows.end(),
                          [&](const ChunkRow& row) { return row.codec == codec_id; }))
      << codec << " never chosen";

  LMARC_ASSERT_OK(Verify(tmp_ / "one.lmarc.h5", /*quick=*/false));
  LMARC_ASSERT_OK(Decompress(tmp_ / "one.lmarc.h5", tmp_ / "out", /*threads=*/2));
  ExpectSameTree(tmp_ / "tree", tmp_ / "out/tree");
}

INSTANTIATE_TEST_SUITE_P(Codecs, RoundTripTest, ::testing::Values("cm", "zstd", "stored"),
                         [](const auto& info) { return info.param; });

TEST(RoundTripEdgeCaseTest, TreeWithoutContentHasNoChunksAndRoundTrips) {
  TempDir tmp;
  BuildTree(tmp / "tree", {Dir("empty_dir", 0700), File("empty_dir/nothing", "", 0600)});
  LMARC_ASSERT_OK(RunCompress(QuietCompress({tmp / "tree"}, tmp / "a.lmarc.h5")));
  EXPECT_TRUE(ChunkRowsOf(tmp / "a.lmarc.h5").empty());
  LMARC_ASSERT_OK(Decompress(tmp / "a.lmarc.h5", tmp / "out"));
  ExpectSameTree(tmp / "tree", tmp / "out/tree");
}

// A payload of several MiB written in one go (below the 64 MiB at which
// /payload becomes extendible): every byte must be in the file. (libhdf5
// 1.10 once dropped the write of a single-chunk /payload larger than its
// 1 MiB chunk cache.)
TEST(RoundTripEdgeCaseTest, MultiMegabytePayloadWrittenInOneGoRoundTrips) {
  TempDir tmp;
  std::string noise(3u << 20, '\0');
  uint64_t state = 42;
  for (char& c : noise) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    c = static_cast<char>(state >> 56);
  }
  BuildTree(tmp / "tree", {File("noise.bin", noise)});
  LMARC_ASSERT_OK(RunCompress(QuietCompress({tmp / "tree"}, tmp / "a.lmarc.h5", "stored")));
  LMARC_ASSERT_OK(Verify(tmp / "a.lmarc.h5", /*quick=*/false));
  LMARC_ASSERT_OK(Decompress(tmp / "a.lmarc.h5", tmp / "out"));
  ExpectSameTree(tmp / "tree", tmp / "out/tree");
}

class DeterminismTest : public ::testing::Test {
 protected:
  // Compresses `inputs` with the default codec into tmp_/name.
  std::string Compress(const std::vector<std::string>& inputs, const std::string& name) {
    const std::string archive = tmp_ / name;
    const Status status = RunCompress(QuietCompress(inputs, archive, "cm", kChunkSize));
    EXPECT_TRUE(status.ok()) << status.message();
    return archive;
  }
  TempDir tmp_;
};

TEST_F(DeterminismTest, SameInputCompressedLaterToAnotherPathIsByteIdentical) {
  BuildTree(tmp_ / "tree", SampleItems());
  const std::string first = Compress({tmp_ / "tree"}, "first.lmarc.h5");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const std::string second = Compress({tmp_ / "tree"}, "a-longer-second-name.lmarc.h5");
  ExpectSameBytes(first, second);
}

TEST_F(DeterminismTest, InputOrderDoesNotChangeArchive) {
  BuildTree(tmp_ / "tree", SampleItems());
  std::vector<std::string> inputs = TopLevelPaths(tmp_ / "tree");
  const std::string sorted = Compress(inputs, "sorted.lmarc.h5");
  std::reverse(inputs.begin(), inputs.end());
  ExpectSameBytes(sorted, Compress(inputs, "reversed.lmarc.h5"));
}

TEST_F(DeterminismTest, CreationOrderAndLocationDoNotChangeArchive) {
  TempDir other;
  BuildTree(tmp_ / "tree", SampleItems(), /*reverse_order=*/false);
  BuildTree(other / "tree", SampleItems(), /*reverse_order=*/true);
  ExpectSameBytes(Compress({tmp_ / "tree"}, "forward.lmarc.h5"),
                  Compress({other / "tree"}, "reverse.lmarc.h5"));
}

}  // namespace
}  // namespace lmarc
