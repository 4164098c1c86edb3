// Tests of the cm building blocks: logistic tables, bit histories, StateMap,
// mixer, APM and parameter choice.
#include <gtest/gtest.h>

#include <cstdint>

#include "model/cm/apm.h"
#include "model/cm/bit_history.h"
#include "model/cm/cm_params.h"
#include "model/cm/logistic.h"
#include "model/cm/mixer.h"
#include "src/codec.h"

namespace lmarc::cm {
namespace {

TEST(LogisticTest, SquashIsMonotoneAndSymmetric) {
  const LogisticTables& t = Logistic();
  EXPECT_EQ(Squash(t, 0), 32768);
  for (int x = -kStretchLimit; x < kStretchLimit; ++x) {
    EXPECT_LE(Squash(t, x), Squash(t, x + 1));
    EXPECT_EQ(Squash(t, x) + Squash(t, -x), 65536);
  }
  // 1/(1+e^-1) = 0.7310586 -> 47910.6 in Q16; 1/(1+e^-8) -> 65514.0.
  EXPECT_NEAR(Squash(t, 256), 47911, 1);
  EXPECT_NEAR(Squash(t, 2047), 65514, 1);
  EXPECT_EQ(Squash(t, 100000), Squash(t, kStretchLimit));
}

TEST(LogisticTest, StretchInvertsSquash) {
  const LogisticTables& t = Logistic();
  for (int p = 0; p + 16 < 65536; p += 16) {
    EXPECT_LE(Stretch(t, static_cast<uint32_t>(p)), Stretch(t, static_cast<uint32_t>(p + 16)));
  }
  for (int x = -kStretchLimit; x <= kStretchLimit; ++x) {
    // Exact inverse up to the 12-bit grid: same probability bucket back.
    const uint32_t p = static_cast<uint32_t>(Squash(t, x));
    EXPECT_EQ(Squash(t, Stretch(t, p)) >> 4, static_cast<int>(p >> 4)) << "x " << x;
  }
  // Near the middle the grid is finer than one stretch unit.
  for (int x = -500; x <= 500; ++x) {
    EXPECT_NEAR(Stretch(t, static_cast<uint32_t>(Squash(t, x))), x, 2);
  }
}

TEST(BitHistoryTest, TableIsClosedAndCountsMove) {
  const BitHistoryTable& h = BitHistory();
  ASSERT_GT(h.num_states, 100);
  ASSERT_LE(h.num_states, BitHistoryTable::kMaxStates);
  EXPECT_EQ(h.zeros[0], 0);
  EXPECT_EQ(h.ones[0], 0);
  for (int s = 0; s < h.num_states; ++s) {
    for (int bit = 0; bit < 2; ++bit) {
      const int next = h.next[s][bit];
      ASSERT_LT(next, h.num_states);
      // The coded bit's count never falls, the other never grows.
      if (bit == 1) {
        EXPECT_GE(h.ones[next], h.ones[s]);
        EXPECT_LE(h.zeros[next], h.zeros[s]);
      } else {
        EXPECT_GE(h.zeros[next], h.zeros[s]);
        EXPECT_LE(h.ones[next], h.ones[s]);
      }
    }
  }
  // A long run of ones saturates in a state that predicts one.
  int s = 0;
  for (int i = 0; i < 100; ++i) s = h.next[s][1];
  EXPECT_EQ(h.zeros[s], 0);
  EXPECT_GE(h.ones[s], 20);
}

TEST(StateMapTest, LearnsABiasedSource) {
  StateMap map(4, 1023, /*from_bit_history=*/false);
  EXPECT_EQ(map.P(2), 32768u);
  for (int i = 0; i < 1000; ++i) {
    map.P(2);
    map.Update(i % 10 != 0);  // 90% ones
  }
  EXPECT_NEAR(static_cast<int>(map.P(2)), 58982, 1500);
  EXPECT_EQ(map.P(1), 32768u);  // other entries untouched
}

TEST(MixerTest, LearnsToTrustTheRightInput) {
  const LogisticTables& t = Logistic();
  Mixer mixer(2, 2);
  for (int i = 0; i < 3000; ++i) {
    const int bit = (i * 7) % 3 == 0;
    mixer.inputs()[0] = bit ? 1500 : -1500;  // a perfect predictor
    mixer.inputs()[1] = bit ? -800 : 800;    // an anti-predictor
    mixer.Mix(t, 1);
    mixer.Update(bit);
  }
  mixer.inputs()[0] = 1500;
  mixer.inputs()[1] = -800;
  EXPECT_GT(mixer.Mix(t, 1), 60000u);
  EXPECT_LT(mixer.Mix(t, 0), 60000u);  // the untrained set is unaffected
}

// The SSE2 mixer loops must compute exactly the integers of the scalar
// reference versions, for any inputs and weights in range (including
// saturation at the int16 limits).
TEST(MixerTest, VectorLoopsMatchReference) {
  uint64_t rng = 0x9E3779B97F4A7C15ull;
  const auto next = [&rng](int range) {  // uniform-ish in [-range, range]
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return static_cast<int>((rng * 0x2545F4914F6CDD1Dull) >> 33) % (2 * range + 1) - range;
  };
  for (int trial = 0; trial < 20000; ++trial) {
    alignas(16) int16_t inputs[kMixerWidth];
    alignas(16) int16_t weights[kMixerWidth];
    alignas(16) int16_t expected[kMixerWidth];
    const int weight_range = trial % 2 ? 32767 : 4000;
    for (int i = 0; i < kMixerWidth; ++i) {
      inputs[i] = static_cast<int16_t>(next(kStretchLimit));
      weights[i] = static_cast<int16_t>(trial % 5 == 0 ? (next(1) < 0 ? -32768 : 32767)
                                                       : next(weight_range));
      expected[i] = weights[i];
    }
    ASSERT_EQ(MixerDotProduct(inputs, weights), MixerDotProductReference(inputs, weights));
    const int scaled_error = next(4095) * 3;
    MixerTrain(inputs, weights, scaled_error);
    MixerTrainReference(inputs, expected, scaled_error);
    for (int i = 0; i < kMixerWidth; ++i) ASSERT_EQ(weights[i], expected[i]) << trial << " " << i;
  }
}

// The StateMap step is computed modulo 2^32 (bit_history.h): from every
// extreme, repeated updates must move monotonically toward the bit and
// never wrap around.
TEST(StateMapTest, UpdatesNeverWrap) {
  for (const uint32_t start : {0u, 1u << 16, 0xFFFF0000u, 0xFFFFFC00u, 1u << 31}) {
    for (int bit = 0; bit < 2; ++bit) {
      uint32_t entry = start;
      for (int i = 0; i < 3000; ++i) {
        const uint32_t before = StateMapP(entry);
        StateMapTrain(&entry, bit, 1023);
        if (bit) {
          ASSERT_GE(StateMapP(entry), before) << start << " step " << i;
        } else {
          ASSERT_LE(StateMapP(entry), before) << start << " step " << i;
        }
      }
      EXPECT_EQ(StateMapP(entry) >> 12, bit ? 15u : 0u) << start;
    }
  }
}

TEST(ApmTest, StartsAsIdentityAndAdapts) {
  const LogisticTables& t = Logistic();
  Apm apm(t, 2, 6);
  EXPECT_NEAR(static_cast<int>(apm.Refine(t, 32768, 0)), 32768, 64);
  // Knots 256 apart: the piecewise-linear identity is off by up to ~1%.
  EXPECT_NEAR(static_cast<int>(apm.Refine(t, 50000, 1)), 50000, 800);
  for (int i = 0; i < 2000; ++i) {
    apm.Refine(t, 32768, 0);
    apm.Update(1);
  }
  EXPECT_GT(apm.Refine(t, 32768, 0), 60000u);
  EXPECT_NEAR(static_cast<int>(apm.Refine(t, 32768, 1)), 32768, 64);
}

TEST(CmParamsTest, SizesGrowWithInputAndStayUnderCaps) {
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    const CmParams tiny = ChooseCmParams(level, 2048);
    EXPECT_LE(tiny.TableBytes(), size_t{1} << 20) << "level " << level;
    const CmParams huge = ChooseCmParams(level, size_t{1} << 34);
    EXPECT_LE(huge.table_bits, CmParams::kMaxTableBits);
    EXPECT_LE(huge.match_bits, CmParams::kMaxMatchBits);
    EXPECT_LE(huge.TableBytes(), size_t{145} << 20);
    EXPECT_GE(tiny.table_bits, CmParams::kMinTableBits);
    EXPECT_GE(tiny.match_bits, CmParams::kMinMatchBits);
  }
  EXPECT_LE(ChooseCmParams(kDefaultLevel, size_t{1} << 30).TableBytes(), size_t{72} << 20);
}

}  // namespace
}  // namespace lmarc::cm
