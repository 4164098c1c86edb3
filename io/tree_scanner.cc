#include "io/tree_scanner.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "io/path_util.h"

namespace lmarc {
namespace {

using InodeKey = std::pair<uint64_t, uint64_t>;  // (st_dev, st_ino)

InodeKey KeyOf(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

void Warn(const std::string& path, const char* what) {
  std::fprintf(stderr, "lmarc: warning: %s: %s\n", path.c_str(), what);
}

// The text of the symlink at `path`; `size_hint` is its lstat size, which
// some filesystems report as 0, hence the growing buffer.
StatusOr<std::string> ReadLinkText(const std::string& path, off_t size_hint) {
  std::string text(std::max<size_t>(static_cast<size_t>(size_hint), 64) + 1, '\0');
  while (true) {
    const ssize_t n = readlink(path.c_str(), text.data(), text.size());
    if (n < 0) return ErrnoError(path, errno);
    if (static_cast<size_t>(n) < text.size()) {
      text.resize(static_cast<size_t>(n));
      return text;
    }
    text.resize(text.size() * 2);  // possibly truncated: retry with more room
  }
}

// One scanned entry before the final sort assigns hard links and offsets.
struct ScannedNode {
  FileEntry entry;
  SourceStamp source;
  uint64_t link_count = 1;  // st_nlink of the (followed) file
};

// Recursive walk of one or more roots; collects nodes in filesystem order.
class TreeWalker {
 public:
  explicit TreeWalker(const ScanOptions& options) : options_(options) {}

  // Adds the tree at `source_path` under the archive path `archive_path`.
  [[nodiscard]] Status Visit(const std::string& source_path, const std::string& archive_path,
                             bool is_root);

  std::vector<ScannedNode> TakeNodes() { return std::move(nodes_); }

 private:
  [[nodiscard]] Status ScanDirectory(const std::string& source_path,
                                     const std::string& archive_path, const struct stat& st);
  void AddNode(const std::string& source_path, const std::string& archive_path,
               const struct stat& st, EntryKind kind, std::string link_target);

  const ScanOptions options_;
  std::vector<ScannedNode> nodes_;
  // Directories currently being walked (the ancestors of the visited path).
  // Reaching one of them again would loop forever.
  std::set<InodeKey> active_directories_;
};

Status TreeWalker::Visit(const std::string& source_path, const std::string& archive_path,
                         bool is_root) {
  if (archive_path.size() > kMaxArchivePathLength) {
    return ResourceLimit(source_path + ": archive path longer than " +
                         std::to_string(kMaxArchivePathLength) + " bytes");
  }
  struct stat st;
  if (lstat(source_path.c_str(), &st) != 0) {
    if (errno == ENOENT && !is_root) {
      Warn(source_path, "vanished during the scan, skipped");
      return Status::Ok();
    }
    return ErrnoError(source_path, errno);
  }

  if (S_ISLNK(st.st_mode)) {
    ASSIGN_OR_RETURN(std::string link_text, ReadLinkText(source_path, st.st_size));
    struct stat target;
    const bool resolves = options_.follow_symlinks && stat(source_path.c_str(), &target) == 0;
    if (options_.follow_symlinks && !resolves && errno != ENOENT && errno != ELOOP) {
      return ErrnoError(source_path, errno);
    }
    if (!resolves) {  // not following, or dangling: keep the link itself
      AddNode(source_path, archive_path, st, EntryKind::kSymlink, std::move(link_text));
      return Status::Ok();
    }
    if (S_ISDIR(target.st_mode) && active_directories_.contains(KeyOf(target))) {
      Warn(source_path, "symlink to an ancestor directory (cycle), stored as a symlink");
      AddNode(source_path, archive_path, st, EntryKind::kSymlink, std::move(link_text));
      return Status::Ok();
    }
    st = target;  // scan what the link points to as if it were here
  }

  if (S_ISREG(st.st_mode)) {
    AddNode(source_path, archive_path, st, EntryKind::kRegular, "");
  } else if (S_ISDIR(st.st_mode)) {
    if (active_directories_.contains(KeyOf(st))) {  // via a followed link or a bind mount
      Warn(source_path, "directory loop (already being scanned above), skipped");
      return Status::Ok();
    }
    AddNode(source_path, archive_path, st, EntryKind::kDirectory, "");
    RETURN_IF_ERROR(ScanDirectory(source_path, archive_path, st));
  } else {
    Warn(source_path, "skipped (not a regular file, directory or symlink)");
  }
  return Status::Ok();
}

Status TreeWalker::ScanDirectory(const std::string& source_path, const std::string& archive_path,
                                 const struct stat& st) {
  active_directories_.insert(KeyOf(st));  // Visit made sure it was not active
  // Names are read and the directory closed before recursing, so the number
  // of open descriptors does not grow with the depth of the tree.
  std::vector<std::string> names;
  DIR* dir = opendir(source_path.c_str());
  if (dir == nullptr) return ErrnoError(source_path, errno);
  while (true) {
    errno = 0;
    const dirent* item = readdir(dir);
    if (item == nullptr) break;
    const std::string_view name(item->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int read_errno = errno;
  closedir(dir);
  if (read_errno != 0) return ErrnoError(source_path, read_errno);

  for (const std::string& name : names) {
    RETURN_IF_ERROR(Visit(JoinPath(source_path, name), archive_path + "/" + name, false));
  }
  active_directories_.erase(KeyOf(st));
  return Status::Ok();
}

void TreeWalker::AddNode(const std::string& source_path, const std::string& archive_path,
                         const struct stat& st, EntryKind kind, std::string link_target) {
  ScannedNode node;
  FileEntry& entry = node.entry;
  entry.path = archive_path;
  entry.kind = kind;
  entry.mode = st.st_mode & 07777;
  entry.uid = st.st_uid;
  entry.gid = st.st_gid;
  entry.mtime_sec = st.st_mtim.tv_sec;
  entry.mtime_nsec = static_cast<uint32_t>(st.st_mtim.tv_nsec);
  entry.size = kind == EntryKind::kRegular ? static_cast<uint64_t>(st.st_size) : 0;
  entry.link_target = std::move(link_target);

  SourceStamp& source = node.source;
  source.source_path = source_path;
  source.device = static_cast<uint64_t>(st.st_dev);
  source.inode = static_cast<uint64_t>(st.st_ino);
  source.size = static_cast<uint64_t>(st.st_size);
  source.mtime_sec = st.st_mtim.tv_sec;
  source.mtime_nsec = static_cast<uint32_t>(st.st_mtim.tv_nsec);
  source.ctime_sec = st.st_ctim.tv_sec;
  source.ctime_nsec = static_cast<uint32_t>(st.st_ctim.tv_nsec);

  node.link_count = static_cast<uint64_t>(st.st_nlink);
  nodes_.push_back(std::move(node));
}

// Turns later paths of a multiply-linked inode into kHardlink entries and
// assigns consecutive stream offsets; `nodes` must already be sorted.
void AssignHardlinksAndOffsets(std::vector<ScannedNode>& nodes) {
  std::map<InodeKey, std::string> first_path_of_inode;
  uint64_t next_offset = 0;
  for (ScannedNode& node : nodes) {
    FileEntry& entry = node.entry;
    if (entry.kind != EntryKind::kRegular) continue;
    if (node.link_count > 1) {
      const InodeKey key{node.source.device, node.source.inode};
      const auto [it, first] = first_path_of_inode.emplace(key, entry.path);
      if (!first) {
        entry.kind = EntryKind::kHardlink;
        entry.link_target = it->second;
        entry.size = 0;
        continue;
      }
    }
    entry.stream_offset = next_offset;
    next_offset += entry.size;
  }
}

}  // namespace

StatusOr<ScannedTree> ScanInputs(const std::vector<std::string>& inputs,
                                 const ScanOptions& options) {
  if (inputs.empty()) return InvalidArgument("no input paths given");
  std::map<std::string, std::string> input_of_root_name;
  for (const std::string& input : inputs) {
    ASSIGN_OR_RETURN(std::string root_name, ArchiveRootName(input));
    const auto [it, inserted] = input_of_root_name.emplace(root_name, input);
    if (!inserted) {
      return InvalidArgument(input + ": same archive name '" + root_name + "' as input " +
                             it->second);
    }
  }

  TreeWalker walker(options);
  // Walk in root-name order; the final sort makes the order irrelevant anyway.
  for (const auto& [root_name, input] : input_of_root_name) {
    RETURN_IF_ERROR(walker.Visit(StripTrailingSlashes(input), root_name, true));
  }
  std::vector<ScannedNode> nodes = walker.TakeNodes();
  // Archive paths are unique (distinct roots, distinct names per directory),
  // so this byte-wise order is total and independent of readdir order.
  std::sort(nodes.begin(), nodes.end(), [](const ScannedNode& a, const ScannedNode& b) {
    return a.entry.path < b.entry.path;
  });
  AssignHardlinksAndOffsets(nodes);

  ScannedTree tree;
  tree.entries.reserve(nodes.size());
  tree.sources.reserve(nodes.size());
  for (ScannedNode& node : nodes) {
    tree.entries.push_back(std::move(node.entry));
    tree.sources.push_back(std::move(node.source));
  }
  return tree;
}

}  // namespace lmarc
