// Row-length search (model/array/row_length.h): which 2-D views of a 1-D
// array the encoder picks, and which it must not.
#include "model/array/row_length.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/test_rng.h"

namespace lmarc::array {
namespace {

TEST(RowLengthTest, FitsOnlyWholeRowsOfAtLeastTwo) {
  EXPECT_TRUE(RowLengthFits(12, 2));
  EXPECT_TRUE(RowLengthFits(12, 6));
  EXPECT_FALSE(RowLengthFits(12, 12));  // one row
  EXPECT_FALSE(RowLengthFits(12, 5));   // a partial row
  EXPECT_FALSE(RowLengthFits(12, 1));
  EXPECT_FALSE(RowLengthFits(12, 0));
  EXPECT_FALSE(RowLengthFits(1, 2));
}

TEST(RowLengthTest, FindsTheGridLineOfAFlattenedGrid) {
  // A 2-D ramp with a jump at every row start: rows of 300 elements.
  std::vector<uint32_t> values;
  for (uint32_t y = 0; y < 40; ++y) {
    for (uint32_t x = 0; x < 300; ++x) values.push_back(1000000 + 5000 * y + 7 * x * x);
  }
  EXPECT_EQ(ChooseRowLength(values.data(), values.size(), 1 << 14), 300u);
}

TEST(RowLengthTest, FindsInterleavedRecords) {
  std::vector<uint16_t> values;
  for (uint16_t i = 0; i < 3000; ++i) {
    values.insert(values.end(), {static_cast<uint16_t>(i), static_cast<uint16_t>(60000 - 3 * i),
                                 static_cast<uint16_t>(30000 + i / 100)});
  }
  EXPECT_EQ(ChooseRowLength(values.data(), values.size(), 1 << 14), 3u);
}

TEST(RowLengthTest, KeepsSequencesWithoutStructure) {
  TestRng rng(7);
  std::vector<uint64_t> noise(4096);
  for (uint64_t& v : noise) v = rng.Next();
  EXPECT_EQ(ChooseRowLength(noise.data(), noise.size(), 1 << 14), 0u);
  std::vector<uint32_t> ramp(4096);
  for (uint32_t i = 0; i < ramp.size(); ++i) ramp[i] = 3 * i + 11;  // 1-D is already exact
  EXPECT_EQ(ChooseRowLength(ramp.data(), ramp.size(), 1 << 14), 0u);
  const std::vector<uint8_t> tiny = {1, 2, 3};  // no row length fits
  EXPECT_EQ(ChooseRowLength(tiny.data(), tiny.size(), 1 << 14), 0u);
}

}  // namespace
}  // namespace lmarc::array
