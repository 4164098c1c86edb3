#include "src/chunk_plan.h"

#include <algorithm>

namespace lmarc {

std::vector<PlannedChunk> PlanChunks(std::span<const uint64_t> file_sizes, uint64_t chunk_size) {
  std::vector<PlannedChunk> chunks;
  bool open = false;  // whether chunks.back() may still take small files
  uint64_t stream_offset = 0;
  for (uint64_t file = 0; file < file_sizes.size(); ++file) {
    const uint64_t size = file_sizes[file];
    if (size == 0) continue;
    if (size > chunk_size) {
      // Large file: its own chunks, the last piece closes its chunk.
      for (uint64_t done = 0; done < size;) {
        const uint64_t piece = std::min(chunk_size, size - done);
        chunks.push_back({stream_offset + done, piece, file, file});
        done += piece;
      }
      open = false;
    } else if (open && chunks.back().raw_size + size <= chunk_size) {
      chunks.back().raw_size += size;
      chunks.back().last_file = file;
    } else {
      chunks.push_back({stream_offset, size, file, file});
      open = true;
    }
    stream_offset += size;
  }
  return chunks;
}

}  // namespace lmarc
