// The archive's array tables (docs/format.md §2.5): which chunks hold boxes
// of which typed dataset, so that `lmarc extract --dataset --slab` decodes
// only the chunks a region of a dataset needs.
//
//   /datasets       one row per dataset with typed chunks: its file entry,
//                   name, element type, byte order, extents and filter
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

// /datasets `filter`: a chunk's raw bytes are the elements of its box
// (kNone), or one whole HDF5 tile as HDF5's deflate filter stored it, the
// elements deflated (kDeflate) or byte-shuffled then deflated (kShuffleDeflate).
enum class ArrayFilter : uint8_t { kNone = 0, kDeflate = 1, kShuffleDeflate = 2 };
inline constexpr uint8_t kArrayFilterCount = 3;

// One row of /datasets; field order and widths are the on-disk ones.
struct DatasetRow {
  uint64_t entry = 0;        // /files row of the regular file holding it
  uint64_t name_offset = 0;  // into /dataset_names
  uint32_t name_size = 0;
  uint8_t dtype = 0;         // array::DType
  uint8_t byte_order = 0;    // array::ByteOrder
  uint8_t rank = 0;          // 1..8
  uint64_t shape[array::kMaxRank] = {};  // extents, outermost first; 0 beyond rank
  uint8_t filter = 0;        // ArrayFilter: what its chunks' raw bytes are
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
  // Whether /datasets has the `filter` field: archives written before it
  // lack it (every filter 0, outside the table checksum); writers set it.
  bool has_filter = true;

  bool empty() const { return chunks.empty(); }
  std::string Name(const DatasetRow& row) const;  // row validated
};

// The tables of a planned source: every typed chunk, deflated tiles
// included (their raw bytes are the stored deflate stream, whichever codec
// codes them). A dataset's row takes the filter of its first typed chunk;
// chunks of it with another filter are not listed (HDF5 gives a dataset one
// pipeline and tiles that skipped a filter are not typed, so none arise).
// Tiles whose inflated box exceeds kMaxChunkSize are not listed either.
ArrayTables BuildArrayTables(const ChunkSource& source);

// The bytes of `box`'s elements (C order of its extents, element size of
// `dataset`'s dtype); for filtered datasets the inflated size of its chunk.
// Rows validated.
uint64_t BoxBytes(const DatasetRow& dataset, const ArrayChunkRow& box);

// Validates the tables against §2.5 and the archive's entries and chunk
// rows: names inside /dataset_names, datasets of regular entries, known
// dtypes and filters, ranks 1..8, boxes of at least one element whose
// element count times the element size is the chunk's raw size (filtered
// datasets: at most kMaxChunkSize), chunk ids increasing. Errors name the
// row at fault.
Status ValidateArrayTables(const ArrayTables& tables, const std::vector<FileEntry>& entries,
                           const std::vector<ChunkRow>& chunks);

// Appends the rows serialised field by field (packed, little-endian) and the
// names, for the table checksum (§2.4).
void AppendArrayTables(const ArrayTables& tables, std::vector<uint8_t>* out);

H5Id DatasetRowFileType();
// `with_filter` false: without the `filter` member, for reading archives
// whose /datasets lacks it (the member stays 0).
H5Id DatasetRowMemType(bool with_filter = true);
H5Id ArrayChunkRowFileType();
H5Id ArrayChunkRowMemType();

}  // namespace lmarc
