// Safe restoration of archive entries below an output directory.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/file_entry.h"
#include "io/unique_fd.h"
#include "src/status.h"

namespace lmarc {

struct RestoreOptions {
  // false: an existing non-directory at an entry's path is kAlreadyExists.
  // true: it is replaced (unlinked, never written through). Existing
  // directories are always merged into.
  bool overwrite = false;
  bool restore_owner = (geteuid() == 0);
};

// Restores entries in three phases, each callable with any subset of the
// archive's entries (missing parent directories are created):
//   1. CreateEntries: directories, regular files (sized, mode 0600), hard
//      links, and last the symlinks;
//   2. WriteFileRange: content, possibly from several processes, each with
//      its own TreeRestorer on the same out_dir;
//   3. FinishEntries: owner, permissions and mtimes, directories last.
//
// Safety invariants, because entries come from possibly hostile archives:
//  * every path (and hard link target) passes ValidateArchivePath before
//    anything is created, so no path names anything outside out_dir;
//  * paths are resolved one component at a time from out_dir's descriptor
//    with O_NOFOLLOW, so nothing is ever created, written or changed through
//    a symlink ("PATH: refusing to write through a symlink");
//  * existing files are unlinked and recreated, never truncated in place, so
//    a pre-existing hard link cannot redirect a write.
// Not thread-safe; use one TreeRestorer per thread.
class TreeRestorer {
 public:
  // Creates out_dir (and its parents) if missing. out_dir itself is trusted:
  // it may be or pass through a symlink.
  static StatusOr<TreeRestorer> Create(std::string out_dir, RestoreOptions options);

  TreeRestorer(TreeRestorer&&) = default;
  TreeRestorer& operator=(TreeRestorer&&) = default;

  const std::string& out_dir() const { return out_dir_; }

  // Validates all of `entries` (kCorrupt on a bad path, duplicate, unknown
  // kind, or an entry below a non-directory entry), then creates them.
  [[nodiscard]] Status CreateEntries(const std::vector<FileEntry>& entries);

  // Writes `bytes` at `offset` of the kRegular `entry`, created before.
  [[nodiscard]] Status WriteFileRange(const FileEntry& entry, uint64_t offset,
                                      std::span<const uint8_t> bytes);

  // Sets owner (if restore_owner), permissions and mtime of `entries`:
  // non-directories first, then directories deepest first so that finishing
  // one never changes the mtime of a finished directory.
  [[nodiscard]] Status FinishEntries(const std::vector<FileEntry>& entries);

 private:
  TreeRestorer(std::string out_dir, RestoreOptions options, UniqueFd root);

  // Descriptor of the directory that contains `path` (borrowed: valid until
  // the next call). Creates missing components when create_missing.
  StatusOr<int> ParentFd(std::string_view path, bool create_missing);
  // After EEXIST at `path`: kAlreadyExists, or with overwrite unlinks the
  // existing non-directory so the caller can retry.
  [[nodiscard]] Status RemoveExisting(int parent_fd, const std::string& name,
                                      const FileEntry& entry);

  [[nodiscard]] Status CreateDirectory(const FileEntry& entry);
  [[nodiscard]] Status CreateRegular(const FileEntry& entry);
  [[nodiscard]] Status CreateHardlink(const FileEntry& entry);
  [[nodiscard]] Status CreateSymlink(const FileEntry& entry);
  [[nodiscard]] Status FinishEntry(const FileEntry& entry);
  StatusOr<int> WritableFd(const FileEntry& entry);

  std::string out_dir_;
  RestoreOptions options_;
  UniqueFd root_;  // out_dir, the anchor of every path resolution

  // The last parent directory resolved (a relative path, "" = out_dir).
  std::string cached_parent_path_;
  UniqueFd cached_parent_;

  struct OpenFile {
    std::string path;
    UniqueFd fd;
  };
  std::vector<OpenFile> open_files_;  // write cache, most recently used last
};

}  // namespace lmarc
