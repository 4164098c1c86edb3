// Chunk planning: cuts the data stream (file contents in table order) into
// independently coded chunks. The rule is docs/format.md §3; it depends only
// on the file sizes and the chunk size, never on process or thread counts.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace lmarc {

inline constexpr uint64_t kDefaultChunkSize = uint64_t{4} << 20;  // bytes
inline constexpr uint64_t kMaxChunkSize = uint64_t{1} << 30;      // bytes, format limit

struct PlannedChunk {
  uint64_t stream_offset = 0;  // first stream byte covered
  uint64_t raw_size = 0;       // bytes covered, >= 1
  uint64_t first_file = 0;     // index (into the sizes given) of the first file with bytes here
  uint64_t last_file = 0;      // index of the last such file, inclusive
};

// `file_sizes` are the content sizes of the regular files in stream order.
// chunk_size must be in [1, kMaxChunkSize]. Chunks tile the stream exactly.
std::vector<PlannedChunk> PlanChunks(std::span<const uint64_t> file_sizes, uint64_t chunk_size);

}  // namespace lmarc
