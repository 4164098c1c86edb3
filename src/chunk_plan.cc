#include "src/chunk_plan.h"

#include <algorithm>

namespace lmarc {
namespace {

// Appends the chunks of a run of plain bytes [stream_offset, +size) of
// `file` (docs/format.md §3): pieces larger than the chunk size are split and
// close their last chunk; smaller ones join the open chunk while it fits.
class BytePlanner {
 public:
  BytePlanner(uint64_t chunk_size, std::vector<PlannedChunk>* chunks)
      : chunk_size_(chunk_size), chunks_(chunks) {}

  void Add(uint64_t file, uint64_t stream_offset, uint64_t size) {
    if (size == 0) return;
    if (size > chunk_size_) {
      for (uint64_t done = 0; done < size;) {
        const uint64_t piece = std::min(chunk_size_, size - done);
        chunks_->push_back({stream_offset + done, piece, file, file});
        done += piece;
      }
      open_ = false;
    } else if (open_ && chunks_->back().raw_size + size <= chunk_size_) {
      chunks_->back().raw_size += size;
      chunks_->back().last_file = file;
    } else {
      chunks_->push_back({stream_offset, size, file, file});
      open_ = true;
    }
  }

  // A typed chunk follows: nothing may join the open chunk any more.
  void Close() { open_ = false; }

 private:
  uint64_t chunk_size_;
  std::vector<PlannedChunk>* chunks_;
  bool open_ = false;  // whether chunks_->back() may still take small pieces
};

// Whether `span` is well formed for a file of `file_size` bytes starting at
// or after `earliest`. Its units fit the chunk size, but for a span of one
// indivisible unit (a deflated tile), which becomes one chunk up to
// kMaxChunkSize.
bool UsableSpan(const TypedSpan& span, uint64_t file_size, uint64_t earliest,
                uint64_t chunk_size) {
  if (span.unit_bytes == 0 || span.run_units == 0 || span.runs == 0) return false;
  const bool single_unit = span.runs == 1 && span.run_units == 1;
  if (span.unit_bytes > (single_unit ? kMaxChunkSize : chunk_size)) return false;
  if (span.run_units > file_size / span.unit_bytes) return false;
  const uint64_t run_bytes = span.unit_bytes * span.run_units;
  if (span.runs > file_size / run_bytes) return false;
  const uint64_t bytes = run_bytes * span.runs;
  return span.offset >= earliest && span.offset <= file_size && bytes <= file_size - span.offset;
}

}  // namespace

std::vector<PlannedChunk> PlanChunks(std::span<const uint64_t> file_sizes,
                                     std::span<const TypedSpan> spans, uint64_t chunk_size) {
  std::vector<PlannedChunk> chunks;
  BytePlanner bytes(chunk_size, &chunks);
  uint64_t stream_offset = 0;
  size_t next_span = 0;
  for (uint64_t file = 0; file < file_sizes.size(); ++file) {
    const uint64_t size = file_sizes[file];
    uint64_t cursor = 0;  // bytes of this file planned so far
    for (; next_span < spans.size() && spans[next_span].file <= file; ++next_span) {
      const TypedSpan& span = spans[next_span];
      if (span.file != file || !UsableSpan(span, size, cursor, chunk_size)) continue;
      bytes.Add(file, stream_offset + cursor, span.offset - cursor);
      bytes.Close();
      const uint64_t units_per_chunk = std::max<uint64_t>(1, chunk_size / span.unit_bytes);
      uint64_t at = stream_offset + span.offset;
      for (uint64_t run = 0; run < span.runs; ++run) {
        for (uint64_t unit = 0; unit < span.run_units;) {
          const uint64_t units = std::min(units_per_chunk, span.run_units - unit);
          chunks.push_back({at, units * span.unit_bytes, file, file,
                            static_cast<int64_t>(next_span), run * span.run_units + unit});
          at += units * span.unit_bytes;
          unit += units;
        }
      }
      cursor = span.offset + span.bytes();
    }
    bytes.Add(file, stream_offset + cursor, size - cursor);
    stream_offset += size;
  }
  return chunks;
}

}  // namespace lmarc
