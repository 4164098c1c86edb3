// The compress-side view of the data stream: the scanned tree, its chunk
// plan, and reading one planned chunk's bytes from the input files.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "io/file_entry.h"
#include "io/source_reader.h"
#include "io/typed_regions.h"
#include "src/chunk_plan.h"
#include "src/status.h"

namespace lmarc {

struct ChunkSource {
  ScannedTree tree;
  std::vector<TypedRegion> regions;  // sorted by (entry, offset)
  std::vector<size_t> regular_rows;  // plan file index -> row of tree.entries
  std::vector<PlannedChunk> plan;    // typed_span indexes `regions`
  uint64_t stream_size = 0;          // bytes
  uint64_t chunk_size = 0;           // bytes

  // Builds regular_rows and the plan from `tree` and its typed regions
  // (docs/format.md §3).
  static ChunkSource Plan(ScannedTree tree, std::vector<TypedRegion> regions, uint64_t chunk_size);

  // The typed region of chunk `chunk` and the chunk's own layout, or nullptr
  // for a chunk of plain bytes.
  const TypedRegion* Region(uint64_t chunk) const;
  array::ArrayLayout Layout(uint64_t chunk) const;

  // First and last file-table rows whose content the chunk holds.
  uint64_t FirstEntry(const PlannedChunk& chunk) const { return regular_rows[chunk.first_file]; }
  uint64_t LastEntry(const PlannedChunk& chunk) const { return regular_rows[chunk.last_file]; }

  // Reads chunk `chunk`'s bytes into *raw (resized). A file whose last byte
  // is read is checked to be unchanged since the scan; with ignore_changed a
  // changed file is a warning and its bytes are archived as read.
  Status ReadChunk(uint64_t chunk, bool ignore_changed, SourceReader* reader,
                   std::vector<uint8_t>* raw) const;
};

// Serialises the tree (entries and sources) and its typed regions for
// sending to other ranks, and back. The bytes are private to one lmarc job
// (same binary on every rank).
std::vector<uint8_t> SerializeTree(const ScannedTree& tree, std::span<const TypedRegion> regions);
[[nodiscard]] Status DeserializeTree(std::span<const uint8_t> bytes, ScannedTree* tree,
                                     std::vector<TypedRegion>* regions);

}  // namespace lmarc
