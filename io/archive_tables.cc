#include "io/archive_tables.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include "io/path_util.h"
#include "src/byte_order.h"
#include "src/checksum.h"
#include "src/chunk_plan.h"

namespace lmarc {
namespace {

constexpr uint32_t kMaxPathSize = 4096;  // bytes, §2.1

std::string RowContext(size_t row) { return "file table row " + std::to_string(row); }

void AppendFileRow(const FileRow& r, std::vector<uint8_t>* out) {
  out->push_back(r.kind);
  AppendLe32(r.mode, out);
  AppendLe32(r.uid, out);
  AppendLe32(r.gid, out);
  AppendLe64(static_cast<uint64_t>(r.mtime_sec), out);
  AppendLe32(r.mtime_nsec, out);
  AppendLe64(r.size, out);
  AppendLe64(r.stream_offset, out);
  AppendLe64(r.path_offset, out);
  AppendLe32(r.path_size, out);
  AppendLe64(r.link_offset, out);
  AppendLe32(r.link_size, out);
}

void AppendChunkRow(const ChunkRow& r, std::vector<uint8_t>* out) {
  AppendLe64(r.stream_offset, out);
  AppendLe64(r.raw_size, out);
  AppendLe64(r.payload_offset, out);
  AppendLe64(r.payload_size, out);
  AppendLe16(r.codec, out);
  out->push_back(r.level);
  AppendLe16(r.model, out);
  AppendLe64(r.raw_xxh64, out);
  AppendLe64(r.payload_xxh64, out);
  AppendLe64(r.first_entry, out);
  AppendLe64(r.last_entry, out);
}

StatusOr<std::string> NameAt(const FileTable& table, uint64_t offset, uint64_t size) {
  if (offset > table.names.size() || size > table.names.size() - offset) {
    return Corrupt("name lies outside /names");
  }
  return std::string(reinterpret_cast<const char*>(table.names.data() + offset), size);
}

}  // namespace

FileTable EntriesToTable(const std::vector<FileEntry>& entries) {
  FileTable table;
  table.rows.reserve(entries.size());
  for (const FileEntry& e : entries) {
    FileRow r;
    r.kind = static_cast<uint8_t>(e.kind);
    r.mode = e.mode;
    r.uid = e.uid;
    r.gid = e.gid;
    r.mtime_sec = e.mtime_sec;
    r.mtime_nsec = e.mtime_nsec;
    r.size = e.size;
    r.stream_offset = e.stream_offset;
    r.path_offset = table.names.size();
    r.path_size = static_cast<uint32_t>(e.path.size());
    table.names.insert(table.names.end(), e.path.begin(), e.path.end());
    if (!e.link_target.empty()) {
      r.link_offset = table.names.size();
      r.link_size = static_cast<uint32_t>(e.link_target.size());
      table.names.insert(table.names.end(), e.link_target.begin(), e.link_target.end());
    }
    table.rows.push_back(r);
  }
  return table;
}

StatusOr<std::vector<FileEntry>> TableToEntries(const FileTable& table) {
  std::vector<FileEntry> entries;
  entries.reserve(table.rows.size());
  uint64_t next_stream_offset = 0;
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const FileRow& r = table.rows[i];
    FileEntry e;
    if (r.path_size == 0 || r.path_size > kMaxPathSize) {
      return Corrupt(RowContext(i) + ": path size " + std::to_string(r.path_size));
    }
    auto path = NameAt(table, r.path_offset, r.path_size);
    if (!path.ok()) return path.status().WithContext(RowContext(i));
    e.path = std::move(path).value();
    RETURN_IF_ERROR(ValidateArchivePath(e.path).WithContext(RowContext(i)));
    if (!entries.empty() && !(entries.back().path < e.path)) {
      return Corrupt(RowContext(i) + ": paths not sorted or not unique");
    }
    if (r.kind > static_cast<uint8_t>(EntryKind::kHardlink)) {
      return Corrupt(RowContext(i) + ": unknown kind " + std::to_string(r.kind));
    }
    e.kind = static_cast<EntryKind>(r.kind);
    if (r.mode > 07777 || r.mtime_nsec >= 1000000000u) {
      return Corrupt(RowContext(i) + ": invalid mode or time");
    }
    e.mode = r.mode;
    e.uid = r.uid;
    e.gid = r.gid;
    e.mtime_sec = r.mtime_sec;
    e.mtime_nsec = r.mtime_nsec;
    const bool has_link = e.kind == EntryKind::kSymlink || e.kind == EntryKind::kHardlink;
    if (has_link != (r.link_size != 0) || r.link_size > kMaxPathSize) {
      return Corrupt(RowContext(i) + ": invalid link target");
    }
    if (has_link) {
      auto target = NameAt(table, r.link_offset, r.link_size);
      if (!target.ok()) return target.status().WithContext(RowContext(i));
      e.link_target = std::move(target).value();
    }
    if (e.kind == EntryKind::kRegular) {
      if (r.stream_offset != next_stream_offset || r.size > UINT64_MAX - next_stream_offset) {
        return Corrupt(RowContext(i) + ": content is not contiguous in the data stream");
      }
      e.size = r.size;
      e.stream_offset = r.stream_offset;
      next_stream_offset += r.size;
    } else if (r.size != 0 || r.stream_offset != 0) {
      return Corrupt(RowContext(i) + ": non-regular entry with content");
    }
    if (e.kind == EntryKind::kHardlink) {
      RETURN_IF_ERROR(ValidateArchivePath(e.link_target).WithContext(RowContext(i)));
      // The target must be an earlier regular entry; entries are sorted by path.
      const auto target = std::lower_bound(
          entries.begin(), entries.end(), e.link_target,
          [](const FileEntry& a, const std::string& path) { return a.path < path; });
      if (target == entries.end() || target->path != e.link_target ||
          target->kind != EntryKind::kRegular) {
        return Corrupt(RowContext(i) + ": hard link to a missing file");
      }
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

uint64_t StreamSize(const std::vector<FileEntry>& entries) {
  uint64_t total = 0;
  for (const FileEntry& e : entries) {
    if (e.kind == EntryKind::kRegular) total += e.size;
  }
  return total;
}

Status ValidateChunkTable(const std::vector<ChunkRow>& chunks, uint64_t stream_size,
                          uint64_t payload_size, uint64_t entry_count, uint64_t model_count) {
  uint64_t next_stream = 0;
  uint64_t next_payload = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkRow& c = chunks[i];
    const std::string where = "chunk " + std::to_string(i);
    if (c.raw_size == 0 || c.raw_size > kMaxChunkSize) return Corrupt(where + ": invalid raw size");
    if (c.stream_offset != next_stream || c.raw_size > stream_size - next_stream) {
      return Corrupt(where + ": chunks do not tile the data stream");
    }
    if (c.payload_offset < next_payload || c.payload_offset > payload_size ||
        c.payload_size > payload_size - c.payload_offset ||
        c.payload_size < kRecordHeaderSize || c.payload_size > c.raw_size + kRecordHeaderSize) {
      return Corrupt(where + ": record lies outside /payload or overlaps another");
    }
    if (c.level < kMinLevel || c.level > kMaxLevel) return Corrupt(where + ": invalid level");
    if (c.model > model_count) return Corrupt(where + ": model index beyond the models attribute");
    if (c.first_entry > c.last_entry || c.last_entry >= entry_count) {
      return Corrupt(where + ": invalid file range");
    }
    next_stream += c.raw_size;
    next_payload = c.payload_offset + c.payload_size;
  }
  if (next_stream != stream_size) return Corrupt("chunks do not cover the data stream");
  return Status::Ok();
}

uint64_t TableChecksum(const FileTable& files, const std::vector<ChunkRow>& chunks,
                       const ArrayTables& arrays) {
  Xxh64Stream hash;
  std::vector<uint8_t> bytes;
  for (const FileRow& r : files.rows) AppendFileRow(r, &bytes);
  hash.Update(bytes);
  hash.Update(files.names);
  bytes.clear();
  for (const ChunkRow& r : chunks) AppendChunkRow(r, &bytes);
  if (!arrays.empty()) AppendArrayTables(arrays, &bytes);
  hash.Update(bytes);
  return hash.Digest();
}

H5Id FileRowFileType() {
  return CompoundBuilder(65)  // 1 + 3 * 4 + 8 + 4 + 4 * 8 + 2 * 4: the packed fields
      .Next("kind", H5T_STD_U8LE)
      .Next("mode", H5T_STD_U32LE)
      .Next("uid", H5T_STD_U32LE)
      .Next("gid", H5T_STD_U32LE)
      .Next("mtime_sec", H5T_STD_I64LE)
      .Next("mtime_nsec", H5T_STD_U32LE)
      .Next("size", H5T_STD_U64LE)
      .Next("stream_offset", H5T_STD_U64LE)
      .Next("path_offset", H5T_STD_U64LE)
      .Next("path_size", H5T_STD_U32LE)
      .Next("link_offset", H5T_STD_U64LE)
      .Next("link_size", H5T_STD_U32LE)
      .Build();
}

H5Id FileRowMemType() {
  return CompoundBuilder(sizeof(FileRow))
      .Add("kind", offsetof(FileRow, kind), H5T_NATIVE_UINT8)
      .Add("mode", offsetof(FileRow, mode), H5T_NATIVE_UINT32)
      .Add("uid", offsetof(FileRow, uid), H5T_NATIVE_UINT32)
      .Add("gid", offsetof(FileRow, gid), H5T_NATIVE_UINT32)
      .Add("mtime_sec", offsetof(FileRow, mtime_sec), H5T_NATIVE_INT64)
      .Add("mtime_nsec", offsetof(FileRow, mtime_nsec), H5T_NATIVE_UINT32)
      .Add("size", offsetof(FileRow, size), H5T_NATIVE_UINT64)
      .Add("stream_offset", offsetof(FileRow, stream_offset), H5T_NATIVE_UINT64)
      .Add("path_offset", offsetof(FileRow, path_offset), H5T_NATIVE_UINT64)
      .Add("path_size", offsetof(FileRow, path_size), H5T_NATIVE_UINT32)
      .Add("link_offset", offsetof(FileRow, link_offset), H5T_NATIVE_UINT64)
      .Add("link_size", offsetof(FileRow, link_size), H5T_NATIVE_UINT32)
      .Build();
}

H5Id ChunkRowFileType() {
  return CompoundBuilder(69)  // 8 * 8 + 2 + 1 + 2: the packed fields
      .Next("stream_offset", H5T_STD_U64LE)
      .Next("raw_size", H5T_STD_U64LE)
      .Next("payload_offset", H5T_STD_U64LE)
      .Next("payload_size", H5T_STD_U64LE)
      .Next("codec", H5T_STD_U16LE)
      .Next("level", H5T_STD_U8LE)
      .Next("model", H5T_STD_U16LE)
      .Next("raw_xxh64", H5T_STD_U64LE)
      .Next("payload_xxh64", H5T_STD_U64LE)
      .Next("first_entry", H5T_STD_U64LE)
      .Next("last_entry", H5T_STD_U64LE)
      .Build();
}

H5Id ChunkRowMemType() {
  return CompoundBuilder(sizeof(ChunkRow))
      .Add("stream_offset", offsetof(ChunkRow, stream_offset), H5T_NATIVE_UINT64)
      .Add("raw_size", offsetof(ChunkRow, raw_size), H5T_NATIVE_UINT64)
      .Add("payload_offset", offsetof(ChunkRow, payload_offset), H5T_NATIVE_UINT64)
      .Add("payload_size", offsetof(ChunkRow, payload_size), H5T_NATIVE_UINT64)
      .Add("codec", offsetof(ChunkRow, codec), H5T_NATIVE_UINT16)
      .Add("level", offsetof(ChunkRow, level), H5T_NATIVE_UINT8)
      .Add("model", offsetof(ChunkRow, model), H5T_NATIVE_UINT16)
      .Add("raw_xxh64", offsetof(ChunkRow, raw_xxh64), H5T_NATIVE_UINT64)
      .Add("payload_xxh64", offsetof(ChunkRow, payload_xxh64), H5T_NATIVE_UINT64)
      .Add("first_entry", offsetof(ChunkRow, first_entry), H5T_NATIVE_UINT64)
      .Add("last_entry", offsetof(ChunkRow, last_entry), H5T_NATIVE_UINT64)
      .Build();
}

}  // namespace lmarc
