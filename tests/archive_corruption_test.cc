// Archive-level tests of the reading jobs: extraction decodes only what it
// needs, and damaged, incomplete, newer or hostile archives are refused with
// errors naming the archive (and the chunk), never a crash or a write outside
// the output directory (docs/format.md §1, §2, §5).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "src/checksum.h"
#include "tests/archive_test_util.h"

namespace lmarc {
namespace {

using namespace ::lmarc::testing;  // NOLINT: test helpers

constexpr uint64_t kChunkSize = 4096;
const std::string kSmall = "a small file, first in the stream: chunk 0\n";
// big.bin: chunks 1..6, the last one 100 bytes.
const std::string kBig = PatternBytes(5 * kChunkSize + 100, 11);

// An archive of src/a.txt (chunk 0) and src/big.bin (chunks 1..6).
class SmallArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BuildTree(tmp_ / "src", {File("a.txt", kSmall), File("big.bin", kBig)});
    LMARC_ASSERT_OK(RunCompress(QuietCompress({tmp_ / "src"}, archive_, "zstd", kChunkSize)));
    ASSERT_EQ(ChunkRowsOf(archive_).size(), 7u);
  }

  // A copy of the archive to damage.
  std::string Copy(const std::string& name) {
    const std::string copy = tmp_ / name;
    std::filesystem::copy_file(archive_, copy);
    return copy;
  }

  // Decompress, full and quick verify all fail mentioning every one of `parts`.
  void ExpectAllReadersFail(const std::string& archive, const std::vector<std::string>& parts) {
    ExpectErrorMentions(Decompress(archive, tmp_ / ("out-" + std::to_string(++outputs_))), parts);
    ExpectErrorMentions(Verify(archive, /*quick=*/false), parts);
    ExpectErrorMentions(Verify(archive, /*quick=*/true), parts);
  }

  TempDir tmp_;
  const std::string archive_ = tmp_ / "test.lmarc.h5";
  int outputs_ = 0;
};

// --- extraction ---

using ExtractTest = SmallArchiveTest;

struct Extracted {
  Status status;
  std::string bytes;
  uint64_t chunks_decoded = 0;
};

// Extracts `path` (or, when empty, `chunks`) of `archive` into `output`.
Extracted Extract(const std::string& archive, const std::string& path,
                  const std::vector<uint64_t>& chunks, const std::string& output,
                  uint64_t range_offset = 0, uint64_t range_length = 0) {
  ExtractOptions options;
  options.archive = archive;
  options.path = path;
  options.chunks = chunks;
  options.has_range = range_length > 0;
  options.range_offset = range_offset;
  options.range_length = range_length;
  options.output = output;
  options.reporting.quiet = true;
  Extracted result;
  options.chunks_decoded = &result.chunks_decoded;
  result.status = RunExtract(options);
  result.bytes = ReadFile(output);
  return result;
}

TEST_F(ExtractTest, RangeAcrossAChunkBoundaryDecodesOnlyTheTwoChunksNeeded) {
  const Extracted got = Extract(archive_, "src/big.bin", {}, tmp_ / "range.bin", kChunkSize - 10, 20);
  LMARC_ASSERT_OK(got.status);
  EXPECT_EQ(got.chunks_decoded, 2u);
  EXPECT_TRUE(got.bytes == kBig.substr(kChunkSize - 10, 20));
}

TEST_F(ExtractTest, WholeFileDecodesOnlyItsOwnChunks) {
  const Extracted got = Extract(archive_, "src/big.bin", {}, tmp_ / "big.bin");
  LMARC_ASSERT_OK(got.status);
  EXPECT_EQ(got.chunks_decoded, 6u);
  EXPECT_TRUE(got.bytes == kBig);
}

TEST_F(ExtractTest, ChunkListReturnsExactlyThoseChunksBytes) {
  const Extracted got = Extract(archive_, "", {1, 3}, tmp_ / "chunks.bin");
  LMARC_ASSERT_OK(got.status);
  EXPECT_EQ(got.chunks_decoded, 2u);
  EXPECT_TRUE(got.bytes == kBig.substr(0, kChunkSize) + kBig.substr(2 * kChunkSize, kChunkSize));
}

