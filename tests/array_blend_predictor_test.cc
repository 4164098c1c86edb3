// Tests of the blend predictor (model/array/blend_predictor.h): exact on
// planes and on flat areas, follows the predictor that fits an edge, stays
// within the value range, and hands the coder its contexts.
#include "model/array/blend_predictor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace lmarc::array {
namespace {

// Runs the predictor over all of `values`; returns the residuals.
template <typename U>
std::vector<int64_t> Residuals(const std::vector<U>& values, const Geometry& geometry, U limit) {
  BlendPredictor<U> blend(geometry, limit);
  std::vector<int64_t> out(values.size());
  const uint64_t row_length = geometry.row_length();
  for (uint64_t i = 0; i < values.size(); ++i) {
    if (i % row_length == 0) blend.StartRow(i / row_length);
    out[i] = int64_t{values[i]} - int64_t{blend.Predict(values.data(), i, i % row_length)};
    blend.Update(values[i]);
  }
  return out;
}

TEST(BlendPredictorTest, AppliesToImagesOfAtMostSixteenBits) {
  EXPECT_TRUE(BlendApplies(Geometry({4, 5}), 8));
  EXPECT_TRUE(BlendApplies(Geometry({4, 5, 3}), 16));
  EXPECT_FALSE(BlendApplies(Geometry({4, 5, 3}), 32));
  EXPECT_FALSE(BlendApplies(Geometry({20}), 8));
  EXPECT_FALSE(BlendApplies(Geometry({4, 5, 6}), 8));  // 6 samples per pixel
  EXPECT_FALSE(BlendApplies(Geometry({2, 3, 4, 5}), 8));
}

TEST(BlendPredictorTest, PlanesAreExactAfterTheFirstRowsAndColumns) {
  // v = 3x + 5y + 7 (+ 40 per sample): every sub-predictor that sees two
  // neighbours in a line is exact; the blend follows them.
  const Geometry geometry({30, 40, 3});
  std::vector<uint16_t> values;
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 40; ++x)
      for (int s = 0; s < 3; ++s) values.push_back(static_cast<uint16_t>(3 * x + 5 * y + 7 + 40 * s));
  const std::vector<int64_t> r = Residuals<uint16_t>(values, geometry, 65535);
  int64_t late = 0;
  for (int y = 10; y < 30; ++y)
    for (int x = 10; x < 39; ++x)
      for (int s = 0; s < 3; ++s) late += r[(y * 40 + x) * 3 + s] != 0;
  EXPECT_LE(late, 20) << "non-zero residuals inside the plane";
}

TEST(BlendPredictorTest, VerticalEdgesFollowTheAboveNeighbour) {
  // Columns of unrelated values, constant down each column: N is exact.
  const Geometry geometry({50, 64});
  std::vector<uint8_t> values;
  for (int y = 0; y < 50; ++y)
    for (int x = 0; x < 64; ++x) values.push_back(static_cast<uint8_t>((x * 97) % 251));
  const std::vector<int64_t> r = Residuals<uint8_t>(values, geometry, 255);
  uint64_t late = 0;
  for (size_t i = 64 * 10; i < r.size(); ++i) late += static_cast<uint64_t>(r[i] < 0 ? -r[i] : r[i]);
  EXPECT_LT(late, 64u * 40 * 2) << "mean |residual| below 2 once N has proven itself";
}

TEST(BlendPredictorTest, PredictionsStayInRange) {
  // Extreme alternation pushes extrapolations outside [0, limit]; the
  // prediction is clamped, so residuals never exceed the range.
  const Geometry geometry({20, 20, 2});
  std::vector<uint8_t> values;
  for (int i = 0; i < 800; ++i) values.push_back(static_cast<uint8_t>((i * 7919) % 3 == 0 ? 255 : 0));
  for (const int64_t r : Residuals<uint8_t>(values, geometry, 255)) {
    EXPECT_LE(r, 255);
    EXPECT_GE(r, -255);
  }
}

TEST(BlendPredictorTest, HintsNameTextureEnergyAndFraction) {
  // A flat area: no differences (texture 62 = all five-level codes at 0),
  // no recent errors (energy 0), an exact prediction (fraction at the
  // middle state). A horizontal ramp of 1 per pixel: NE - N = 1,
  // N - NW = 1 and NW - W = 0 give texture (3 * 5 + 3) * 5 + 2 = 92.
  const Geometry geometry({8, 8});
  BlendPredictor<uint8_t> blend(geometry, 255);
  std::vector<uint8_t> flat(64, 40);
  for (uint64_t i = 0; i < 64; ++i) {
    if (i % 8 == 0) blend.StartRow(i / 8);
    const uint8_t prediction = blend.Predict(flat.data(), i, i % 8);
    if (i > 0) {
      EXPECT_EQ(prediction, 40);  // the first pixel predicts 0
    }
    blend.Update(flat[i]);
  }
  EXPECT_EQ(blend.hint().texture, 62);
  EXPECT_EQ(blend.hint().energy, 0);
  EXPECT_EQ(blend.hint().fraction, CodingHint::kFractionStates / 2);

  BlendPredictor<uint8_t> ramp_blend(geometry, 255);
  std::vector<uint8_t> ramp(64);
  for (uint64_t i = 0; i < 64; ++i) ramp[i] = static_cast<uint8_t>(10 + i % 8);
  for (uint64_t i = 0; i < 64; ++i) {
    if (i % 8 == 0) ramp_blend.StartRow(i / 8);
    ramp_blend.Predict(ramp.data(), i, i % 8);
    const CodingHint hint = ramp_blend.hint();
    ASSERT_TRUE(hint.InRange());
    ramp_blend.Update(ramp[i]);
  }
  ramp_blend.StartRow(7);
  ramp_blend.Predict(ramp.data(), 7 * 8 + 4, 4);
  EXPECT_EQ(ramp_blend.hint().texture, 92);
}

}  // namespace
}  // namespace lmarc::array
