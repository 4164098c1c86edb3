// Typed regions: the N-D numeric arrays found inside input files (HDF5 and
// NetCDF-4 datasets, NetCDF-3 variables, raw arrays the user describes),
// which the writer codes with the `array` codec while every other byte of the
// file goes through the byte codecs (docs/format.md §3).
//
// A region is a byte range of one file plus its layout. The planner cuts a
// region into chunks that are boxes of it: each chunk holds whole "units"
// (the region's trailing dimensions from some level L on) and never crosses
// a run of the dimension before L, so every chunk is itself a typed array.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/array/array_layout.h"
#include "src/chunk_plan.h"
#include "src/status.h"

namespace lmarc {

// Regions smaller than this stay plain bytes: their own chunk and model
// would cost more than typing gains.
inline constexpr uint64_t kMinTypedRegionBytes = 4096;

struct TypedRegion {
  uint64_t entry = 0;          // file-table row of the regular file
  uint64_t offset = 0;         // bytes from the file's first byte
  array::ArrayLayout layout;   // of the region's bytes (C order, outermost first)
  std::string dataset;         // "/group/var" (HDF5, formats' own), "var" (NetCDF-3), "" (raw)
  std::vector<uint64_t> start; // dataset coordinates of the region's first element
  // Extents of the whole dataset (same rank): the region may be one tile or
  // record slab of it, and a tile may reach beyond it (HDF5 edge tiles).
  std::vector<uint64_t> dataset_shape;
  // An HDF5 tile stored through the deflate filter (after shuffle when
  // `shuffle`): the file holds `stored_bytes` deflated bytes, `layout`
  // describes the inflated tile; -1: the file holds the elements themselves.
  int deflate_level = -1;
  bool shuffle = false;
  uint64_t stored_bytes = 0;

  bool deflated() const { return deflate_level >= 0; }
  // Bytes of the file the region covers: stored_bytes when deflated, else
  // product(shape) * element bytes (layout validated).
  uint64_t bytes() const;
};

// A raw binary's layout given on the command line (--dtype, --shape,
// --offset, --big-endian): applied to every regular input file.
struct RawArraySpec {
  array::ArrayLayout layout;
  uint64_t offset = 0;  // bytes before the array
};

// The regions of the file at `path` (`file_bytes` long, entry 0): HDF5
// datasets that are contiguous or chunked without filters (one region per
// dataset or tile); NetCDF-3 variables of numeric type (one per variable or
// record slab); LAMMPS binary dumps, OpenFOAM binary lists, WAV samples and
// uncompressed image pixels (PNM, BMP, TIFF: wave_file.h, image_file.h);
// with `raw`, that array. Regions are sorted by offset, lie
// inside the file, do not overlap and are at least kMinTypedRegionBytes.
// kCorrupt when a container header is malformed (callers store the file as
// bytes); errors name no path.
[[nodiscard]] StatusOr<std::vector<TypedRegion>> LocateArraysInFile(const std::string& path,
                                                                    uint64_t file_bytes,
                                                                    const RawArraySpec* raw);

// OK when `regions` (of a file of `file_bytes` bytes) are sorted by offset,
// inside the file, not overlapping and each at least kMinTypedRegionBytes;
// Corrupt otherwise. LocateArraysInFile's results pass; the parent checks
// the helper process's answers with it again.
[[nodiscard]] Status CheckRegions(std::span<const TypedRegion> regions, uint64_t file_bytes);

// Whether the first bytes of a file (up to 8 bytes at offsets 0, 512, 1024,
// ... as `ReadAt` provides) carry an HDF5 signature: only such files need
// libhdf5 (and so the helper process).
bool HasHdf5Signature(const std::string& path, uint64_t file_bytes);

// The planner's view of a region for chunks of at most `chunk_size` bytes
// (`file` is the plan's file index). A deflated tile is one unit, planned
// as one chunk even when larger than `chunk_size` (up to kMaxChunkSize).
TypedSpan SpanOf(const TypedRegion& region, uint64_t file, uint64_t chunk_size);

// The layout of the chunk of `region` that starts at `first_unit` and covers
// `raw_size` bytes (as planned from SpanOf with the same chunk size): the
// box [units, trailing extents...].
array::ArrayLayout ChunkLayout(const TypedRegion& region, uint64_t chunk_size,
                               uint64_t raw_size);

// The box of the dataset held by the chunk of `region` that starts at
// `first_unit` and covers `raw_size` bytes: dataset coordinates of its first
// element and its extents (both of the region's rank).
void ChunkBox(const TypedRegion& region, uint64_t chunk_size, uint64_t first_unit,
              uint64_t raw_size, std::vector<uint64_t>* start, std::vector<uint64_t>* count);

// Regions to bytes and back (between ranks and from the helper process).
// Deserialize validates every field (the helper's output is not trusted):
// layouts well formed, ranks equal, sizes without overflow.
void AppendRegions(std::span<const TypedRegion> regions, std::vector<uint8_t>* out);
[[nodiscard]] StatusOr<std::vector<TypedRegion>> ParseRegions(std::span<const uint8_t> bytes);

}  // namespace lmarc
