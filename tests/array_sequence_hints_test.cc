// Tests of the sound hints (model/array/sequence_hints.h): the energy
// follows the residuals' scale, the texture their recent levels, the skew
// the other channel at the same time; every state stays in range.
#include "model/array/sequence_hints.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace lmarc::array {
namespace {

constexpr int kNeutralTexture = 62;  // all three levels 0

TEST(SequenceHintsTest, EnergyFollowsTheResidualScale) {
  SequenceHints<uint16_t> quiet(nullptr, 1000, 16), loud(nullptr, 1000, 16);
  for (uint64_t i = 0; i < 1000; ++i) {
    quiet.Update(i, static_cast<uint16_t>(i % 2 ? 3 : -3));
    loud.Update(i, static_cast<uint16_t>(i % 2 ? 3000 : -3000));
  }
  EXPECT_LT(quiet.Hint(1000).energy, loud.Hint(1000).energy);
  EXPECT_EQ(loud.Hint(1000).energy, 2 * 12 - 2 + 0) << "3000: 12 bits, second bit 0";
  EXPECT_EQ(SequenceHints<uint16_t>(nullptr, 1, 16).Hint(0).energy, 0);
}

TEST(SequenceHintsTest, TextureIsTheLevelsOfTheLastThreeResiduals) {
  SequenceHints<uint16_t> hints(nullptr, 100, 16);
  for (uint64_t i = 0; i < 64; ++i) hints.Update(i, 100);  // mean |r| = 100
  EXPECT_EQ(hints.Hint(64).texture, (3 * 5 + 3) * 5 + 3) << "three at the mean: +1 each";
  hints.Update(64, static_cast<uint16_t>(-1000));
  hints.Update(65, 0);
  EXPECT_EQ(hints.Hint(66).texture, (2 * 5 + 0) * 5 + 3) << "0 (level 0), -1000 (-2), 100 (+1)";
  EXPECT_EQ(hints.Hint(66).skew, kNeutralTexture) << "no side sequence";
  EXPECT_EQ(hints.Hint(66).fraction, CodingHint::kFractionStates / 2);
}

TEST(SequenceHintsTest, SkewReadsTheSideSequenceAroundTheElement) {
  std::vector<uint16_t> side(10, 50);
  side[5] = static_cast<uint16_t>(-500);
  SequenceHints<uint16_t> hints(side.data(), side.size(), 16);
  for (uint64_t i = 0; i < 5; ++i) hints.Update(i, 50);
  // side[5] = -500 (-2), side[6] = 50 (+1), side[4] = 50 (+1), relative
  // to the side's mean of 5 x 50 / 16.
  EXPECT_EQ(hints.Hint(5).skew, (0 * 5 + 4) * 5 + 4);
  // At the end, side[i + 1] is missing: level 0.
  for (uint64_t i = 5; i < 9; ++i) hints.Update(i, 50);
  EXPECT_EQ(hints.Hint(9).skew % 25 / 5, 2);
}

TEST(SequenceHintsTest, StatesStayInRangeForWideValues) {
  std::vector<uint32_t> side(300);
  for (uint32_t i = 0; i < side.size(); ++i) side[i] = i * 2654435761u;
  SequenceHints<uint32_t> hints(side.data(), side.size(), 32);
  for (uint64_t i = 0; i < side.size(); ++i) {
    const CodingHint hint = hints.Hint(i);
    ASSERT_TRUE(hint.InRange());
    hints.Update(i, side[(i * 7) % side.size()]);
  }
}

}  // namespace
}  // namespace lmarc::array
