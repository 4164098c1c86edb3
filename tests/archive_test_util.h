// Helpers shared by the archive-level and end-to-end tests: declarative input
// trees, tree comparison, compress/decompress shortcuts and raw edits of
// archive files (HDF5 attributes, tables, payload bytes) to build damaged or
// hostile archives.
#pragma once

#include <gtest/gtest.h>
#include <hdf5.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "io/archive_reader.h"
#include "io/archive_tables.h"
#include "io/archive_writer.h"
#include "io/chunk_record.h"
#include "jobs/compress_job.h"
#include "jobs/decompress_job.h"
#include "model/codecs.h"
#include "src/progress.h"
#include "tests/io_test_util.h"

#define LMARC_ASSERT_OK(expr)                                 \
  do {                                                        \
    const ::lmarc::Status lmarc_test_status_ = (expr);        \
    ASSERT_TRUE(lmarc_test_status_.ok()) << lmarc_test_status_.message(); \
  } while (0)

namespace lmarc::testing {

// ---------------------------------------------------------------------------
// Declarative input trees

struct TreeItem {
  enum class Kind { kFile, kDir, kSymlink, kHardlink };
  Kind kind = Kind::kFile;
  std::string path;  // relative to the tree root
  std::string data;  // content (kFile), link text (kSymlink), existing path (kHardlink)
  uint32_t mode = 0644;
  int64_t mtime_sec = 1'600'000'000;
  long mtime_nsec = 0;
};

inline TreeItem File(std::string path, std::string content, uint32_t mode = 0644,
                     int64_t mtime_sec = 1'600'000'000, long mtime_nsec = 0) {
  return {TreeItem::Kind::kFile, std::move(path), std::move(content), mode, mtime_sec, mtime_nsec};
}
inline TreeItem Dir(std::string path, uint32_t mode = 0755, int64_t mtime_sec = 1'500'000'000,
                    long mtime_nsec = 0) {
  return {TreeItem::Kind::kDir, std::move(path), "", mode, mtime_sec, mtime_nsec};
}
inline TreeItem Symlink(std::string path, std::string target, int64_t mtime_sec = 1'400'000'000) {
  return {TreeItem::Kind::kSymlink, std::move(path), std::move(target), 0777, mtime_sec, 0};
}
inline TreeItem Hardlink(std::string path, std::string existing) {
  return {TreeItem::Kind::kHardlink, std::move(path), std::move(existing), 0, 0, 0};
}

inline constexpr int64_t kTreeRootMtime = 1'234'567'890;

// Creates `root` and the items below it, in list order or reversed. Every
// directory of the tree must be listed, so that all modes and mtimes are the
// listed ones whatever the creation order.
inline void BuildTree(const std::string& root, const std::vector<TreeItem>& items,
                      bool reverse_order = false) {
  using Kind = TreeItem::Kind;
  std::vector<TreeItem> ordered = items;
  if (reverse_order) std::reverse(ordered.begin(), ordered.end());
  std::filesystem::create_directories(root);
  for (const TreeItem& item : ordered) {
    const std::string path = root + "/" + item.path;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    if (item.kind == Kind::kDir) std::filesystem::create_directories(path);
    if (item.kind == Kind::kFile) WriteFile(path, item.data);
    if (item.kind == Kind::kSymlink) {
      ASSERT_EQ(symlink(item.data.c_str(), path.c_str()), 0) << path;
    }
  }
  for (const TreeItem& item : ordered) {  // hard links need their file first
    if (item.kind != Kind::kHardlink) continue;
    ASSERT_EQ(link((root + "/" + item.data).c_str(), (root + "/" + item.path).c_str()), 0);
  }
  for (const TreeItem& item : ordered) {
    if (item.kind == Kind::kFile || item.kind == Kind::kDir) {
      ASSERT_EQ(chmod((root + "/" + item.path).c_str(), item.mode), 0) << item.path;
    }
  }
  for (const TreeItem& item : ordered) {
    if (item.kind == Kind::kFile || item.kind == Kind::kSymlink) {
      SetMtime(root + "/" + item.path, item.mtime_sec, item.mtime_nsec);
    }
  }
  // Directories deepest first: setting a child's mtime never touches its parent's.
  std::vector<TreeItem> dirs;
  for (const TreeItem& item : ordered) {
    if (item.kind == Kind::kDir) dirs.push_back(item);
  }
  std::sort(dirs.begin(), dirs.end(),
            [](const TreeItem& a, const TreeItem& b) { return a.path > b.path; });
  for (const TreeItem& dir : dirs) SetMtime(root + "/" + dir.path, dir.mtime_sec, dir.mtime_nsec);
  SetMtime(root, kTreeRootMtime, 0);
}

// ---------------------------------------------------------------------------
// Tree comparison

struct NodeInfo {
  char type = '?';          // f, d, l
  uint32_t mode = 0;        // st_mode & 07777
  int64_t mtime_sec = 0;
  long mtime_nsec = 0;
  std::string content;      // file content or link text
  std::string inode_group;  // first path (sorted) sharing this inode
  bool operator==(const NodeInfo&) const = default;
};

// Every entry below `root` (and root itself, as ""), keyed by relative path.
inline std::map<std::string, NodeInfo> SnapshotTree(const std::string& root) {
  std::map<std::string, NodeInfo> nodes;
  std::map<std::string, ino_t> inodes;
  std::vector<std::string> paths = {""};
  for (const auto& item : std::filesystem::recursive_directory_iterator(root)) {
    paths.push_back(item.path().lexically_relative(root).string());
  }
  std::sort(paths.begin(), paths.end());
  std::map<ino_t, std::string> first_path_of_inode;
  for (const std::string& rel : paths) {
    const std::string full = rel.empty() ? root : root + "/" + rel;
    struct stat st;
    if (lstat(full.c_str(), &st) != 0) ADD_FAILURE() << "lstat " << full;
    NodeInfo& node = nodes[rel];
    node.type = S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'f';
    node.mode = st.st_mode & 07777;
    node.mtime_sec = st.st_mtim.tv_sec;
    node.mtime_nsec = st.st_mtim.tv_nsec;
    if (node.type == 'f') {
      node.content = ReadFile(full);
      node.inode_group = first_path_of_inode.emplace(st.st_ino, rel).first->second;
    }
    if (node.type == 'l') node.content = std::filesystem::read_symlink(full).string();
  }
  return nodes;
}

inline void ExpectSameTree(const std::string& expected_root, const std::string& actual_root) {
  const auto expected = SnapshotTree(expected_root);
  const auto actual = SnapshotTree(actual_root);
  for (const auto& [path, node] : expected) {
    const auto it = actual.find(path);
    if (it == actual.end()) {
      ADD_FAILURE() << "missing after restore: " << path;
      continue;
    }
    const NodeInfo& got = it->second;
    EXPECT_EQ(node.type, got.type) << path;
    EXPECT_EQ(node.mode, got.mode) << path;
    EXPECT_EQ(node.mtime_sec, got.mtime_sec) << path;
    EXPECT_EQ(node.mtime_nsec, got.mtime_nsec) << path;
    EXPECT_TRUE(node.content == got.content) << path << ": content differs";
    EXPECT_EQ(node.inode_group, got.inode_group) << path << ": hard link group differs";
  }
  for (const auto& [path, node] : actual) {
    EXPECT_TRUE(expected.count(path)) << "unexpected after restore: " << path;
  }
}

// ---------------------------------------------------------------------------
// Jobs

inline CompressOptions QuietCompress(std::vector<std::string> inputs, std::string output,
                                     std::string codec = "cm", uint64_t chunk_size = 64 << 10) {
  CompressOptions options;
  options.inputs = std::move(inputs);
  options.output = std::move(output);
  options.codec = std::move(codec);
  options.chunk_size = chunk_size;
  options.reporting.quiet = true;
  return options;
}

inline Status Decompress(const std::string& archive, const std::string& output_dir,
                         int threads = 1) {
  DecompressOptions options;
  options.archive = archive;
  options.output_dir = output_dir;
  options.threads = threads;
  options.reporting.quiet = true;
  return RunDecompress(options);
}

inline Status Verify(const std::string& archive, bool quick) {
  VerifyOptions options;
  options.archive = archive;
  options.quick = quick;
  options.reporting.quiet = true;
  std::ostringstream out;
  return RunVerify(options, out);
}

inline std::vector<ChunkRow> ChunkRowsOf(const std::string& archive) {
  auto reader = ArchiveReader::Open(archive, &BuiltinCodecs());
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  return reader.ok() ? (*reader)->chunks() : std::vector<ChunkRow>{};
}

// Expects a failure whose message holds every one of `parts`.
inline void ExpectErrorMentions(const Status& status, const std::vector<std::string>& parts) {
  ASSERT_FALSE(status.ok()) << "expected an error mentioning " << ::testing::PrintToString(parts);
  for (const std::string& part : parts) {
    EXPECT_NE(status.message().find(part), std::string::npos)
        << "'" << status.message() << "' lacks '" << part << "'";
  }
}

// Writes an archive of hand-made `entries` (written as given, however
// hostile): the regular entries' contents are `stream`, in one stored chunk.
inline void WriteHandmadeArchive(const std::string& path, const std::vector<FileEntry>& entries,
                                 const std::string& stream) {
  auto writer = ArchiveWriter::Create(path, false);
  LMARC_ASSERT_OK(writer.status());
  std::vector<ChunkRow> rows;
  if (!stream.empty()) {
    const Codec& stored = *BuiltinCodecs().Find(CodecId::kStored);
    auto chunk = EncodeChunk(stored, stored, 1, 0,
                             {reinterpret_cast<const uint8_t*>(stream.data()), stream.size()});
    LMARC_ASSERT_OK(chunk.status());
    auto offset = (*writer)->AppendRecord(chunk->record);
    LMARC_ASSERT_OK(offset.status());
    chunk->row.payload_offset = *offset;
    chunk->row.first_entry = entries.size();
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].kind != EntryKind::kRegular) continue;
      chunk->row.first_entry = std::min<uint64_t>(chunk->row.first_entry, i);
      chunk->row.last_entry = i;
    }
    rows.push_back(chunk->row);
  }
  LMARC_ASSERT_OK((*writer)->Finish(entries, rows, {.codecs = "stored/1", .models = "", .chunk_size = 1 << 20}));
}

