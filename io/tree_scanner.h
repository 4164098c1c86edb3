// Deterministic scan of the input trees of `lmarc create`.
#pragma once

#include <string>
#include <vector>

#include "io/file_entry.h"
#include "src/status.h"

namespace lmarc {

struct ScanOptions {
  // false: symlinks are stored as kSymlink with their link text (like tar).
  // true: a symlink is replaced by what it points to, scanned as if it were
  // there; a link that dangles stays a kSymlink, and a link to a directory
  // being scanned (an ancestor) stays a kSymlink with a warning. A directory
  // reached again deeper below itself (e.g. through a link to a grandparent
  // of the input) is skipped with a warning, never walked in a loop.
  bool follow_symlinks = false;
};

// Scans `inputs` (files, directories or symlinks) into one archive file table.
//
// Invariants of the result:
//  * each input is a root entry named ArchiveRootName(input); two inputs with
//    the same root name are kInvalidArgument;
//  * entries are sorted byte-wise by archive path and cover every directory
//    (empty ones included), regular file, symlink and hard link below the
//    roots, so the result does not depend on the order of `inputs` or on the
//    order in which the filesystem lists directories;
//  * every path passes ValidateArchivePath, and parents precede children;
//  * the first path (in entry order) of an inode with nlink > 1 is kRegular,
//    later paths of it are kHardlink with link_target = that first path;
//  * kRegular entries have consecutive stream offsets in entry order (first
//    0, next = previous offset + size); other kinds have size 0 and offset 0;
//  * sources[i] describes where entries[i] came from, as seen by the scan.
// Sockets, fifos and devices are skipped with a one-line warning on stderr.
// An unreadable directory or input is an error naming it.
StatusOr<ScannedTree> ScanInputs(const std::vector<std::string>& inputs,
                                 const ScanOptions& options);

}  // namespace lmarc
