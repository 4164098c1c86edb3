// The value table and rank transform (model/array/value_table.h).
#include "model/array/value_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace lmarc::array {
namespace {

TEST(ArrayValueTableTest, RanksRoundTrip) {
  const std::vector<uint32_t> values = {70, 5, 70, 0xFFFFFFFF, 5, 12, 0, 70};
  const std::vector<uint32_t> table = SortedDistinct(values.data(), values.size());
  EXPECT_EQ(table, (std::vector<uint32_t>{0, 5, 12, 70, 0xFFFFFFFF}));
  EXPECT_TRUE(ValidateTable(table).ok());

  std::vector<uint32_t> ranks = values;
  ToRanks(table, ranks.data(), ranks.size());
  EXPECT_EQ(ranks, (std::vector<uint32_t>{3, 1, 3, 4, 1, 2, 0, 3}));
  ASSERT_TRUE(FromRanks(table, ranks.data(), ranks.size()).ok());
  EXPECT_EQ(ranks, values);
}

TEST(ArrayValueTableTest, EveryByteValue) {
  std::vector<uint8_t> values(256);
  for (int i = 0; i < 256; ++i) values[static_cast<size_t>(i)] = static_cast<uint8_t>(255 - i);
  const std::vector<uint8_t> table = SortedDistinct(values.data(), values.size());
  ASSERT_EQ(table.size(), 256u);
  std::vector<uint8_t> ranks = values;
  ToRanks(table, ranks.data(), ranks.size());
  EXPECT_EQ(ranks, values);  // the table is the identity
}

TEST(ArrayValueTableTest, SixteenBitValuesRankByIndexLikeWideOnes) {
  // The indexed path (<= 16 bits) and the sorting one (wider) agree.
  std::vector<uint16_t> narrow;
  std::vector<uint32_t> wide;
  for (uint32_t i = 0; i < 5000; ++i) {
    const uint16_t v = static_cast<uint16_t>((i * 7919u) % 60013u);
    narrow.push_back(v);
    wide.push_back(v);
  }
  const std::vector<uint16_t> narrow_table = SortedDistinct(narrow.data(), narrow.size());
  const std::vector<uint32_t> wide_table = SortedDistinct(wide.data(), wide.size());
  ASSERT_EQ(narrow_table.size(), wide_table.size());
  EXPECT_TRUE(std::equal(narrow_table.begin(), narrow_table.end(), wide_table.begin()));
  ToRanks(narrow_table, narrow.data(), narrow.size());
  ToRanks(wide_table, wide.data(), wide.size());
  EXPECT_TRUE(std::equal(narrow.begin(), narrow.end(), wide.begin()));
}

TEST(ArrayValueTableTest, HostileTablesAndRanksAreCorrupt) {
  EXPECT_EQ(ValidateTable(std::vector<uint16_t>{1, 2, 2}).code(), StatusCode::kCorrupt);
  EXPECT_EQ(ValidateTable(std::vector<uint16_t>{3, 2}).code(), StatusCode::kCorrupt);
  EXPECT_TRUE(ValidateTable(std::vector<uint16_t>{7}).ok());
  const std::vector<uint64_t> table = {10, 20};
  std::vector<uint64_t> ranks = {0, 1, 2};
  EXPECT_EQ(FromRanks(table, ranks.data(), ranks.size()).code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace lmarc::array
