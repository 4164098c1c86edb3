// The archive's array tables (docs/format.md §2.5): which chunks hold boxes
// of which typed dataset, so that `lmarc extract --dataset --slab` decodes
// only the chunks a region of a dataset needs.
//
//   /datasets       one row per dataset with typed chunks: its file entry,
//                   name, element type, byte order and extents
//   /dataset_names  the names, back to back
//   /array_chunks   one row per typed chunk: chunk id, dataset row, and the
//                   box it holds (start and count per dimension)
//
// The tables are present exactly when the archive has typed chunks.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/chunk_record.h"
#include "io/chunk_source.h"
#include "io/file_entry.h"
#include "io/h5_handle.h"
#include "model/array/array_layout.h"
#include "src/status.h"

namespace lmarc {

// One row of /datasets; field order and widths are the on-disk ones.
struct DatasetRow {
  uint64_t entry = 0;        // /files row of the regular file holding it
  uint64_t name_offset = 0;  // into /dataset_names
  uint32_t name_size = 0;
  uint8_t dtype = 0;         // array::DType
  uint8_t byte_order = 0;    // array::ByteOrder
  uint8_t rank = 0;          // 1..8
  uint64_t shape[array::kMaxRank] = {};  // extents, outermost first; 0 beyond rank
};

// One row of /array_chunks.
struct ArrayChunkRow {
  uint64_t chunk = 0;    // chunk id, strictly increasing over the rows
  uint64_t dataset = 0;  // /datasets row
  uint64_t start[array::kMaxRank] = {};  // first element of the box, dataset coordinates
  uint64_t count[array::kMaxRank] = {};  // box extents (>= 1 within rank, 0 beyond)
};

struct ArrayTables {
  std::vector<DatasetRow> datasets;
  std::vector<uint8_t> names;
  std::vector<ArrayChunkRow> chunks;

  bool empty() const { return chunks.empty(); }
  std::string Name(const DatasetRow& row) const;  // row validated
};

// The tables of a planned source, given the chunk rows written for it.
ArrayTables BuildArrayTables(const ChunkSource& source);

// Validates the tables against §2.5 and the archive's entries and chunk
// rows: names inside /dataset_names, datasets of regular entries, known
// dtypes, ranks 1..8, boxes of at least one element whose element count times
// the element size is the chunk's raw size, chunk ids increasing. Errors name
// the row at fault.
Status ValidateArrayTables(const ArrayTables& tables, const std::vector<FileEntry>& entries,
                           const std::vector<ChunkRow>& chunks);

// Appends the rows serialised field by field (packed, little-endian) and the
// names, for the table checksum (§2.4).
void AppendArrayTables(const ArrayTables& tables, std::vector<uint8_t>* out);

H5Id DatasetRowFileType();
H5Id DatasetRowMemType();
H5Id ArrayChunkRowFileType();
H5Id ArrayChunkRowMemType();

}  // namespace lmarc
