// Reading input file content after the scan, detecting files that change.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "io/file_entry.h"
#include "io/unique_fd.h"
#include "src/status.h"

namespace lmarc {

// Reads ranges of scanned regular files. Keeps the most recently used file
// open, so reading a big file range by range opens it once.
//
// A file "changed while being read" (kCorrupt, message
// "PATH: file changed while being read...") when it no longer matches its
// SourceStamp: other inode, other size or mtime/ctime. Content is only
// trustworthy if CheckUnchanged succeeds after the last range was read.
// Not thread-safe: use one SourceReader per thread.
class SourceReader {
 public:
  SourceReader() = default;
  SourceReader(SourceReader&&) = default;
  SourceReader& operator=(SourceReader&&) = default;

  // Fills `out` with the bytes at [offset, offset + out.size()) of the file.
  // The range must lie within source.size (else kInvalidArgument). Hitting
  // end-of-file early is "PATH: file changed while being read (shrank)".
  [[nodiscard]] Status ReadRange(const SourceStamp& source, uint64_t offset,
                                 std::span<uint8_t> out);

  // Re-stats source.source_path and compares it with the stamp.
  [[nodiscard]] Status CheckUnchanged(const SourceStamp& source);

  // Closes the cached descriptor (e.g. before the file is deleted).
  void Close();

 private:
  // Makes open_fd_ refer to `source`'s file, verifying it is the scanned inode.
  [[nodiscard]] Status OpenCached(const SourceStamp& source);

  UniqueFd open_fd_;
  std::string open_path_;  // source_path open_fd_ was opened from; empty if none
};

// One-shot forms of the SourceReader methods (no descriptor kept open).
[[nodiscard]] Status ReadSourceRange(const SourceStamp& source, uint64_t offset,
                                     std::span<uint8_t> out);
[[nodiscard]] Status CheckSourceUnchanged(const SourceStamp& source);

}  // namespace lmarc
