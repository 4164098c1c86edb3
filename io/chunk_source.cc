#include "io/chunk_source.h"

#include <algorithm>

#include "src/byte_order.h"
#include "src/byte_reader.h"
#include "src/progress.h"

namespace lmarc {
namespace {

void AppendString(const std::string& s, std::vector<uint8_t>* out) {
  AppendLe32(static_cast<uint32_t>(s.size()), out);
  out->insert(out->end(), s.begin(), s.end());
}

// Reads a string written by AppendString.
Status ReadString(ByteReader& in, std::string_view field, std::string* out) {
  uint32_t size = 0;
  RETURN_IF_ERROR(in.U32(field, &size));
  const uint8_t* chars = nullptr;
  RETURN_IF_ERROR(in.Bytes(size, field, &chars));
  out->assign(reinterpret_cast<const char*>(chars), size);
  return Status::Ok();
}

}  // namespace

ChunkSource ChunkSource::Plan(ScannedTree tree, std::vector<TypedRegion> regions,
                              uint64_t chunk_size) {
  ChunkSource source;
  source.tree = std::move(tree);
  source.regions = std::move(regions);
  source.chunk_size = chunk_size;
  std::vector<uint64_t> sizes;
  for (size_t row = 0; row < source.tree.entries.size(); ++row) {
    const FileEntry& entry = source.tree.entries[row];
    if (entry.kind != EntryKind::kRegular) continue;
    source.regular_rows.push_back(row);
    sizes.push_back(entry.size);
    source.stream_size += entry.size;
  }
  // Plan file index of each region's entry (regions are sorted by entry).
  std::vector<TypedSpan> spans;
  size_t file = 0;
  for (const TypedRegion& region : source.regions) {
    while (file < source.regular_rows.size() && source.regular_rows[file] < region.entry) ++file;
    const bool regular = file < source.regular_rows.size() && source.regular_rows[file] == region.entry;
    // A region of a non-regular row can only come from a bad caller: its
    // empty span is planned as nothing.
    spans.push_back(regular ? SpanOf(region, file, chunk_size) : TypedSpan{.file = file});
  }
  source.plan = PlanChunks(sizes, spans, chunk_size);
  return source;
}

const TypedRegion* ChunkSource::Region(uint64_t chunk) const {
  const int64_t span = plan[chunk].typed_span;
  return span < 0 ? nullptr : &regions[static_cast<size_t>(span)];
}

array::ArrayLayout ChunkSource::Layout(uint64_t chunk) const {
  return ChunkLayout(*Region(chunk), chunk_size, plan[chunk].raw_size);
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

std::vector<uint8_t> SerializeTree(const ScannedTree& tree, std::span<const TypedRegion> regions) {
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
  AppendRegions(regions, &out);
  return out;
}

Status DeserializeTree(std::span<const uint8_t> bytes, ScannedTree* out,
                       std::vector<TypedRegion>* regions) {
  ByteReader in(bytes, "serialised tree");
  ScannedTree& tree = *out;
  uint64_t count = 0;
  RETURN_IF_ERROR(in.U64("entry count", &count));
  if (count > bytes.size()) return Internal("serialised tree: bad entry count");
  tree.entries.resize(count);
  tree.sources.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    FileEntry& e = tree.entries[i];
    SourceStamp& s = tree.sources[i];
    uint32_t kind = 0;
    uint64_t mtime = 0, source_mtime = 0, source_ctime = 0;
    RETURN_IF_ERROR(ReadString(in, "path", &e.path));
    RETURN_IF_ERROR(in.U32("kind", &kind));
    RETURN_IF_ERROR(in.U32("mode", &e.mode));
    RETURN_IF_ERROR(in.U32("uid", &e.uid));
    RETURN_IF_ERROR(in.U32("gid", &e.gid));
    RETURN_IF_ERROR(in.U64("mtime", &mtime));
    RETURN_IF_ERROR(in.U32("mtime ns", &e.mtime_nsec));
    RETURN_IF_ERROR(in.U64("size", &e.size));
    RETURN_IF_ERROR(in.U64("stream offset", &e.stream_offset));
    RETURN_IF_ERROR(ReadString(in, "link target", &e.link_target));
    RETURN_IF_ERROR(ReadString(in, "source path", &s.source_path));
    RETURN_IF_ERROR(in.U64("device", &s.device));
    RETURN_IF_ERROR(in.U64("inode", &s.inode));
    RETURN_IF_ERROR(in.U64("source size", &s.size));
    RETURN_IF_ERROR(in.U64("source mtime", &source_mtime));
    RETURN_IF_ERROR(in.U32("source mtime ns", &s.mtime_nsec));
    RETURN_IF_ERROR(in.U64("source ctime", &source_ctime));
    RETURN_IF_ERROR(in.U32("source ctime ns", &s.ctime_nsec));
    e.kind = static_cast<EntryKind>(kind);
    e.mtime_sec = static_cast<int64_t>(mtime);
    s.mtime_sec = static_cast<int64_t>(source_mtime);
    s.ctime_sec = static_cast<int64_t>(source_ctime);
  }
  ASSIGN_OR_RETURN(*regions, ParseRegions(bytes.subspan(in.position())));
  return Status::Ok();
}

}  // namespace lmarc
