#include "io/tree_restorer.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <unordered_map>

#include "io/path_util.h"

namespace lmarc {
namespace {

constexpr size_t kMaxOpenWriteFiles = 8;

std::string_view ParentOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string BaseName(std::string_view path) {
  return std::string(path.substr(path.rfind('/') + 1));  // npos + 1 == 0
}

Status ThroughSymlink(std::string_view path, StatusCode code) {
  return Status(code, std::string(path) + ": refusing to write through a symlink");
}

// The archive-level checks of CreateEntries/FinishEntries, done on the whole
// vector before anything is touched so a hostile archive writes nothing.
Status ValidateEntries(const std::vector<FileEntry>& entries) {
  std::unordered_map<std::string_view, EntryKind> kind_of_path;
  kind_of_path.reserve(entries.size());
  for (const FileEntry& entry : entries) {
    RETURN_IF_ERROR(ValidateArchivePath(entry.path));
    if (entry.kind > EntryKind::kHardlink) return Corrupt(entry.path + ": unknown entry kind");
    if (!kind_of_path.emplace(entry.path, entry.kind).second) {
      return Corrupt(entry.path + ": duplicate entry");
    }
  }
  for (const FileEntry& entry : entries) {
    // Every ancestor that is itself an entry must be a directory.
    for (size_t slash = entry.path.find('/'); slash != std::string::npos;
         slash = entry.path.find('/', slash + 1)) {
      const std::string_view ancestor(entry.path.data(), slash);
      const auto it = kind_of_path.find(ancestor);
      if (it == kind_of_path.end() || it->second == EntryKind::kDirectory) continue;
      if (it->second == EntryKind::kSymlink) return ThroughSymlink(entry.path, StatusCode::kCorrupt);
      return Corrupt(entry.path + ": parent " + std::string(ancestor) + " is not a directory");
    }
    switch (entry.kind) {
      case EntryKind::kRegular:
        if (entry.size > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
          return Corrupt(entry.path + ": file size too large");
        }
        break;
      case EntryKind::kHardlink: {
        RETURN_IF_ERROR(ValidateArchivePath(entry.link_target).WithContext(entry.path));
        // A target outside this subset must already exist on disk (checked
        // when linking); one inside it must be a regular file.
        const auto target = kind_of_path.find(entry.link_target);
        if (target != kind_of_path.end() && target->second != EntryKind::kRegular) {
          return Corrupt(entry.path + ": hard link target " + entry.link_target +
                         " is not a regular file");
        }
        break;
      }
      case EntryKind::kSymlink:
        if (entry.link_target.empty() || entry.link_target.size() > kMaxArchivePathLength ||
            entry.link_target.find('\0') != std::string::npos) {
          return Corrupt(entry.path + ": invalid symlink target");
        }
        break;
      case EntryKind::kDirectory:
        break;
    }
  }
  return Status::Ok();
}

// True if the on-disk object `st` has the type entry.kind restores.
bool MatchesKind(const struct stat& st, EntryKind kind) {
  switch (kind) {
    case EntryKind::kDirectory: return S_ISDIR(st.st_mode);
    case EntryKind::kSymlink: return S_ISLNK(st.st_mode);
    case EntryKind::kRegular:
    case EntryKind::kHardlink: return S_ISREG(st.st_mode);
  }
  return false;
}

}  // namespace

TreeRestorer::TreeRestorer(std::string out_dir, RestoreOptions options, UniqueFd root)
    : out_dir_(std::move(out_dir)), options_(options), root_(std::move(root)) {}

StatusOr<TreeRestorer> TreeRestorer::Create(std::string out_dir, RestoreOptions options) {
  if (out_dir.empty()) return InvalidArgument("empty output directory");
  // mkdir -p: every prefix ending before a '/', then the whole path.
  for (size_t slash = out_dir.find('/', 1);; slash = out_dir.find('/', slash + 1)) {
    const std::string prefix = out_dir.substr(0, slash);
    if (mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST) return ErrnoError(prefix, errno);
    if (slash == std::string::npos) break;
  }
  UniqueFd root(open(out_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return ErrnoError(out_dir, errno);
  return TreeRestorer(std::move(out_dir), options, std::move(root));
}

StatusOr<int> TreeRestorer::ParentFd(std::string_view path, bool create_missing) {
  const std::string_view parent_path = ParentOf(path);
  if (parent_path.empty()) return root_.get();
  if (cached_parent_.valid() && parent_path == cached_parent_path_) return cached_parent_.get();

  cached_parent_.Reset();
  cached_parent_path_.clear();
  UniqueFd current;  // invalid: the walk is at root_
  for (std::string_view component : SplitPathComponents(parent_path)) {
    const std::string name(component);
    const int at = current.valid() ? current.get() : root_.get();
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int next = openat(at, name.c_str(), flags);
    if (next < 0 && errno == ENOENT && create_missing) {
      // An implicit parent (subset restore); umask applies as for mkdir -p.
      if (mkdirat(at, name.c_str(), 0777) != 0 && errno != EEXIST) {
        return ErrnoError(std::string(path), errno);
      }
      next = openat(at, name.c_str(), flags);
    }
    if (next < 0) {
      const int open_errno = errno;
      struct stat st;
      if ((open_errno == ELOOP || open_errno == ENOTDIR) &&
          fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode)) return ThroughSymlink(path, StatusCode::kIoError);
        return IoError(std::string(path) + ": a parent component is not a directory");
      }
      return ErrnoError(std::string(path), open_errno);
    }
    current.Reset(next);
  }
  cached_parent_ = std::move(current);
  cached_parent_path_ = std::string(parent_path);
  return cached_parent_.get();
}

Status TreeRestorer::RemoveExisting(int parent_fd, const std::string& name,
                                    const FileEntry& entry) {
  if (!options_.overwrite) return AlreadyExists(entry.path + ": already exists");
  struct stat st;
  if (fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(entry.path, errno);
  }
  if (S_ISDIR(st.st_mode)) return AlreadyExists(entry.path + ": exists as a directory");
  if (unlinkat(parent_fd, name.c_str(), 0) != 0) return ErrnoError(entry.path, errno);
  return Status::Ok();
}

Status TreeRestorer::CreateDirectory(const FileEntry& entry) {
  ASSIGN_OR_RETURN(const int parent, ParentFd(entry.path, true));
  const std::string name = BaseName(entry.path);
  // 0700 until FinishEntries, so the tree stays writable while restoring.
  if (mkdirat(parent, name.c_str(), 0700) == 0) return Status::Ok();
  if (errno != EEXIST) return ErrnoError(entry.path, errno);
  struct stat st;
  if (fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(entry.path, errno);
  }
  if (S_ISDIR(st.st_mode)) return Status::Ok();  // merge into an existing directory
  RETURN_IF_ERROR(RemoveExisting(parent, name, entry));
  if (mkdirat(parent, name.c_str(), 0700) != 0) return ErrnoError(entry.path, errno);
  return Status::Ok();
}

Status TreeRestorer::CreateRegular(const FileEntry& entry) {
  ASSIGN_OR_RETURN(const int parent, ParentFd(entry.path, true));
  const std::string name = BaseName(entry.path);
  // O_EXCL: a fresh inode, never an existing file or whatever a link names.
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd(openat(parent, name.c_str(), flags, 0600));
  if (!fd.valid() && errno == EEXIST) {
    RETURN_IF_ERROR(RemoveExisting(parent, name, entry));
    fd.Reset(openat(parent, name.c_str(), flags, 0600));
  }
  if (!fd.valid()) return ErrnoError(entry.path, errno);
  // Sized now so that writers in other processes can pwrite at any offset.
  if (ftruncate(fd.get(), static_cast<off_t>(entry.size)) != 0) {
    return ErrnoError(entry.path, errno);
  }
  return Status::Ok();
}

Status TreeRestorer::CreateHardlink(const FileEntry& entry) {
  // Both ends are resolved safely; the target's parent is copied because
  // resolving the link's parent reuses the parent cache.
  ASSIGN_OR_RETURN(const int borrowed_target_parent, ParentFd(entry.link_target, false));
  UniqueFd target_parent(fcntl(borrowed_target_parent, F_DUPFD_CLOEXEC, 0));
  if (!target_parent.valid()) return ErrnoError(entry.path, errno);
  const std::string target_name = BaseName(entry.link_target);
  struct stat st;
  if (fstatat(target_parent.get(), target_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return NotFound(entry.path + ": hard link target " + entry.link_target + " was not restored");
    }
    return ErrnoError(entry.path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return IoError(entry.path + ": hard link target " + entry.link_target +
                   " is not a regular file");
  }

  ASSIGN_OR_RETURN(const int parent, ParentFd(entry.path, true));
  const std::string name = BaseName(entry.path);
  // flags 0: linkat never follows a symlink at the target.
  if (linkat(target_parent.get(), target_name.c_str(), parent, name.c_str(), 0) == 0) {
    return Status::Ok();
  }
  if (errno != EEXIST) return ErrnoError(entry.path, errno);
  RETURN_IF_ERROR(RemoveExisting(parent, name, entry));
  if (linkat(target_parent.get(), target_name.c_str(), parent, name.c_str(), 0) != 0) {
    return ErrnoError(entry.path, errno);
  }
  return Status::Ok();
}

Status TreeRestorer::CreateSymlink(const FileEntry& entry) {
  ASSIGN_OR_RETURN(const int parent, ParentFd(entry.path, true));
  const std::string name = BaseName(entry.path);
  if (symlinkat(entry.link_target.c_str(), parent, name.c_str()) == 0) return Status::Ok();
  if (errno != EEXIST) return ErrnoError(entry.path, errno);
  RETURN_IF_ERROR(RemoveExisting(parent, name, entry));
  if (symlinkat(entry.link_target.c_str(), parent, name.c_str()) != 0) {
    return ErrnoError(entry.path, errno);
  }
  return Status::Ok();
}

Status TreeRestorer::CreateEntries(const std::vector<FileEntry>& entries) {
  RETURN_IF_ERROR(ValidateEntries(entries));
  // Overwriting replaces inodes; cached write descriptors may name old ones.
  open_files_.clear();
  // Phase order: hard links need their targets, and symlinks come last so
  // no later creation in this call can meet one.
  for (const FileEntry& entry : entries) {
    if (entry.kind == EntryKind::kDirectory) RETURN_IF_ERROR(CreateDirectory(entry));
    if (entry.kind == EntryKind::kRegular) RETURN_IF_ERROR(CreateRegular(entry));
  }
  for (const FileEntry& entry : entries) {
    if (entry.kind == EntryKind::kHardlink) RETURN_IF_ERROR(CreateHardlink(entry));
  }
  for (const FileEntry& entry : entries) {
    if (entry.kind == EntryKind::kSymlink) RETURN_IF_ERROR(CreateSymlink(entry));
  }
  return Status::Ok();
}

StatusOr<int> TreeRestorer::WritableFd(const FileEntry& entry) {
  const auto cached = std::find_if(open_files_.begin(), open_files_.end(),
                                   [&](const OpenFile& file) { return file.path == entry.path; });
  if (cached != open_files_.end()) {
    std::rotate(cached, cached + 1, open_files_.end());  // now most recently used
    return open_files_.back().fd.get();
  }
  ASSIGN_OR_RETURN(const int parent, ParentFd(entry.path, false));
  const std::string name = BaseName(entry.path);
  // O_NONBLOCK: opening a fifo planted at the path must not hang.
  UniqueFd fd(openat(parent, name.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ELOOP) return ThroughSymlink(entry.path, StatusCode::kIoError);
    if (errno == ENOENT) return NotFound(entry.path + ": not created before writing");
    return ErrnoError(entry.path, errno);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoError(entry.path, errno);
  if (!S_ISREG(st.st_mode)) return IoError(entry.path + ": not a regular file on disk");

  if (open_files_.size() == kMaxOpenWriteFiles) open_files_.erase(open_files_.begin());
  open_files_.push_back(OpenFile{entry.path, std::move(fd)});
  return open_files_.back().fd.get();
}

Status TreeRestorer::WriteFileRange(const FileEntry& entry, uint64_t offset,
                                    std::span<const uint8_t> bytes) {
  if (entry.kind != EntryKind::kRegular) {
    return InvalidArgument(entry.path + ": content written to a non-regular entry");
  }
  RETURN_IF_ERROR(ValidateArchivePath(entry.path));
  if (offset > entry.size || bytes.size() > entry.size - offset) {
    return Corrupt(entry.path + ": content range [" + std::to_string(offset) + ", +" +
                   std::to_string(bytes.size()) + ") beyond the file size " +
                   std::to_string(entry.size));
  }
  ASSIGN_OR_RETURN(const int fd, WritableFd(entry));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = pwrite(fd, bytes.data() + done, bytes.size() - done,
                             static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(entry.path, errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status TreeRestorer::FinishEntry(const FileEntry& entry) {
  ASSIGN_OR_RETURN(const int parent, ParentFd(entry.path, false));
  const std::string name = BaseName(entry.path);
  struct stat st;
  if (fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(entry.path, errno);
  }
  // Guards the calls below, which act on whatever is at the path now.
  if (!MatchesKind(st, entry.kind)) {
    if (S_ISLNK(st.st_mode)) return ThroughSymlink(entry.path, StatusCode::kIoError);
    return IoError(entry.path + ": changed type on disk during the restore");
  }
  // Owner first: chown clears set-user-ID and set-group-ID bits.
  if (options_.restore_owner &&
      fchownat(parent, name.c_str(), entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(entry.path, errno);
  }
  // Symlink permissions do not exist on Linux; AT_SYMLINK_NOFOLLOW makes a
  // symlink swapped in since the check fail instead of being followed.
  if (entry.kind != EntryKind::kSymlink &&
      fchmodat(parent, name.c_str(), entry.mode & 07777, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(entry.path, errno);
  }
  const struct timespec times[2] = {
      {0, UTIME_OMIT},  // atime: left as is
      {static_cast<time_t>(entry.mtime_sec), static_cast<long>(entry.mtime_nsec)},
  };
  if (utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(entry.path, errno);
  }
  return Status::Ok();
}

Status TreeRestorer::FinishEntries(const std::vector<FileEntry>& entries) {
  RETURN_IF_ERROR(ValidateEntries(entries));
  open_files_.clear();  // content is complete; release the descriptors
  std::vector<const FileEntry*> directories;
  for (const FileEntry& entry : entries) {
    if (entry.kind == EntryKind::kDirectory) {
      directories.push_back(&entry);
    } else {
      RETURN_IF_ERROR(FinishEntry(entry));
    }
  }
  // Deepest first: finishing a directory's children never happens after it.
  std::stable_sort(directories.begin(), directories.end(),
                   [](const FileEntry* a, const FileEntry* b) {
                     return ArchivePathDepth(a->path) > ArchivePathDepth(b->path);
                   });
  for (const FileEntry* directory : directories) RETURN_IF_ERROR(FinishEntry(*directory));
  return Status::Ok();
}

}  // namespace lmarc
