// Tests of TreeRestorer (io/tree_restorer.h): round trips through the
// scanner and refusal of hostile entries.
#include "io/tree_restorer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "io/source_reader.h"
#include "io/tree_scanner.h"
#include "tests/io_test_util.h"

namespace lmarc {
namespace {

using ::lmarc::testing::MakeSampleTree;
using ::lmarc::testing::ReadFile;
using ::lmarc::testing::TempDir;
using ::lmarc::testing::WriteFile;

constexpr size_t kCopyRangeSize = 64 * 1024;

// Copies every regular file's content from its source in kCopyRangeSize
// ranges, the way the archive pipeline moves it.
void CopyContent(const ScannedTree& tree, TreeRestorer& restorer) {
  SourceReader reader;
  std::vector<uint8_t> buffer(kCopyRangeSize);
  for (size_t i = 0; i < tree.entries.size(); ++i) {
    const FileEntry& entry = tree.entries[i];
    if (entry.kind != EntryKind::kRegular) continue;
    for (uint64_t offset = 0; offset < entry.size; offset += kCopyRangeSize) {
      const std::span<uint8_t> range(buffer.data(),
                                     std::min<uint64_t>(kCopyRangeSize, entry.size - offset));
      ASSERT_TRUE(reader.ReadRange(tree.sources[i], offset, range).ok()) << entry.path;
      const Status written = restorer.WriteFileRange(entry, offset, range);
      ASSERT_TRUE(written.ok()) << written.message();
    }
    ASSERT_TRUE(reader.CheckUnchanged(tree.sources[i]).ok()) << entry.path;
  }
}

void ExpectSameEntries(const std::vector<FileEntry>& expected,
                       const std::vector<FileEntry>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const FileEntry& e = expected[i];
    const FileEntry& a = actual[i];
    EXPECT_EQ(e.path, a.path);
    EXPECT_EQ(e.kind, a.kind) << e.path;
    EXPECT_EQ(e.link_target, a.link_target) << e.path;
    EXPECT_EQ(e.size, a.size) << e.path;
    EXPECT_EQ(e.stream_offset, a.stream_offset) << e.path;
    EXPECT_EQ(e.mtime_sec, a.mtime_sec) << e.path;
    EXPECT_EQ(e.mtime_nsec, a.mtime_nsec) << e.path;
    if (e.kind != EntryKind::kSymlink) {
      EXPECT_EQ(e.mode, a.mode) << e.path;
    }
    EXPECT_EQ(e.uid, a.uid) << e.path;
    EXPECT_EQ(e.gid, a.gid) << e.path;
  }
}

// The sorted names in `dir`.
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& item : std::filesystem::directory_iterator(dir)) {
    names.push_back(item.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

FileEntry Entry(std::string path, EntryKind kind, std::string link_target = "") {
  FileEntry entry;
  entry.path = std::move(path);
  entry.kind = kind;
  entry.mode = kind == EntryKind::kDirectory ? 0755 : 0644;
  entry.link_target = std::move(link_target);
  return entry;
}

TEST(TreeRestorerTest, RoundTripReproducesTheScannedTree) {
  TempDir tmp;
  MakeSampleTree(tmp / "in/root");
  auto scanned = ScanInputs({tmp / "in/root"}, ScanOptions{});
  ASSERT_TRUE(scanned.ok()) << scanned.status().message();

  auto restorer = TreeRestorer::Create(tmp / "out/nested", RestoreOptions{});
  ASSERT_TRUE(restorer.ok()) << restorer.status().message();
  const Status created = restorer->CreateEntries(scanned->entries);
  ASSERT_TRUE(created.ok()) << created.message();
  CopyContent(*scanned, *restorer);
  const Status finished = restorer->FinishEntries(scanned->entries);
  ASSERT_TRUE(finished.ok()) << finished.message();

  auto rescanned = ScanInputs({tmp / "out/nested/root"}, ScanOptions{});
  ASSERT_TRUE(rescanned.ok()) << rescanned.status().message();
  ExpectSameEntries(scanned->entries, rescanned->entries);
  for (const FileEntry& entry : scanned->entries) {
    if (entry.kind != EntryKind::kRegular) continue;
    ASSERT_EQ(ReadFile(tmp / ("in/" + entry.path)), ReadFile(tmp / ("out/nested/" + entry.path)))
        << entry.path;
  }
}

TEST(TreeRestorerTest, SubsetCreatesMissingParents) {
  TempDir tmp;
  FileEntry file = Entry("top/mid/leaf.txt", EntryKind::kRegular);
  file.size = 5;
  auto restorer = TreeRestorer::Create(tmp / "out", RestoreOptions{});
  ASSERT_TRUE(restorer.ok());
  ASSERT_TRUE(restorer->CreateEntries({file}).ok());
  const uint8_t hello[5] = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_TRUE(restorer->WriteFileRange(file, 0, hello).ok());
  ASSERT_TRUE(restorer->FinishEntries({file}).ok());
  EXPECT_EQ(ReadFile(tmp / "out/top/mid/leaf.txt"), "hello");

  const uint8_t byte = 0;
  EXPECT_EQ(restorer->WriteFileRange(file, 5, {&byte, 1}).code(), StatusCode::kCorrupt);
}

TEST(TreeRestorerTest, ExistingFilesNeedOverwriteAndAreNeverWrittenThrough) {
  TempDir tmp;
  WriteFile(tmp / "victim", "precious");
  WriteFile(tmp / "out/plain", "old");
  ASSERT_EQ(link((tmp / "victim").c_str(), (tmp / "out/hardlinked").c_str()), 0);
  ASSERT_EQ(symlink((tmp / "victim").c_str(), (tmp / "out/symlinked").c_str()), 0);
  std::vector<FileEntry> entries;
  for (const char* name : {"hardlinked", "plain", "symlinked"}) {
    entries.push_back(Entry(name, EntryKind::kRegular));
    entries.back().size = 3;
  }

  auto careful = TreeRestorer::Create(tmp / "out", RestoreOptions{});
  ASSERT_TRUE(careful.ok());
  const Status refused = careful->CreateEntries(entries);
  EXPECT_EQ(refused.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(refused.message(), "hardlinked: already exists");

  auto forced = TreeRestorer::Create(tmp / "out", RestoreOptions{.overwrite = true});
  ASSERT_TRUE(forced.ok());
  ASSERT_TRUE(forced->CreateEntries(entries).ok());
  const uint8_t bytes[3] = {'n', 'e', 'w'};
  for (const FileEntry& entry : entries) ASSERT_TRUE(forced->WriteFileRange(entry, 0, bytes).ok());
  ASSERT_TRUE(forced->FinishEntries(entries).ok());
  EXPECT_EQ(ReadFile(tmp / "victim"), "precious");
  EXPECT_EQ(ReadFile(tmp / "out/plain"), "new");
  EXPECT_EQ(ReadFile(tmp / "out/symlinked"), "new");
  struct stat st;
  ASSERT_EQ(lstat((tmp / "out/symlinked").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST(TreeRestorerTest, HostilePathsAreRefusedBeforeAnythingIsWritten) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"../x", "../x: path escapes the output directory"},
      {"/etc/x", "/etc/x: path escapes the output directory"},
      {"a/../../x", "a/../../x: path escapes the output directory"},
      {"a//b", "a//b: invalid archive path (empty or '.' component)"},
      {"./a", "./a: invalid archive path (empty or '.' component)"},
      {"", "empty archive path"},
  };
  for (const auto& [path, message] : cases) {
    TempDir tmp;
    auto restorer = TreeRestorer::Create(tmp / "out", RestoreOptions{});
    ASSERT_TRUE(restorer.ok());
    // A harmless entry first: validation must reject the batch as a whole.
    const Status status =
        restorer->CreateEntries({Entry("ok.txt", EntryKind::kRegular), Entry(path, EntryKind::kRegular)});
    EXPECT_EQ(status.code(), StatusCode::kCorrupt) << path;
    EXPECT_EQ(status.message(), message);
    EXPECT_EQ(Listing(tmp.path()), std::vector<std::string>{"out"}) << path;
    EXPECT_TRUE(Listing(tmp / "out").empty()) << path;
  }
}

TEST(TreeRestorerTest, HostileLinksAreRefused) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "outside");
  auto restorer = TreeRestorer::Create(tmp / "out", RestoreOptions{});
  ASSERT_TRUE(restorer.ok());

  // A symlink entry and a file below it in the same batch.
  const Status same_batch = restorer->CreateEntries(
      {Entry("s", EntryKind::kSymlink, tmp / "outside"), Entry("s/f", EntryKind::kRegular)});
  EXPECT_EQ(same_batch.message(), "s/f: refusing to write through a symlink");
  EXPECT_TRUE(Listing(tmp / "out").empty());

  // The same in two batches: the second meets the symlink on disk.
  ASSERT_TRUE(restorer->CreateEntries({Entry("s", EntryKind::kSymlink, tmp / "outside")}).ok());
  EXPECT_EQ(restorer->CreateEntries({Entry("s/f", EntryKind::kRegular)}).message(),
            "s/f: refusing to write through a symlink");
  EXPECT_EQ(restorer->CreateEntries({Entry("s/d/f", EntryKind::kDirectory)}).message(),
            "s/d/f: refusing to write through a symlink");
  const uint8_t byte = 'x';
  FileEntry through_link = Entry("s", EntryKind::kRegular);
  through_link.size = 1;
  EXPECT_EQ(restorer->WriteFileRange(through_link, 0, {&byte, 1}).message(),
            "s: refusing to write through a symlink");
  EXPECT_EQ(restorer->FinishEntries({through_link}).message(),
            "s: refusing to write through a symlink");
  EXPECT_TRUE(Listing(tmp / "outside").empty());

  const Status escaping_hardlink =
      restorer->CreateEntries({Entry("h", EntryKind::kHardlink, "../victim")});
  EXPECT_EQ(escaping_hardlink.message(), "h: ../victim: path escapes the output directory");
  const Status missing_target =
      restorer->CreateEntries({Entry("h", EntryKind::kHardlink, "not_restored")});
  EXPECT_EQ(missing_target.code(), StatusCode::kNotFound);
  const Status duplicate = restorer->CreateEntries(
      {Entry("d", EntryKind::kDirectory), Entry("d", EntryKind::kRegular)});
  EXPECT_EQ(duplicate.message(), "d: duplicate entry");
}

}  // namespace
}  // namespace lmarc
