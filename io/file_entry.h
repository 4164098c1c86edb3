// One entry of the archive's file table (docs/format.md, "File table").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lmarc {

// Stable on-disk values; never renumber.
enum class EntryKind : uint8_t {
  kRegular = 0,    // content lives in the data stream at [stream_offset, +size)
  kDirectory = 1,  // no content
  kSymlink = 2,    // link_target holds the link text, never followed
  kHardlink = 3,   // link_target holds the archive path of an earlier kRegular entry
};

struct FileEntry {
  // Archive path: relative, '/'-separated, no empty, "." or ".." components.
  std::string path;
  EntryKind kind = EntryKind::kRegular;
  uint32_t mode = 0;  // permission bits only (mode & 07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  uint64_t size = 0;           // bytes of content (kRegular), else 0
  uint64_t stream_offset = 0;  // offset of the content in the data stream (kRegular)
  std::string link_target;     // kSymlink / kHardlink, else empty
};

// Facts about an input file seen at scan time, used to detect a file that
// changes while it is read. Never stored in the archive.
struct SourceStamp {
  std::string source_path;  // path on disk as given by the user
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  int64_t ctime_sec = 0;
  uint32_t ctime_nsec = 0;
};

// Scanner output: entries in archive order (sorted by path, byte-wise) and,
// for each entry, where it came from (same index).
struct ScannedTree {
  std::vector<FileEntry> entries;
  std::vector<SourceStamp> sources;
};

}  // namespace lmarc