TEST_F(ExtractTest, RangeBeyondTheFileOrUnknownChunkIsRefusedWithoutDecoding) {
  const Extracted range = Extract(archive_, "src/a.txt", {}, tmp_ / "range", kSmall.size() - 1, 2);
  ExpectErrorMentions(range.status, {"src/a.txt", "exceeds the file size"});
  const Extracted chunk = Extract(archive_, "", {1, 7}, tmp_ / "chunk");
  ExpectErrorMentions(chunk.status, {archive_ + ": chunk 7: no such chunk"});
  EXPECT_EQ(range.chunks_decoded + chunk.chunks_decoded, 0u);
  EXPECT_FALSE(Exists(tmp_ / "range") || Exists(tmp_ / "range.partial"));
  EXPECT_FALSE(Exists(tmp_ / "chunk") || Exists(tmp_ / "chunk.partial"));
}

TEST_F(ExtractTest, ExistingOutputWithoutOverwriteIsAlreadyExists) {
  WriteFile(tmp_ / "taken", "keep me");
  const Extracted got = Extract(archive_, "src/a.txt", {}, tmp_ / "taken");
  EXPECT_EQ(got.status.code(), StatusCode::kAlreadyExists) << got.status.message();
  EXPECT_EQ(got.bytes, "keep me");
}

// --- damaged archives ---

using CorruptArchiveTest = SmallArchiveTest;

TEST_F(CorruptArchiveTest, FlippedPayloadByteFailsEveryReaderNamingArchiveAndChunk) {
  const std::string damaged = Copy("flipped.lmarc.h5");
  CorruptChunkBody(damaged, 2, 100);
  ExpectAllReadersFail(damaged, {damaged + ": chunk 2: ", "checksum"});
  // The other chunks still decode alone.
  const Extracted chunk1 = Extract(damaged, "", {1}, tmp_ / "chunk1.bin");
  LMARC_ASSERT_OK(chunk1.status);
  EXPECT_TRUE(chunk1.bytes == kBig.substr(0, kChunkSize));
}

TEST_F(CorruptArchiveTest, AlteredChunkRowIsTableChecksumMismatch) {
  const std::vector<std::pair<std::string, std::function<void(FileTable*, std::vector<ChunkRow>*)>>>
      edits = {
          {"raw_xxh64", [](FileTable*, std::vector<ChunkRow>* c) { (*c)[3].raw_xxh64 ^= 1; }},
          {"swapped", [](FileTable*, std::vector<ChunkRow>* c) { std::swap((*c)[1], (*c)[2]); }},
          {"file_mode", [](FileTable* f, std::vector<ChunkRow>*) { f->rows[1].mode = 0777; }},
      };
  for (const auto& [name, edit] : edits) {
    SCOPED_TRACE(name);
    const std::string damaged = Copy(name + ".lmarc.h5");
    EditTables(damaged, edit, /*recompute_checksum=*/false);
    ExpectAllReadersFail(damaged, {damaged + ": ", "table checksum mismatch"});
  }
}

TEST_F(CorruptArchiveTest, AlteredChunkRowWithRecomputedTableChecksumFailsRecordChecks) {
  const std::vector<std::pair<std::string, std::function<void(FileTable*, std::vector<ChunkRow>*)>>>
      edits = {
          {"raw_xxh64", [](FileTable*, std::vector<ChunkRow>* c) { (*c)[3].raw_xxh64 ^= 1; }},
          {"payload_xxh64", [](FileTable*, std::vector<ChunkRow>* c) { (*c)[3].payload_xxh64 ^= 1; }},
          {"level", [](FileTable*, std::vector<ChunkRow>* c) { (*c)[3].level ^= 3; }},
          {"payload_size", [](FileTable*, std::vector<ChunkRow>* c) { (*c)[3].payload_size -= 1; }},
      };
  for (const auto& [name, edit] : edits) {
    SCOPED_TRACE(name);
    const std::string damaged = Copy(name + ".lmarc.h5");
    EditTables(damaged, edit, /*recompute_checksum=*/true);
    ExpectAllReadersFail(damaged, {damaged + ": chunk 3: "});
  }
}

