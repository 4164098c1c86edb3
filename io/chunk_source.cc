#include "io/chunk_source.h"

#include <algorithm>

#include "src/byte_order.h"
#include "src/progress.h"

namespace lmarc {
namespace {

void AppendString(const std::string& s, std::vector<uint8_t>* out) {
  AppendLe32(static_cast<uint32_t>(s.size()), out);
  out->insert(out->end(), s.begin(), s.end());
}

// Bounds-checked reader over serialised bytes.
class ByteCursor {
 public:
  explicit ByteCursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  uint64_t U64() { return Take(8) ? LoadLe64(bytes_.data() + pos_ - 8) : 0; }
  uint32_t U32() { return Take(4) ? LoadLe32(bytes_.data() + pos_ - 4) : 0; }
  std::string String() {
    const uint32_t size = U32();
    if (!Take(size)) return {};
    return std::string(reinterpret_cast<const char*>(bytes_.data() + pos_ - size), size);
  }

 private:
  bool Take(uint64_t n) {
    if (!ok_ || n > bytes_.size() - pos_) return ok_ = false;
    pos_ += n;
    return true;
  }
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

ChunkSource ChunkSource::Plan(ScannedTree tree, uint64_t chunk_size) {
  ChunkSource source;
  source.tree = std::move(tree);
  std::vector<uint64_t> sizes;
  for (size_t row = 0; row < source.tree.entries.size(); ++row) {
    const FileEntry& entry = source.tree.entries[row];
    if (entry.kind != EntryKind::kRegular) continue;
    source.regular_rows.push_back(row);
    sizes.push_back(entry.size);
    source.stream_size += entry.size;
  }
  source.plan = PlanChunks(sizes, chunk_size);
  return source;
}

Status ChunkSource::ReadChunk(uint64_t chunk, bool ignore_changed, SourceReader* reader,
                              std::vector<uint8_t>* raw) const {
  const PlannedChunk& span = plan[chunk];
  raw->resize(span.raw_size);
  const uint64_t chunk_end = span.stream_offset + span.raw_size;
  for (uint64_t file = span.first_file; file <= span.last_file; ++file) {
    const size_t row = regular_rows[file];
    const FileEntry& entry = tree.entries[row];
    const SourceStamp& stamp = tree.sources[row];
    const uint64_t begin = std::max(entry.stream_offset, span.stream_offset);
    const uint64_t end = std::min(entry.stream_offset + entry.size, chunk_end);
    if (begin >= end) continue;
    std::span<uint8_t> out(raw->data() + (begin - span.stream_offset), end - begin);
    Status status = reader->ReadRange(stamp, begin - entry.stream_offset, out);
    if (status.ok() && end == entry.stream_offset + entry.size) {
      status = reader->CheckUnchanged(stamp);
    }
    if (!status.ok()) {
      if (!ignore_changed || status.code() != StatusCode::kCorrupt) return status;
      Warn(status.message() + "; archived as read (--ignore-changed)");
    }
  }
  return Status::Ok();
}

std::vector<uint8_t> SerializeTree(const ScannedTree& tree) {
  std::vector<uint8_t> out;
  AppendLe64(tree.entries.size(), &out);
  for (size_t i = 0; i < tree.entries.size(); ++i) {
    const FileEntry& e = tree.entries[i];
    const SourceStamp& s = tree.sources[i];
    AppendString(e.path, &out);
    AppendLe32(static_cast<uint32_t>(e.kind), &out);
    AppendLe32(e.mode, &out);
    AppendLe32(e.uid, &out);
    AppendLe32(e.gid, &out);
    AppendLe64(static_cast<uint64_t>(e.mtime_sec), &out);
    AppendLe32(e.mtime_nsec, &out);
    AppendLe64(e.size, &out);
    AppendLe64(e.stream_offset, &out);
    AppendString(e.link_target, &out);
    AppendString(s.source_path, &out);
    for (uint64_t v : {s.device, s.inode, s.size}) AppendLe64(v, &out);
    AppendLe64(static_cast<uint64_t>(s.mtime_sec), &out);
    AppendLe32(s.mtime_nsec, &out);
    AppendLe64(static_cast<uint64_t>(s.ctime_sec), &out);
    AppendLe32(s.ctime_nsec, &out);
  }
  return out;
}

StatusOr<ScannedTree> DeserializeTree(std::span<const uint8_t> bytes) {
  ByteCursor in(bytes);
  ScannedTree tree;
  const uint64_t count = in.U64();
  if (count > bytes.size()) return Internal("serialised tree: bad entry count");
  tree.entries.resize(count);
  tree.sources.resize(count);
  for (uint64_t i = 0; i < count && in.ok(); ++i) {
    FileEntry& e = tree.entries[i];
    SourceStamp& s = tree.sources[i];
    e.path = in.String();
    e.kind = static_cast<EntryKind>(in.U32());
    e.mode = in.U32();
    e.uid = in.U32();
    e.gid = in.U32();
    e.mtime_sec = static_cast<int64_t>(in.U64());
    e.mtime_nsec = in.U32();
    e.size = in.U64();
    e.stream_offset = in.U64();
    e.link_target = in.String();
    s.source_path = in.String();
    s.device = in.U64();
    s.inode = in.U64();
    s.size = in.U64();
    s.mtime_sec = static_cast<int64_t>(in.U64());
    s.mtime_nsec = in.U32();
    s.ctime_sec = static_cast<int64_t>(in.U64());
    s.ctime_nsec = in.U32();
  }
  if (!in.ok()) return Internal("serialised tree is truncated");
  return tree;
}

}  // namespace lmarc
