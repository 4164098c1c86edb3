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
  EXPECT_TRUE(PlanChunks({}, 100).empty());
  const std::vector<uint64_t> zeros = {0, 0, 0};
  EXPECT_TRUE(PlanChunks(zeros, 100).empty());
}

TEST(PlanChunks, SmallFilesShareSolidChunks) {
  const std::vector<uint64_t> sizes(500, 10);  // 5000 bytes
  const auto chunks = PlanChunks(sizes, 1000);
  ExpectTiles(chunks, sizes, 1000);
  EXPECT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[0].first_file, 0u);
  EXPECT_EQ(chunks[0].last_file, 99u);
}

TEST(PlanChunks, LargeFileIsSplitAndStartsFresh) {
  const std::vector<uint64_t> sizes = {10, 3500, 10};
  const auto chunks = PlanChunks(sizes, 1000);
  ExpectTiles(chunks, sizes, 1000);
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_EQ(chunks[0].raw_size, 10u);
  EXPECT_EQ(chunks[1].stream_offset, 10u);
  EXPECT_EQ(chunks[4].raw_size, 500u);  // last piece of the large file ends its chunk
  EXPECT_EQ(chunks[5].first_file, 2u);
}

TEST(PlanChunks, SmallFileNeverSpansChunks) {
  const std::vector<uint64_t> sizes = {600, 600, 400};
  const auto chunks = PlanChunks(sizes, 1000);
  ExpectTiles(chunks, sizes, 1000);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].first_file, 1u);
  EXPECT_EQ(chunks[1].last_file, 2u);
}

}  // namespace
}  // namespace lmarc
