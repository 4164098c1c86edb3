#include "io/path_util.h"

#include <cerrno>
#include <climits>
#include <cstdlib>

namespace lmarc {

Status ValidateArchivePath(std::string_view path) {
  // Printed names are cut so a hostile 1 MB path cannot flood the terminal.
  const std::string shown(path.substr(0, 200));
  if (path.empty()) return Corrupt("empty archive path");
  if (path.size() > kMaxArchivePathLength) {
    return Corrupt(shown + "...: archive path longer than " +
                   std::to_string(kMaxArchivePathLength) + " bytes");
  }
  if (path.find('\0') != std::string_view::npos) {
    return Corrupt(shown + ": archive path contains a NUL byte");
  }
  if (path.front() == '/') return Corrupt(shown + ": path escapes the output directory");

  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view component = path.substr(start, end - start);
    if (component == "..") return Corrupt(shown + ": path escapes the output directory");
    if (component.empty() || component == ".") {
      return Corrupt(shown + ": invalid archive path (empty or '.' component)");
    }
    if (slash == std::string_view::npos) return Status::Ok();
    start = slash + 1;
  }
}

std::vector<std::string_view> SplitPathComponents(std::string_view path) {
  std::vector<std::string_view> components;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) components.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return components;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string joined(dir);
  if (joined.back() != '/') joined += '/';
  joined += name;
  return joined;
}

std::string StripTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

size_t ArchivePathDepth(std::string_view archive_path) {
  size_t depth = 1;
  for (char c : archive_path) depth += (c == '/');
  return depth;
}

StatusOr<std::string> ArchiveRootName(std::string_view input) {
  if (input.empty()) return InvalidArgument("empty input path");
  const std::string stripped = StripTrailingSlashes(input);
  const size_t slash = stripped.rfind('/');
  std::string name = slash == std::string::npos ? stripped : stripped.substr(slash + 1);

  if (name == "." || name == "..") {
    // The name of the directory the input denotes, e.g. "." -> cwd's name.
    char resolved[PATH_MAX];
    if (realpath(stripped.c_str(), resolved) == nullptr) {
      return ErrnoError(stripped, errno);
    }
    const std::string_view resolved_view(resolved);
    name = std::string(resolved_view.substr(resolved_view.rfind('/') + 1));
  }
  if (name.empty() || name == "/") {
    return InvalidArgument(std::string(input) +
                           ": the filesystem root has no archive name; list its entries instead");
  }
  return name;
}

}  // namespace lmarc
