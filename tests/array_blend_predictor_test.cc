// Tests of the blend predictor (model/array/blend_predictor.h): exact on
// planes and on flat areas, follows the predictor that fits an edge, stays
// within the value range, and is chosen where it pays.
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

TEST(BlendPredictorTest, PaysOnImagesNotOnNoise) {
  const Geometry geometry({64, 64});
  std::vector<uint8_t> image, noise;
  uint64_t state = 1;
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      // A smooth wave, a diagonal edge and noise of -2..+5 levels: Lorenzo
      // triples the noise, averaging neighbours halves it.
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const double wave = 60 * std::sin(0.2 * x + 0.05 * y);
      image.push_back(static_cast<uint8_t>(100 + wave + (x > y ? 50 : 0) + static_cast<int>(state >> 61) - 2));
      noise.push_back(static_cast<uint8_t>(state >> 56));
    }
  }
  PredictorSpec lorenzo;
  lorenzo.orders = 0;
  lorenzo.set_order(0, 1);
  lorenzo.set_order(1, 1);
  EXPECT_TRUE(BlendPays<uint8_t>(image.data(), geometry, lorenzo, 255, 1 << 20));
  EXPECT_FALSE(BlendPays<uint8_t>(noise.data(), geometry, lorenzo, 255, 1 << 20));
}

}  // namespace
}  // namespace lmarc::array
