// Extraction by region (`lmarc extract ARCHIVE --dataset FILE:/var --slab
// 0:10,:,:`): the slab syntax, finding the dataset and the typed chunks a
// slab needs in the array tables, assembling the slab from decoded boxes and
// writing it as a new HDF5 dataset or as raw bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/array_tables.h"
#include "io/file_entry.h"
#include "io/h5_handle.h"
#include "model/array/array_layout.h"
#include "src/status.h"

namespace lmarc {

// A box of a dataset: first element and extents per dimension.
struct Slab {
  std::vector<uint64_t> start, count;
  uint64_t Elements() const;
};

// "0:10,:,5" against a dataset of extents `shape`: per dimension ":" (all),
// "I" (one index), "A:B", "A:" or ":B" (B exclusive), comma-separated, one
// per dimension; an empty text is the whole dataset. InvalidArgument naming
// the offending part (bad syntax, empty or out-of-range interval, wrong
// number of dimensions).
StatusOr<Slab> ParseSlab(std::string_view text, std::span<const uint64_t> shape);

// The /datasets row named by "FILE:/path" (FILE an archive path, /path the
// dataset; "FILE" alone or "FILE:" is a raw array). NotFound listing what
// the archive holds for FILE.
StatusOr<uint64_t> FindDataset(const ArrayTables& tables, const std::vector<FileEntry>& entries,
                               std::string_view spec);

// The /array_chunks rows of `dataset` whose boxes intersect `slab`, in chunk
// order. NotFound when the boxes do not cover every element of the slab (the
// rest of the dataset is stored as plain bytes: tiles through other filters
// than deflate(+shuffle), unallocated or small parts; `lmarc decompress`
// restores those).
StatusOr<std::vector<size_t>> ChunksForSlab(const ArrayTables& tables, uint64_t dataset,
                                            const Slab& slab);

// Turns `box`'s decoded chunk bytes (*bytes, replaced) into its elements:
// for a filtered dataset (§2.5) the chunk's deflate stream is inflated to
// exactly BoxBytes (never more is allocated) and, for kShuffleDeflate,
// un-shuffled; unfiltered chunks are the elements already. Corrupt naming
// the cause when the stream does not inflate to that size.
[[nodiscard]] Status UnfilterBox(const DatasetRow& dataset, const ArrayChunkRow& box,
                                 std::vector<uint8_t>* bytes);

// Copies the elements of `box` (its chunk's decoded bytes, C order of
// box.count) that lie inside `slab` to their places in `slab_bytes` (C order
// of slab.count). `element` bytes per element.
void CopyIntersection(const ArrayChunkRow& box, size_t rank, size_t element,
                      std::span<const uint8_t> box_bytes, const Slab& slab,
                      std::span<uint8_t> slab_bytes);

// A new HDF5 datatype (caller owns it) for elements of `dtype` stored in
// `order`: the standard types, and for i24 a 3-byte, 24-bit integer.
H5Id Hdf5ElementType(array::DType dtype, array::ByteOrder order);

// Writes `bytes` (the slab's elements in the dataset's stored type and byte
// order) as dataset `name` of a new HDF5 file at `path` (via PATH.partial,
// renamed when complete). AlreadyExists unless overwrite.
Status WriteSlabHdf5(const std::string& path, bool overwrite, const std::string& name,
                     const DatasetRow& dataset, const Slab& slab, std::span<const uint8_t> bytes);

}  // namespace lmarc
