// Archive path rules shared by the scanner (which produces archive paths) and
// the restorer (which must distrust every path read from an archive).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "src/status.h"

namespace lmarc {

// Longest archive path accepted, in bytes (Linux PATH_MAX).
inline constexpr size_t kMaxArchivePathLength = 4096;

// OK iff `path` is a well-formed archive path: non-empty, at most
// kMaxArchivePathLength bytes, relative, '/'-separated, without NUL bytes and
// without empty, "." or ".." components. Such a path, resolved component by
// component below a directory, can never leave that directory.
// Errors are kCorrupt (paths come from archives) and name the path, e.g.
// "../x: path escapes the output directory".
[[nodiscard]] Status ValidateArchivePath(std::string_view path);

// Splits a path on '/', dropping empty components ("a//b/" -> {"a", "b"}).
std::vector<std::string_view> SplitPathComponents(std::string_view path);

// "dir" + "name" -> "dir/name"; an empty `dir` yields `name`.
std::string JoinPath(std::string_view dir, std::string_view name);

// The on-disk path with trailing slashes removed ("data/" -> "data"); "/"
// and "//" stay "/".
std::string StripTrailingSlashes(std::string_view path);

// Number of '/'-separated components of a valid archive path ("a/b" -> 2).
size_t ArchivePathDepth(std::string_view archive_path);

// The archive name of a command-line input: its last component after trailing
// slashes are removed, like tar of a relative path ("runs/r1/" -> "r1").
// When that component is "." or ".." (e.g. ".", "a/..") the name is the last
// component of the directory it denotes (realpath), so `lmarc c .` inside
// /scratch/run42 archives the tree as "run42". The filesystem root ("/") has
// no name and is refused with kInvalidArgument; give its children instead.
StatusOr<std::string> ArchiveRootName(std::string_view input);

}  // namespace lmarc