// ---------------------------------------------------------------------------
// Raw edits of archive files

// The archive opened with HDF5 (read-write unless told); closed on destruction.
class RawArchive {
 public:
  explicit RawArchive(const std::string& path, bool writable = true) {
    SilenceHdf5Errors();
    H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_file_locking(fapl.get(), false, true);
    file_ = H5Id(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.get()),
                 H5Fclose);
    EXPECT_TRUE(file_.valid()) << path;
  }
  hid_t root() const { return file_.get(); }

  void SetUintAttribute(const char* name, uint64_t value) {
    H5Id attr(H5Aopen(root(), name, H5P_DEFAULT), H5Aclose);
    ASSERT_TRUE(attr.valid()) << name;
    ASSERT_GE(H5Awrite(attr.get(), H5T_NATIVE_UINT64, &value), 0) << name;
  }
  void DeleteAttribute(const char* name) { ASSERT_GE(H5Adelete(root(), name), 0) << name; }
  std::string StringAttribute(const char* name) {
    H5Id attr(H5Aopen(root(), name, H5P_DEFAULT), H5Aclose);
    H5Id type(H5Aget_type(attr.get()), H5Tclose);
    std::string value(H5Tget_size(type.get()), '\0');
    EXPECT_GE(H5Aread(attr.get(), type.get(), value.data()), 0) << name;
    return value.substr(0, value.find('\0'));
  }

  template <typename Row>
  std::vector<Row> ReadTable(const char* name, hid_t mem_type) {
    H5Id dataset(H5Dopen2(root(), name, H5P_DEFAULT), H5Dclose);
    H5Id space(H5Dget_space(dataset.get()), H5Sclose);
    hsize_t extent = 0;
    H5Sget_simple_extent_dims(space.get(), &extent, nullptr);
    std::vector<Row> rows(extent);
    if (extent > 0) {
      EXPECT_GE(H5Dread(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), 0);
    }
    return rows;
  }
  template <typename Row>
  void WriteTable(const char* name, hid_t mem_type, const std::vector<Row>& rows) {
    H5Id dataset(H5Dopen2(root(), name, H5P_DEFAULT), H5Dclose);
    ASSERT_GE(H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), 0);
  }

  // Offset in the file of /payload's first byte (one unfiltered HDF5 chunk,
  // or contiguous).
  uint64_t PayloadFileOffset() {
    H5Id dataset(H5Dopen2(root(), "payload", H5P_DEFAULT), H5Dclose);
    const haddr_t contiguous = H5Dget_offset(dataset.get());
    if (contiguous != HADDR_UNDEF) return contiguous;
    const hsize_t origin[1] = {0};
    unsigned filter_mask = 0;
    haddr_t address = HADDR_UNDEF;
    hsize_t size = 0;
    EXPECT_GE(H5Dget_chunk_info_by_coord(dataset.get(), origin, &filter_mask, &address, &size), 0);
    return address;
  }

 private:
  H5Id file_;
};

