// Chunk planning: cuts the data stream (file contents in table order) into
// independently coded chunks. The rule is docs/format.md §3; it depends only
// on the file sizes, the typed spans and the chunk size, never on process or
// thread counts.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace lmarc {

inline constexpr uint64_t kDefaultChunkSize = uint64_t{4} << 20;  // bytes
inline constexpr uint64_t kMaxChunkSize = uint64_t{1} << 30;      // bytes, format limit

// A typed array's bytes inside one file: `runs` runs of `run_units` units of
// `unit_bytes` bytes each, back to back from `offset`. Its chunks hold whole
// units and never cross a run boundary (so each is a box of the array).
struct TypedSpan {
  uint64_t file = 0;        // index into the file sizes
  uint64_t offset = 0;      // bytes from the file's first byte
  uint64_t unit_bytes = 0;  // >= 1, <= the chunk size (one unit alone: <= kMaxChunkSize)
  uint64_t run_units = 0;   // >= 1
  uint64_t runs = 0;        // >= 1

  uint64_t bytes() const { return unit_bytes * run_units * runs; }
};

struct PlannedChunk {
  uint64_t stream_offset = 0;  // first stream byte covered
  uint64_t raw_size = 0;       // bytes covered, >= 1
  uint64_t first_file = 0;     // index (into the sizes given) of the first file with bytes here
  uint64_t last_file = 0;      // index of the last such file, inclusive
  int64_t typed_span = -1;     // index into the spans given, or -1: plain bytes
  uint64_t first_unit = 0;     // typed: the span's unit (counted from its start) the chunk starts at
};

// `file_sizes` are the content sizes of the regular files in stream order.
// chunk_size must be in [1, kMaxChunkSize]. Chunks tile the stream exactly
// and hold at most chunk_size bytes, but for a span of one unit (runs ==
// run_units == 1) larger than chunk_size: it is one chunk of its own.
// `spans` must be sorted by (file, offset) and lie inside their files
// without overlapping; a span that breaks this (or has several units larger
// than chunk_size, a unit larger than kMaxChunkSize, or an empty or
// overflowing size) is planned as plain bytes.
std::vector<PlannedChunk> PlanChunks(std::span<const uint64_t> file_sizes,
                                     std::span<const TypedSpan> spans, uint64_t chunk_size);

}  // namespace lmarc
