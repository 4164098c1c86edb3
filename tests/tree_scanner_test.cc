// Tests of ScanInputs (io/tree_scanner.h) and SourceReader (io/source_reader.h).
#include "io/tree_scanner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "io/source_reader.h"
#include "tests/io_test_util.h"

namespace lmarc {
namespace {

using ::lmarc::testing::MakeSampleTree;
using ::lmarc::testing::ReadFile;
using ::lmarc::testing::TempDir;
using ::lmarc::testing::WriteFile;

std::map<std::string, const FileEntry*> ByPath(const ScannedTree& tree) {
  std::map<std::string, const FileEntry*> by_path;
  for (const FileEntry& entry : tree.entries) by_path[entry.path] = &entry;
  return by_path;
}

// Paths, kinds, sizes, offsets and link targets: what must not depend on the
// order of inputs or of directory listing.
std::vector<std::string> Describe(const ScannedTree& tree) {
  std::vector<std::string> lines;
  for (const FileEntry& entry : tree.entries) {
    lines.push_back(entry.path + " kind=" + std::to_string(static_cast<int>(entry.kind)) +
                    " size=" + std::to_string(entry.size) + " offset=" +
                    std::to_string(entry.stream_offset) + " target=" + entry.link_target);
  }
  return lines;
}

TEST(TreeScannerTest, SampleTreeHasEveryKindSortedWithConsecutiveOffsets) {
  TempDir tmp;
  MakeSampleTree(tmp / "root");
  ASSERT_EQ(mkfifo((tmp / "root/a/fifo").c_str(), 0600), 0);

  ::testing::internal::CaptureStderr();
  StatusOr<ScannedTree> tree = ScanInputs({tmp / "root"}, ScanOptions{});
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_EQ(warnings, "lmarc: warning: " + (tmp / "root/a/fifo") +
                          ": skipped (not a regular file, directory or symlink)\n");

  const auto& entries = tree->entries;
  ASSERT_EQ(entries.size(), tree->sources.size());
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end(),
                             [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; }));
  EXPECT_EQ(entries.front().path, "root");
  EXPECT_EQ(entries.front().kind, EntryKind::kDirectory);