TEST_F(CorruptArchiveTest, SwappedChunkRowsWithRecomputedTableChecksumDoNotTile) {
  const std::string damaged = Copy("swapped.lmarc.h5");
  EditTables(
      damaged, [](FileTable*, std::vector<ChunkRow>* c) { std::swap((*c)[1], (*c)[2]); }, true);
  ExpectAllReadersFail(damaged, {damaged + ": chunk 1: ", "tile"});
}

// Record and table made consistent again: only decoding can notice.
TEST_F(CorruptArchiveTest, AlteredBodyWithRecomputedPayloadChecksumFailsOnlyFullVerify) {
  const std::string damaged = Copy("rehashed.lmarc.h5");
  const ChunkRow row = ChunkRowsOf(damaged)[1];  // big.bin is random: stored
  ASSERT_EQ(row.codec, static_cast<uint16_t>(CodecId::kStored));
  CorruptChunkBody(damaged, 1, 7);
  const uint64_t record_at = RawArchive(damaged).PayloadFileOffset() + row.payload_offset;
  const std::string record = ReadFile(damaged).substr(record_at, row.payload_size);
  const uint64_t payload_xxh64 =
      Xxh64({reinterpret_cast<const uint8_t*>(record.data()), record.size()});
  EditTables(
      damaged, [&](FileTable*, std::vector<ChunkRow>* c) { (*c)[1].payload_xxh64 = payload_xxh64; },
      true);
  LMARC_ASSERT_OK(Verify(damaged, /*quick=*/true));
  ExpectErrorMentions(Verify(damaged, /*quick=*/false), {damaged + ": chunk 1: ", "checksum mismatch"});
  ExpectErrorMentions(Decompress(damaged, tmp_ / "out"), {damaged + ": chunk 1: "});
}

TEST_F(CorruptArchiveTest, TruncatedArchiveIsAClearErrorNotACrash) {
  const uint64_t size = std::filesystem::file_size(archive_);
  for (const uint64_t keep : {size / 2, size - 1, uint64_t{600}, uint64_t{8}, uint64_t{0}}) {
    SCOPED_TRACE(keep);
    const std::string damaged = Copy("truncated-" + std::to_string(keep) + ".lmarc.h5");
    std::filesystem::resize_file(damaged, keep);
    ExpectAllReadersFail(damaged, {damaged + ": "});
  }
}

