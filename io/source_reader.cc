#include "io/source_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace lmarc {
namespace {

Status ChangedWhileRead(const SourceStamp& source, std::string_view detail) {
  std::string message = source.source_path + ": file changed while being read";
  if (!detail.empty()) message += " (" + std::string(detail) + ")";
  return Corrupt(std::move(message));
}

// Compares a fresh stat of the file with the scan-time stamp.
Status CompareWithStamp(const SourceStamp& source, const struct stat& now) {
  if (static_cast<uint64_t>(now.st_dev) != source.device ||
      static_cast<uint64_t>(now.st_ino) != source.inode) {
    return ChangedWhileRead(source, "replaced");
  }
  if (static_cast<uint64_t>(now.st_size) < source.size) return ChangedWhileRead(source, "shrank");
  if (static_cast<uint64_t>(now.st_size) > source.size) return ChangedWhileRead(source, "grew");
  if (now.st_mtim.tv_sec != source.mtime_sec ||
      static_cast<uint32_t>(now.st_mtim.tv_nsec) != source.mtime_nsec ||
      now.st_ctim.tv_sec != source.ctime_sec ||
      static_cast<uint32_t>(now.st_ctim.tv_nsec) != source.ctime_nsec) {
    return ChangedWhileRead(source, "");
  }
  return Status::Ok();
}

}  // namespace

Status SourceReader::OpenCached(const SourceStamp& source) {
  if (open_fd_.valid() && open_path_ == source.source_path) return Status::Ok();
  Close();
  // The path may be a symlink when the scan followed symlinks; the inode
  // check below makes sure the file opened is the one that was scanned.
  UniqueFd fd(open(source.source_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return ErrnoError(source.source_path, errno);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoError(source.source_path, errno);
  if (static_cast<uint64_t>(st.st_dev) != source.device ||
      static_cast<uint64_t>(st.st_ino) != source.inode) {
    return ChangedWhileRead(source, "replaced");
  }
  open_fd_ = std::move(fd);
  open_path_ = source.source_path;
  return Status::Ok();
}

Status SourceReader::ReadRange(const SourceStamp& source, uint64_t offset,
                               std::span<uint8_t> out) {
  if (offset > source.size || out.size() > source.size - offset) {
    return InvalidArgument(source.source_path + ": read of [" + std::to_string(offset) + ", +" +
                           std::to_string(out.size()) + ") beyond the scanned size " +
                           std::to_string(source.size));
  }
  RETURN_IF_ERROR(OpenCached(source));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = pread(open_fd_.get(), out.data() + done, out.size() - done,
                            static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int read_errno = errno;
      Close();
      return ErrnoError(source.source_path, read_errno);
    }
    if (n == 0) return ChangedWhileRead(source, "shrank");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SourceReader::CheckUnchanged(const SourceStamp& source) {
  // stat, not lstat: the same resolution as OpenCached and the scan.
  struct stat now;
  if (stat(source.source_path.c_str(), &now) != 0) {
    if (errno == ENOENT) return ChangedWhileRead(source, "deleted");
    return ErrnoError(source.source_path, errno);
  }
  return CompareWithStamp(source, now);
}

void SourceReader::Close() {
  open_fd_.Reset();
  open_path_.clear();
}

Status ReadSourceRange(const SourceStamp& source, uint64_t offset, std::span<uint8_t> out) {
  SourceReader reader;
  return reader.ReadRange(source, offset, out);
}

Status CheckSourceUnchanged(const SourceStamp& source) {
  SourceReader reader;
  return reader.CheckUnchanged(source);
}

}  // namespace lmarc