// Rewrites /files and /chunks after `edit`; with recompute_checksum the
// table_checksum attribute is made to match the edited tables.
inline void EditTables(const std::string& archive,
                       const std::function<void(FileTable*, std::vector<ChunkRow>*)>& edit,
                       bool recompute_checksum) {
  RawArchive raw(archive);
  FileTable files;
  files.rows = raw.ReadTable<FileRow>("files", FileRowMemType().get());
  files.names = raw.ReadTable<uint8_t>("names", H5T_NATIVE_UINT8);
  auto chunks = raw.ReadTable<ChunkRow>("chunks", ChunkRowMemType().get());
  edit(&files, &chunks);
  raw.WriteTable("files", FileRowMemType().get(), files.rows);
  raw.WriteTable("chunks", ChunkRowMemType().get(), chunks);
  if (recompute_checksum) raw.SetUintAttribute("table_checksum", TableChecksum(files, chunks, ArrayTables{}));
}

inline void XorByteAt(const std::string& path, uint64_t offset, uint8_t mask = 0x5A) {
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << path;
  uint8_t byte = 0;
  ASSERT_EQ(pread(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  byte ^= mask;
  ASSERT_EQ(pwrite(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  close(fd);
}

// Flips a byte in the body of chunk `chunk`'s record, `into_body` bytes in.
inline void CorruptChunkBody(const std::string& archive, uint64_t chunk, uint64_t into_body = 0) {
  const std::vector<ChunkRow> rows = ChunkRowsOf(archive);
  ASSERT_LT(chunk, rows.size());
  ASSERT_LT(kRecordHeaderSize + into_body, rows[chunk].payload_size);
  const uint64_t payload = RawArchive(archive).PayloadFileOffset();
  XorByteAt(archive, payload + rows[chunk].payload_offset + kRecordHeaderSize + into_body);
}

inline bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

}  // namespace lmarc::testing
