#include "src/chunk_plan.h"

#include <gtest/gtest.h>

#include <vector>

namespace lmarc {
namespace {

// Checks the tiling invariant of docs/format.md §2.2.
void ExpectTiles(const std::vector<PlannedChunk>& chunks, const std::vector<uint64_t>& sizes,
                 uint64_t chunk_size) {
  uint64_t total = 0;
  for (uint64_t s : sizes) total += s;
  uint64_t offset = 0;
  for (const PlannedChunk& c : chunks) {
    EXPECT_EQ(c.stream_offset, offset);
    EXPECT_GE(c.raw_size, 1u);
    EXPECT_LE(c.raw_size, chunk_size);
    EXPECT_LE(c.first_file, c.last_file);
    offset += c.raw_size;
  }
  EXPECT_EQ(offset, total);
}

TEST(PlanChunks, EmptyInputHasNoChunks) {
  EXPECT_TRUE(PlanChunks({}, {}, 100).empty());
  const std::vector<uint64_t> zeros = {0, 0, 0};
  EXPECT_TRUE(PlanChunks(zeros, {}, 100).empty());
}

TEST(PlanChunks, SmallFilesShareSolidChunks) {
  const std::vector<uint64_t> sizes(500, 10);  // 5000 bytes
  const auto chunks = PlanChunks(sizes, {}, 1000);
  ExpectTiles(chunks, sizes, 1000);
  EXPECT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[0].first_file, 0u);
  EXPECT_EQ(chunks[0].last_file, 99u);
}

TEST(PlanChunks, LargeFileIsSplitAndStartsFresh) {
  const std::vector<uint64_t> sizes = {10, 3500, 10};
  const auto chunks = PlanChunks(sizes, {}, 1000);
  ExpectTiles(chunks, sizes, 1000);
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_EQ(chunks[0].raw_size, 10u);
  EXPECT_EQ(chunks[1].stream_offset, 10u);
  EXPECT_EQ(chunks[4].raw_size, 500u);  // last piece of the large file ends its chunk
  EXPECT_EQ(chunks[5].first_file, 2u);
}

TEST(PlanChunks, SmallFileNeverSpansChunks) {
  const std::vector<uint64_t> sizes = {600, 600, 400};
  const auto chunks = PlanChunks(sizes, {}, 1000);
  ExpectTiles(chunks, sizes, 1000);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].first_file, 1u);
  EXPECT_EQ(chunks[1].last_file, 2u);
}

TEST(PlanChunks, TypedSpanChunksHoldWholeUnitsWithinRuns) {
  // File 1: 100 header bytes, then 3 runs of 5 units of 64 bytes (960 bytes), then 40 bytes.
  const std::vector<uint64_t> sizes = {10, 1100, 30};
  const std::vector<TypedSpan> spans = {{.file = 1, .offset = 100, .unit_bytes = 64,
                                         .run_units = 5, .runs = 3}};
  const auto chunks = PlanChunks(sizes, spans, 200);
  ExpectTiles(chunks, sizes, 200);
  // 10 + 100 header bytes share a chunk; each run gives chunks of 3 + 2 units.
  ASSERT_EQ(chunks.size(), 1u + 6u + 1u);
  EXPECT_EQ(chunks[0].raw_size, 110u);
  EXPECT_EQ(chunks[0].typed_span, -1);
  for (int run = 0; run < 3; ++run) {
    EXPECT_EQ(chunks[1 + 2 * run].raw_size, 192u);
    EXPECT_EQ(chunks[1 + 2 * run].first_unit, 5u * run);
    EXPECT_EQ(chunks[2 + 2 * run].raw_size, 128u);
    EXPECT_EQ(chunks[2 + 2 * run].first_unit, 5u * run + 3);
    EXPECT_EQ(chunks[2 + 2 * run].typed_span, 0);
  }
  // The 40 tail bytes and the next file's 30 share the last chunk.
  EXPECT_EQ(chunks[7].raw_size, 70u);
  EXPECT_EQ(chunks[7].typed_span, -1);
  EXPECT_EQ(chunks[7].last_file, 2u);
}

// One indivisible unit (a deflated tile) larger than the chunk size is one
// chunk of its own; the bytes around it are planned as usual.
TEST(PlanChunks, SingleUnitLargerThanTheChunkSizeIsOneChunk) {
  const std::vector<uint64_t> sizes = {1000};
  const std::vector<TypedSpan> spans = {{.file = 0, .offset = 100, .unit_bytes = 700,
                                         .run_units = 1, .runs = 1}};
  const auto chunks = PlanChunks(sizes, spans, 250);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].raw_size, 100u);
  EXPECT_EQ(chunks[1].stream_offset, 100u);
  EXPECT_EQ(chunks[1].raw_size, 700u);
  EXPECT_EQ(chunks[1].typed_span, 0);
  EXPECT_EQ(chunks[2].stream_offset, 800u);
  EXPECT_EQ(chunks[2].raw_size, 200u);
  EXPECT_EQ(chunks[2].typed_span, -1);
  // Beyond the format's largest chunk it stays bytes.
  const std::vector<uint64_t> huge = {kMaxChunkSize + 1};
  const TypedSpan too_large = {.file = 0, .offset = 0, .unit_bytes = kMaxChunkSize + 1,
                               .run_units = 1, .runs = 1};
  for (const PlannedChunk& c : PlanChunks(huge, std::span(&too_large, 1), kDefaultChunkSize)) {
    EXPECT_EQ(c.typed_span, -1);
  }
}

TEST(PlanChunks, MalformedSpansArePlannedAsBytes) {
  const std::vector<uint64_t> sizes = {1000};
  const std::vector<TypedSpan> bad = {
      {.file = 0, .offset = 900, .unit_bytes = 100, .run_units = 2, .runs = 1},  // past the end
      {.file = 0, .offset = 0, .unit_bytes = 300, .run_units = 2, .runs = 1},    // units > chunk
      {.file = 0, .offset = 0, .unit_bytes = 0, .run_units = 1, .runs = 1},
      {.file = 0, .offset = 0, .unit_bytes = 1, .run_units = uint64_t{1} << 63, .runs = 4},
      {.file = 7, .offset = 0, .unit_bytes = 1, .run_units = 1, .runs = 1}};
  for (const TypedSpan& span : bad) {
    const auto chunks = PlanChunks(sizes, std::span(&span, 1), 250);
    ExpectTiles(chunks, sizes, 250);
    for (const PlannedChunk& c : chunks) EXPECT_EQ(c.typed_span, -1);
  }
  // Overlapping spans: the second one is bytes.
  const std::vector<TypedSpan> overlapping = {
      {.file = 0, .offset = 0, .unit_bytes = 100, .run_units = 2, .runs = 1},
      {.file = 0, .offset = 100, .unit_bytes = 100, .run_units = 2, .runs = 1}};
  const auto chunks = PlanChunks(sizes, overlapping, 250);
  ExpectTiles(chunks, sizes, 250);
  for (const PlannedChunk& c : chunks) EXPECT_NE(c.typed_span, 1);
}

}  // namespace
}  // namespace lmarc