  uint64_t expected_offset = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(tree->sources[i].source_path, tmp.path() + "/" + entries[i].path);
    if (entries[i].kind == EntryKind::kRegular) {
      EXPECT_EQ(entries[i].stream_offset, expected_offset) << entries[i].path;
      expected_offset += entries[i].size;
    } else {
      EXPECT_EQ(entries[i].size, 0u) << entries[i].path;
    }
  }

  const auto by_path = ByPath(*tree);
  EXPECT_EQ(by_path.count("root/a/fifo"), 0u);
  EXPECT_EQ(by_path.at("root/empty_dir")->kind, EntryKind::kDirectory);
  EXPECT_EQ(by_path.at("root/empty_dir")->mtime_sec, 1'300'000'000);
  EXPECT_EQ(by_path.at("root/a/empty.bin")->size, 0u);
  EXPECT_EQ(by_path.at("root/large.bin")->size, testing::kLargeFileSize);
  EXPECT_EQ(by_path.at("root/large.bin")->mode, 0755u);

  const FileEntry& deep = *by_path.at("root/a/b/c/deep.txt");
  EXPECT_EQ(deep.mode, 0640u);
  EXPECT_EQ(deep.mtime_sec, 1'600'000'000);
  EXPECT_EQ(deep.mtime_nsec, 123'456'789u);
  EXPECT_EQ(deep.uid, geteuid());

  const FileEntry& relative = *by_path.at("root/a/relative_link");
  EXPECT_EQ(relative.kind, EntryKind::kSymlink);
  EXPECT_EQ(relative.link_target, "b/c/deep.txt");
  EXPECT_EQ(relative.mtime_nsec, 42u);
  EXPECT_EQ(by_path.at("root/absolute_link")->link_target, "/nonexistent/absolute/target");

  // The first name in sorted order holds the content.
  EXPECT_EQ(by_path.at("root/a/second_name.txt")->kind, EntryKind::kRegular);
  const FileEntry& hardlink = *by_path.at("root/linked/original.txt");
  EXPECT_EQ(hardlink.kind, EntryKind::kHardlink);
  EXPECT_EQ(hardlink.link_target, "root/a/second_name.txt");

  size_t small_files = 0;
  for (const FileEntry& entry : entries) small_files += entry.path.starts_with("root/many/f");
  EXPECT_EQ(small_files, testing::kSmallFileCount);
}

TEST(TreeScannerTest, ResultIndependentOfInputAndCreationOrder) {
  TempDir tmp;
  // Same content, files created in opposite orders.
  for (int i = 0; i < 50; ++i) WriteFile(tmp / ("one/tree/d" + std::to_string(i % 7) + "/f" +
                                                 std::to_string(i)), std::to_string(i));
  for (int i = 49; i >= 0; --i) WriteFile(tmp / ("two/tree/d" + std::to_string(i % 7) + "/f" +
                                                  std::to_string(i)), std::to_string(i));
  WriteFile(tmp / "other/x", "x");

  auto forward = ScanInputs({tmp / "one/tree", tmp / "other"}, ScanOptions{});
  auto backward = ScanInputs({tmp / "other", tmp / "one/tree"}, ScanOptions{});
  auto recreated = ScanInputs({tmp / "other/", tmp / "two/tree/"}, ScanOptions{});
  ASSERT_TRUE(forward.ok()) << forward.status().message();
  ASSERT_TRUE(backward.ok()) << backward.status().message();
  ASSERT_TRUE(recreated.ok()) << recreated.status().message();
  EXPECT_EQ(Describe(*forward), Describe(*backward));
  EXPECT_EQ(Describe(*forward), Describe(*recreated));
  for (size_t i = 0; i < forward->entries.size(); ++i) {
    EXPECT_EQ(forward->sources[i].source_path, backward->sources[i].source_path);
  }
}

TEST(TreeScannerTest, RootNames) {
  TempDir tmp;
  WriteFile(tmp / "x/data/f", "1");
  WriteFile(tmp / "y/data/g", "2");
  const auto duplicate = ScanInputs({tmp / "x/data", tmp / "y/data"}, ScanOptions{});
  EXPECT_EQ(duplicate.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(duplicate.status().message().find("'data'"), std::string::npos);

  const auto dot = ScanInputs({tmp / "x/data/."}, ScanOptions{});
  ASSERT_TRUE(dot.ok()) << dot.status().message();
  EXPECT_EQ(dot->entries[0].path, "data");
  EXPECT_EQ(dot->entries[1].path, "data/f");

  EXPECT_EQ(ScanInputs({"/"}, ScanOptions{}).status().code(), StatusCode::kInvalidArgument);
  const auto missing = ScanInputs({tmp / "missing"}, ScanOptions{});
  EXPECT_EQ(missing.status().message(), (tmp / "missing") + ": No such file or directory");
}

TEST(TreeScannerTest, FollowSymlinksScansTargetsAndStopsAtCycles) {
  TempDir tmp;
  WriteFile(tmp / "real/file", "content");
  WriteFile(tmp / "in/plain", "p");
  ASSERT_EQ(symlink("../real", (tmp / "in/to_dir").c_str()), 0);
  ASSERT_EQ(symlink(".", (tmp / "in/loop").c_str()), 0);
  ASSERT_EQ(symlink("..", (tmp / "in/up").c_str()), 0);  // its child "in" is a loop
  ASSERT_EQ(symlink("missing", (tmp / "in/dangling").c_str()), 0);

  ::testing::internal::CaptureStderr();
  auto followed = ScanInputs({tmp / "in"}, ScanOptions{.follow_symlinks = true});
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(followed.ok()) << followed.status().message();
  const auto by_path = ByPath(*followed);
  EXPECT_EQ(by_path.at("in/to_dir")->kind, EntryKind::kDirectory);
  EXPECT_EQ(by_path.at("in/to_dir/file")->size, 7u);
  EXPECT_EQ(by_path.at("in/loop")->kind, EntryKind::kSymlink);
  EXPECT_EQ(by_path.at("in/dangling")->kind, EntryKind::kSymlink);
  EXPECT_NE(warnings.find("in/loop: symlink to an ancestor directory"), std::string::npos);
  EXPECT_EQ(by_path.at("in/up")->kind, EntryKind::kDirectory);
  EXPECT_EQ(by_path.at("in/up/real/file")->size, 7u);
  EXPECT_EQ(by_path.count("in/up/in"), 0u);
  EXPECT_NE(warnings.find("in/up/in: directory loop"), std::string::npos);

  auto kept = ScanInputs({tmp / "in"}, ScanOptions{});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(ByPath(*kept).at("in/to_dir")->kind, EntryKind::kSymlink);
  EXPECT_EQ(ByPath(*kept).count("in/to_dir/file"), 0u);
}

TEST(TreeScannerTest, UnreadableDirectoryIsAnErrorNamingIt) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every directory";
  TempDir tmp;
  WriteFile(tmp / "top/locked/f", "x");
  ASSERT_EQ(chmod((tmp / "top/locked").c_str(), 0), 0);
  const auto tree = ScanInputs({tmp / "top"}, ScanOptions{});
  EXPECT_EQ(tree.status().message(), (tmp / "top/locked") + ": Permission denied");
}

TEST(SourceReaderTest, ReadsRangesOfTheScannedFile) {
  TempDir tmp;
  const std::string content = testing::PatternBytes(300'000, 3);
  WriteFile(tmp / "f.bin", content);
  const auto tree = ScanInputs({tmp / "f.bin"}, ScanOptions{});
  ASSERT_TRUE(tree.ok());
  SourceReader reader;
  std::string copy(content.size(), '\0');
  for (size_t offset = 0; offset < content.size(); offset += 65536) {
    const size_t length = std::min<size_t>(65536, content.size() - offset);
    auto* out = reinterpret_cast<uint8_t*>(copy.data() + offset);
    ASSERT_TRUE(reader.ReadRange(tree->sources[0], offset, {out, length}).ok());
  }
  EXPECT_EQ(copy, content);
  EXPECT_TRUE(reader.CheckUnchanged(tree->sources[0]).ok());
  uint8_t byte;
  EXPECT_EQ(reader.ReadRange(tree->sources[0], content.size(), {&byte, 1}).code(),
            StatusCode::kInvalidArgument);
}

TEST(SourceReaderTest, DetectsFilesChangedAfterTheScan) {
  TempDir tmp;
  WriteFile(tmp / "grows", std::string(1000, 'g'));
  WriteFile(tmp / "shrinks", std::string(1000, 's'));
  WriteFile(tmp / "replaced", std::string(1000, 'r'));
  const auto tree = ScanInputs({tmp / "grows", tmp / "shrinks", tmp / "replaced"}, ScanOptions{});
  ASSERT_TRUE(tree.ok());
  const auto& sources = tree->sources;  // sorted: grows, replaced, shrinks

  WriteFile(tmp / "grows", std::string(1001, 'g'));
  EXPECT_EQ(CheckSourceUnchanged(sources[0]).message(),
            (tmp / "grows") + ": file changed while being read (grew)");

  ASSERT_EQ(truncate((tmp / "shrinks").c_str(), 10), 0);
  std::vector<uint8_t> buffer(1000);
  const Status short_read = ReadSourceRange(sources[2], 0, buffer);
  EXPECT_EQ(short_read.code(), StatusCode::kCorrupt);
  EXPECT_EQ(short_read.message(), (tmp / "shrinks") + ": file changed while being read (shrank)");

  WriteFile(tmp / "new", std::string(1000, 'r'));
  ASSERT_EQ(rename((tmp / "new").c_str(), (tmp / "replaced").c_str()), 0);
  EXPECT_EQ(ReadSourceRange(sources[1], 0, buffer).message(),
            (tmp / "replaced") + ": file changed while being read (replaced)");
  EXPECT_EQ(ReadFile(tmp / "replaced").size(), 1000u);
}

}  // namespace
}  // namespace lmarc
