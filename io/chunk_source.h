// The compress-side view of the data stream: the scanned tree, its chunk
// plan, and reading one planned chunk's bytes from the input files.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "io/file_entry.h"
#include "io/source_reader.h"
#include "src/chunk_plan.h"
#include "src/status.h"

namespace lmarc {

struct ChunkSource {
  ScannedTree tree;
  std::vector<size_t> regular_rows;  // plan file index -> row of tree.entries
  std::vector<PlannedChunk> plan;
  uint64_t stream_size = 0;          // bytes

  // Builds regular_rows and the plan from `tree` (docs/format.md §3).
  static ChunkSource Plan(ScannedTree tree, uint64_t chunk_size);

  // First and last file-table rows whose content the chunk holds.
  uint64_t FirstEntry(const PlannedChunk& chunk) const { return regular_rows[chunk.first_file]; }
  uint64_t LastEntry(const PlannedChunk& chunk) const { return regular_rows[chunk.last_file]; }

  // Reads chunk `chunk`'s bytes into *raw (resized). A file whose last byte
  // is read is checked to be unchanged since the scan; with ignore_changed a
  // changed file is a warning and its bytes are archived as read.
  Status ReadChunk(uint64_t chunk, bool ignore_changed, SourceReader* reader,
                   std::vector<uint8_t>* raw) const;
};

// Serialises the tree (entries and sources) for sending to other ranks, and
// back. The bytes are private to one lmarc job (same binary on every rank).
std::vector<uint8_t> SerializeTree(const ScannedTree& tree);
StatusOr<ScannedTree> DeserializeTree(std::span<const uint8_t> bytes);

}  // namespace lmarc
