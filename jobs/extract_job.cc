#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>

#include "io/archive_reader.h"
#include "jobs/chunk_decoding.h"
#include "jobs/decompress_job.h"

namespace lmarc {
namespace {

bool ParseUint(std::string_view text, uint64_t* value) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

// Output of an extraction: stdout, or FILE written as FILE.partial and
// renamed by Commit, so a failed extraction leaves no complete-looking file.
class ExtractOutput {
 public:
  static StatusOr<ExtractOutput> Open(const std::string& path, bool overwrite) {
    ExtractOutput out;
    out.path_ = path;
    if (path == "-") {
      out.fd_ = STDOUT_FILENO;
      return out;
    }
    struct stat st;
    if (!overwrite && lstat(path.c_str(), &st) == 0) {
      return AlreadyExists(path + ": already exists (use -f to overwrite)");
    }
    out.partial_ = path + ".partial";
    out.fd_ = open(out.partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out.fd_ < 0) return ErrnoError(out.partial_ + ": open", errno);
    return out;
  }
  ExtractOutput() = default;
  ExtractOutput(ExtractOutput&& other) noexcept { *this = std::move(other); }
  ExtractOutput& operator=(ExtractOutput&& other) noexcept {
    std::swap(fd_, other.fd_);
    std::swap(path_, other.path_);
    std::swap(partial_, other.partial_);
    return *this;
  }
  ~ExtractOutput() {
    if (fd_ >= 0 && fd_ != STDOUT_FILENO) {
      close(fd_);
      std::remove(partial_.c_str());
    }
  }

  Status Write(std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ErrnoError(path_ + ": write", errno);
      bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status Commit() {
    if (fd_ == STDOUT_FILENO) return Status::Ok();
    const int fd = std::exchange(fd_, -1);
    if (close(fd) != 0) return ErrnoError(path_ + ": close", errno);
    if (std::rename(partial_.c_str(), path_.c_str()) != 0) return ErrnoError(path_ + ": rename", errno);
    return Status::Ok();
  }

 private:
  int fd_ = -1;
  std::string path_;
  std::string partial_;
};

StatusOr<const FileEntry*> FindFile(const ArchiveReader& reader, const std::string& path) {
  const auto& entries = reader.entries();
  const auto it = std::lower_bound(entries.begin(), entries.end(), path,
                                   [](const FileEntry& e, const std::string& p) { return e.path < p; });
  if (it == entries.end() || it->path != path) {
    return NotFound(reader.path() + ": " + path + ": no such entry in the archive");
  }
  if (it->kind == EntryKind::kHardlink) return FindFile(reader, it->link_target);
  if (it->kind != EntryKind::kRegular) {
    return InvalidArgument(reader.path() + ": " + path + ": not a regular file");
  }
  return &*it;
}

// Writes stream bytes [offset, offset + length), decoding only their chunks.
Status ExtractStreamRange(ArchiveReader& reader, uint64_t offset, uint64_t length,
                          ExtractOutput* out) {
  const auto [first, end] = reader.ChunksForRange(offset, length);
  std::vector<uint64_t> chunks;
  for (uint64_t c = first; c < end; ++c) chunks.push_back(c);
  return DecodeChunks(reader, chunks, 1, [&](uint64_t chunk, const std::vector<uint8_t>& raw) {
    const ChunkRow& row = reader.chunks()[chunk];
    const uint64_t begin = std::max(offset, row.stream_offset);
    const uint64_t stop = std::min(offset + length, row.stream_offset + row.raw_size);
    return out->Write(std::span<const uint8_t>(raw.data() + (begin - row.stream_offset), stop - begin));
  });
}

}  // namespace

StatusOr<std::vector<uint64_t>> ParseChunkList(const std::string& text) {
  std::vector<uint64_t> chunks;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item(text.data() + start, comma - start);
    const size_t dash = item.find('-');
    uint64_t low = 0;
    uint64_t high = 0;
    const bool ok = dash == std::string_view::npos
                        ? ParseUint(item, &low) && (high = low, true)
                        : ParseUint(item.substr(0, dash), &low) && ParseUint(item.substr(dash + 1), &high);
    if (!ok || low > high || high - low > (1u << 24)) {
      return InvalidArgument("--chunks: invalid list '" + text + "' (expected e.g. 3,7-9)");
    }
    for (uint64_t c = low; c <= high; ++c) chunks.push_back(c);
    start = comma + 1;
  }
  std::sort(chunks.begin(), chunks.end());
  chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
  return chunks;
}

Status ParseRange(const std::string& text, uint64_t* offset, uint64_t* length) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || !ParseUint(std::string_view(text).substr(0, colon), offset) ||
      !ParseUint(std::string_view(text).substr(colon + 1), length)) {
    return InvalidArgument("--range: expected OFFSET:LENGTH in bytes, got '" + text + "'");
  }
  return Status::Ok();
}

Status RunExtract(const ExtractOptions& options) {
  if (options.path.empty() == options.chunks.empty()) {
    return InvalidArgument("extract needs exactly one of --path or --chunks");
  }
  ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(options.archive, &BuiltinCodecs()));
  ASSIGN_OR_RETURN(ExtractOutput out, ExtractOutput::Open(options.output, options.overwrite));
  if (!options.chunks.empty()) {
    for (uint64_t chunk : options.chunks) {
      if (chunk >= reader->chunks().size()) {
        return NotFound(options.archive + ": chunk " + std::to_string(chunk) +
                        ": no such chunk (archive has " + std::to_string(reader->chunks().size()) + ")");
      }
    }
    RETURN_IF_ERROR(DecodeChunks(*reader, options.chunks, 1,
                                 [&](uint64_t, const std::vector<uint8_t>& raw) { return out.Write(raw); }));
  } else {
    ASSIGN_OR_RETURN(const FileEntry* file, FindFile(*reader, options.path));
    uint64_t offset = 0;
    uint64_t length = file->size;
    if (options.has_range) {
      if (options.range_offset > file->size || options.range_length > file->size - options.range_offset) {
        return InvalidArgument(options.path + ": --range " + std::to_string(options.range_offset) + ":" +
                               std::to_string(options.range_length) + " exceeds the file size " +
                               std::to_string(file->size));
      }
      offset = options.range_offset;
      length = options.range_length;
    }
    RETURN_IF_ERROR(ExtractStreamRange(*reader, file->stream_offset + offset, length, &out));
  }
  if (options.chunks_decoded != nullptr) *options.chunks_decoded = reader->chunks_decoded();
  return out.Commit();
}

}  // namespace lmarc