TEST_F(CorruptArchiveTest, NonHdf5FileIsNotAnHdf5File) {
  WriteFile(tmp_ / "text.lmarc.h5", std::string(10'000, 'x'));
  ExpectAllReadersFail(tmp_ / "text.lmarc.h5", {tmp_ / "text.lmarc.h5: ", "not an HDF5 file"});
}

TEST_F(CorruptArchiveTest, NewerFormatVersionIsRefused) {
  const std::string newer = Copy("newer.lmarc.h5");
  RawArchive(newer).SetUintAttribute("lmarc_format_version", 2);
  ExpectAllReadersFail(newer, {newer + ": ", "newer"});
  EXPECT_EQ(Verify(newer, false).code(), StatusCode::kUnsupported);
}

TEST_F(CorruptArchiveTest, MissingOrZeroCompletionMarkerIsIncomplete) {
  const std::string missing = Copy("missing.lmarc.h5");
  RawArchive(missing).DeleteAttribute("complete");
  ExpectAllReadersFail(missing, {missing + ": ", "incomplete"});
  const std::string zero = Copy("zero.lmarc.h5");
  RawArchive(zero).SetUintAttribute("complete", 0);
  ExpectAllReadersFail(zero, {zero + ": ", "incomplete"});
}

// --- hostile archives: valid checksums, dangerous tables ---

FileEntry Regular(std::string path, uint64_t size) {
  FileEntry entry;
  entry.path = std::move(path);
  entry.mode = 0644;
  entry.size = size;
  return entry;
}
FileEntry Link(std::string path, EntryKind kind, std::string target) {
  FileEntry entry;
  entry.path = std::move(path);
  entry.kind = kind;
  entry.mode = 0777;
  entry.link_target = std::move(target);
  return entry;
}

class HostileArchiveTest : public ::testing::Test {
 protected:
  // Decompresses a hand-made archive of `entries` into tmp_/out/inner and
  // expects a refusal that adds nothing to tmp_ but out/ and out/inner.
  void ExpectRefusedWithoutWritingOutside(const std::vector<FileEntry>& entries) {
    std::filesystem::remove_all(tmp_ / "out");
    std::filesystem::remove(archive_);
    WriteHandmadeArchive(archive_, entries, "evil!");
    const std::vector<std::string> before = Listing();
    ExpectErrorMentions(Decompress(archive_, tmp_ / "out/inner"), {});
    std::vector<std::string> after = Listing();
    std::erase_if(after, [&](const std::string& p) { return p == tmp_ / "out" || p == tmp_ / "out/inner"; });
    EXPECT_EQ(after, before);
  }

  std::vector<std::string> Listing() const {
    std::vector<std::string> paths;
    for (const auto& item : std::filesystem::recursive_directory_iterator(tmp_.path())) {
      paths.push_back(item.path());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
  }

  TempDir tmp_;
  const std::string archive_ = tmp_ / "hostile.lmarc.h5";
};

TEST_F(HostileArchiveTest, PathEscapingEntriesAreRefusedWithTheArchivePath) {
  for (const std::string& path : {std::string("../evil"), std::string("a/../../evil"),
                                  tmp_ / "absolute-evil", std::string("./evil"),
                                  std::string("a//evil")}) {
    SCOPED_TRACE(path);
    ExpectRefusedWithoutWritingOutside({Regular(path, 5)});
    ExpectErrorMentions(Verify(archive_, false), {archive_ + ": "});
  }
}

TEST_F(HostileArchiveTest, HardLinkToAPathOutsideIsRefused) {
  WriteFile(tmp_ / "outside", "secret");
  ExpectRefusedWithoutWritingOutside({Regular("a", 5), Link("b", EntryKind::kHardlink, "../../outside")});
  EXPECT_EQ(ReadFile(tmp_ / "outside"), "secret");
}

TEST_F(HostileArchiveTest, EntryBelowASymlinkIsNeverWrittenThroughIt) {
  ExpectRefusedWithoutWritingOutside({Link("d", EntryKind::kSymlink, ".."), Regular("d/evil", 5)});
}

// --- writing ---

TEST(ArchiveWriterTest, DestroyedWithoutFinishLeavesNeitherArchiveNorPartial) {
  TempDir tmp;
  const std::string archive = tmp / "unfinished.lmarc.h5";
  {
    auto writer = ArchiveWriter::Create(archive, false);
    LMARC_ASSERT_OK(writer.status());
    const std::vector<uint8_t> record(1000, 7);
    LMARC_ASSERT_OK((*writer)->AppendRecord(record).status());
    EXPECT_TRUE(Exists(archive + ".partial"));
  }
  EXPECT_FALSE(Exists(archive));
  EXPECT_FALSE(Exists(archive + ".partial"));
}

TEST_F(SmallArchiveTest, ExistingArchiveWithoutOverwriteIsAlreadyExistsAndKept) {
  const std::string before = ReadFile(archive_);
  CompressOptions options = QuietCompress({tmp_ / "src"}, archive_, "zstd", 2 * kChunkSize);
  EXPECT_EQ(RunCompress(options).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ArchiveWriter::Create(archive_, false).status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(ReadFile(archive_) == before);
  EXPECT_FALSE(Exists(archive_ + ".partial"));
  options.overwrite = true;
  LMARC_ASSERT_OK(RunCompress(options));
  EXPECT_FALSE(ReadFile(archive_) == before);
}

TEST_F(SmallArchiveTest, DecompressOverExistingFilesNeedsOverwrite) {
  LMARC_ASSERT_OK(Decompress(archive_, tmp_ / "out"));
  EXPECT_EQ(Decompress(archive_, tmp_ / "out").code(), StatusCode::kAlreadyExists);
  DecompressOptions options;
  options.archive = archive_;
  options.output_dir = tmp_ / "out";
  options.overwrite = true;
  options.reporting.quiet = true;
  LMARC_ASSERT_OK(RunDecompress(options));
  ExpectSameTree(tmp_ / "src", tmp_ / "out/src");
}

}  // namespace
}  // namespace lmarc
