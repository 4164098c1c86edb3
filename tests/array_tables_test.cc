// The array tables' validation (docs/format.md §2.5): every field a hostile
// archive could bend is rejected with an error naming the table and row.
#include "io/array_tables.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "src/chunk_plan.h"

namespace lmarc {
namespace {

struct Fixture {
  std::vector<FileEntry> entries;
  std::vector<ChunkRow> chunks;
  ArrayTables tables;
};

// One regular file holding a 4x10 f32 dataset "/v" in two chunks of 2x10.
Fixture Valid() {
  Fixture f;
  f.entries.resize(2);
  f.entries[0].path = "d";
  f.entries[0].kind = EntryKind::kDirectory;
  f.entries[1].path = "d/a.h5";
  f.entries[1].size = 1000;
  f.chunks.resize(3);
  f.chunks[0].raw_size = 840;
  f.chunks[1].raw_size = 80;
  f.chunks[2].raw_size = 80;
  DatasetRow dataset;
  dataset.entry = 1;
  dataset.name_size = 2;
  dataset.dtype = static_cast<uint8_t>(array::DType::kF32);
  dataset.rank = 2;
  dataset.shape[0] = 4;
  dataset.shape[1] = 10;
  f.tables.datasets.push_back(dataset);
  f.tables.names = {'/', 'v'};
  for (uint64_t i = 0; i < 2; ++i) {
    ArrayChunkRow row;
    row.chunk = 1 + i;
    row.start[0] = 2 * i;
    row.count[0] = 2;
    row.count[1] = 10;
    f.tables.chunks.push_back(row);
  }
  return f;
}

TEST(ArrayTablesTest, ValidTablesPass) {
  const Fixture f = Valid();
  EXPECT_TRUE(ValidateArrayTables(f.tables, f.entries, f.chunks).ok());
  EXPECT_EQ(f.tables.Name(f.tables.datasets[0]), "/v");
}

// Filtered datasets' chunks hold deflate streams: their boxes (whole tiles,
// which may reach beyond the extents) need not match the raw size.
TEST(ArrayTablesTest, FilteredBoxesAreTilesOfAnyStreamSize) {
  for (const ArrayFilter filter : {ArrayFilter::kDeflate, ArrayFilter::kShuffleDeflate}) {
    Fixture f = Valid();
    f.tables.datasets[0].filter = static_cast<uint8_t>(filter);
    f.tables.chunks[0].count[0] = 3;  // 120 bytes inflated, 80 stored
    f.tables.chunks[1].count[1] = 16;  // beyond the extent 10
    EXPECT_TRUE(ValidateArrayTables(f.tables, f.entries, f.chunks).ok());
    EXPECT_EQ(BoxBytes(f.tables.datasets[0], f.tables.chunks[0]), 120u);
  }
}

TEST(ArrayTablesTest, EveryBentFieldIsCorrupt) {
  const std::vector<std::pair<std::string, std::function<void(Fixture&)>>> edits = {
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].entry = 0; }},  // a directory
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].entry = 9; }},
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].name_offset = 1; }},
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].name_size = 1u << 31; }},
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].dtype = array::kDTypeCount; }},
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].byte_order = 2; }},
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].filter = 3; }},
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].filter = 255; }},
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].rank = 0; }},
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].rank = 9; }},
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].shape[1] = 0; }},
      {"datasets row 0", [](Fixture& f) { f.tables.datasets[0].shape[2] = 5; }},
      {"array_chunks row 1", [](Fixture& f) { f.tables.chunks[1].chunk = 1; }},  // not increasing
      {"array_chunks row 1", [](Fixture& f) { f.tables.chunks[1].chunk = 3; }},  // no such chunk
      {"array_chunks row 0", [](Fixture& f) { f.tables.chunks[0].dataset = 1; }},
      {"array_chunks row 0", [](Fixture& f) { f.tables.chunks[0].count[0] = 3; }},  // 120 != 80 bytes
      {"array_chunks row 0", [](Fixture& f) { f.tables.chunks[0].count[1] = 0; }},
      {"array_chunks row 0", [](Fixture& f) { f.tables.chunks[0].start[1] = 10; }},
      {"array_chunks row 0", [](Fixture& f) { f.tables.chunks[0].count[2] = 1; }},  // beyond the rank
      {"array_chunks row 0", [](Fixture& f) {
         f.tables.chunks[0].count[0] = uint64_t{1} << 62;  // overflowing element count
         f.tables.chunks[0].count[1] = 8;
       }},
      // A filtered (deflated) box is bounded by the largest chunk, not its raw size.
      {"array_chunks row 0", [](Fixture& f) {
         f.tables.datasets[0].filter = static_cast<uint8_t>(ArrayFilter::kDeflate);
         f.tables.chunks[0].count[0] = (kMaxChunkSize / 40) + 1;  // 4-byte elements, 10 per row
       }},
  };
  for (const auto& [where, edit] : edits) {
    Fixture f = Valid();
    edit(f);
    const Status status = ValidateArrayTables(f.tables, f.entries, f.chunks);
    EXPECT_EQ(status.code(), StatusCode::kCorrupt) << where;
    EXPECT_NE(status.message().find(where), std::string::npos) << status.message();
  }
}

}  // namespace
}  // namespace lmarc
