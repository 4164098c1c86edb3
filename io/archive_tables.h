// The archive's tables (docs/format.md §2): conversion between FileEntry and
// on-disk rows, their HDF5 compound types, the table checksum and the
// validation every reader runs before trusting a table.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <vector>

#include "io/array_tables.h"
#include "io/chunk_record.h"
#include "io/file_entry.h"
#include "io/h5_handle.h"
#include "src/status.h"

namespace lmarc {

// One row of /files; field order and widths are the on-disk ones (§2.1).
struct FileRow {
  uint8_t kind = 0;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  uint64_t size = 0;
  uint64_t stream_offset = 0;
  uint64_t path_offset = 0;
  uint32_t path_size = 0;
  uint64_t link_offset = 0;
  uint32_t link_size = 0;
};

struct FileTable {
  std::vector<FileRow> rows;
  std::vector<uint8_t> names;  // /names: paths and link targets, back to back
};

FileTable EntriesToTable(const std::vector<FileEntry>& entries);

// Validates rows against names and §2.1 (paths, order, kinds, stream layout)
// and returns the entries. Errors name the offending row.
StatusOr<std::vector<FileEntry>> TableToEntries(const FileTable& table);

// Validates the chunk table against §2.2: tiling of a stream of
// `stream_size` bytes, records inside a payload of `payload_size` bytes in
// order, sizes within limits, entry ranges within `entry_count`, model
// indices within `model_count` (the ids in the `models` attribute).
Status ValidateChunkTable(const std::vector<ChunkRow>& chunks, uint64_t stream_size,
                          uint64_t payload_size, uint64_t entry_count, uint64_t model_count);

// Sum of the sizes of the regular entries (the data stream length).
uint64_t StreamSize(const std::vector<FileEntry>& entries);

// XXH64 of the tables serialised as §2.4 prescribes (the array tables only
// when the archive has them).
uint64_t TableChecksum(const FileTable& files, const std::vector<ChunkRow>& chunks,
                       const ArrayTables& arrays);

// HDF5 compound types for the rows: the packed little-endian file type and
// the native memory type of the C++ struct.
H5Id FileRowFileType();
H5Id FileRowMemType();
H5Id ChunkRowFileType();
H5Id ChunkRowMemType();

}  // namespace lmarc
