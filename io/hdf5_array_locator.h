// Locating the typed arrays of an HDF5 file (NetCDF-4 files are HDF5): for
// every dataset of integer or IEEE float elements, its layout (ArrayLayout:
// dtype, byte order, shape) and where its stored bytes lie in the file —
// one range for a contiguous dataset, one per allocated chunk (an N-D tile)
// for a chunked one, with the filter pipeline those chunks went through.
//
// The file is untrusted: every reported range is checked to lie within the
// file and no two ranges (of any datasets) overlap; a violation makes the
// whole file kCorrupt (callers then store it as bytes). libhdf5 itself may
// still crash on malformed files: run this in a helper process for input
// that is not trusted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/array/array_layout.h"
#include "src/status.h"

namespace lmarc {

enum class Hdf5Storage : uint8_t { kContiguous, kChunked };

// HDF5 filter ids (H5Z_filter_t) that lmarc knows; registered third-party
// filters have ids >= 256.
inline constexpr int kHdf5FilterDeflate = 1;
inline constexpr int kHdf5FilterShuffle = 2;

// One filter of a chunked dataset's pipeline.
struct Hdf5Filter {
  int id = 0;                         // H5Z_filter_t
  std::string name;                   // as stored in the file (may be empty)
  std::vector<unsigned> parameters;   // client data values (deflate: {level}; shuffle: {element bytes})
  bool optional = false;              // H5Z_FLAG_OPTIONAL: a chunk may skip it (filter_mask)
};

struct Hdf5Chunk {
  // Element coordinates of the tile's first element, outermost first; each a
  // multiple of the chunk extent and inside the dataset's extent.
  std::vector<uint64_t> start;
  uint32_t filter_mask = 0;  // bit i set: pipeline filter i was not applied to this chunk
  uint64_t address = 0;      // file offset of the stored (filtered) bytes
  uint64_t bytes = 0;        // stored bytes, > 0
};

struct Hdf5Dataset {
  std::string path;  // absolute, "/group/name"
  // Element type, byte order and the dataspace extents ({1} for a scalar).
  array::ArrayLayout layout;
  Hdf5Storage storage = Hdf5Storage::kContiguous;

  // kContiguous: [address, address + bytes) holds all elements in C order;
  // bytes = element count * element bytes.
  uint64_t address = 0;
  uint64_t bytes = 0;

  // kChunked: an unfiltered chunk holds product(chunk_shape) elements in C
  // order, the whole tile (parts beyond the dataset's extent included).
  std::vector<uint64_t> chunk_shape;
  std::vector<Hdf5Chunk> chunks;     // allocated chunks, sorted by start
  std::vector<Hdf5Filter> filters;   // in the order applied when writing
  bool shuffle = false;              // the pipeline has the shuffle filter
  int deflate_level = -1;            // deflate's level, -1 without deflate
  // True when the pipeline is empty, [shuffle], [deflate] or
  // [shuffle, deflate]: values can be recovered from the stored bytes.
  bool filters_modelable = true;
};

// A dataset that holds no locatable typed array, and why ("compact
// storage", "compound type", ...).
struct Hdf5SkippedDataset {
  std::string path;
  std::string reason;
};

struct Hdf5Arrays {
  std::vector<Hdf5Dataset> datasets;         // sorted by path
  std::vector<Hdf5SkippedDataset> skipped;   // sorted by path
  uint64_t file_bytes = 0;                   // the ranges were validated against this size
  // Added to the library's chunk addresses to make them file offsets (the
  // user block size with HDF5 < 1.14.4, else 0); already applied to chunks.
  uint64_t chunk_address_base = 0;
};

// Listing a dataset's chunks costs time quadratic in their number with the
// HDF5 1.10 API (each H5Dget_chunk_info call walks the chunk index); datasets
// with more chunks are skipped.
inline constexpr uint64_t kMaxHdf5ChunksPerDataset = 16384;

// Walks every dataset reachable through hard links from the root group of
// the HDF5 file at `path` (each object once; soft and external links are not
// followed). kCorrupt when the file is not HDF5 or a reported range is
// inconsistent with the file; errors name no path: callers add it.
[[nodiscard]] StatusOr<Hdf5Arrays> LocateHdf5Arrays(const std::string& path);

}  // namespace lmarc
