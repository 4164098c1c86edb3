// Geometry, predictor specs and prediction (model/array/predictor.h), and
// the residual cost estimate that chooses among them.
#include "model/array/predictor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "model/array/residual_coder.h"

namespace lmarc::array {
namespace {

TEST(ArrayPredictorTest, GeometrySqueezesExtentsOfOne) {
  const Geometry g({1, 290, 1, 180});
  ASSERT_EQ(g.rank(), 2);
  EXPECT_EQ(g.extent(0), 290u);
  EXPECT_EQ(g.stride(0), 180u);
  EXPECT_EQ(g.row_length(), 180u);
  EXPECT_EQ(g.rows(), 290u);
  EXPECT_EQ(g.above_stride(), 180u);
  EXPECT_EQ(g.size(), 290u * 180u);

  const Geometry single({1, 1, 1});
  EXPECT_EQ(single.rank(), 1);
  EXPECT_EQ(single.size(), 1u);
  EXPECT_EQ(single.above_stride(), 0u);
}

// Orders by dim, outermost first.
PredictorSpec Spec(std::vector<int> orders) {
  PredictorSpec spec{0};
  for (size_t d = 0; d < orders.size(); ++d) spec.set_order(static_cast<int>(d), orders[d]);
  return spec;
}

TEST(ArrayPredictorTest, CandidatesCoverTheInnermostFourDims) {
  EXPECT_EQ(CandidatePredictors(Geometry({100})), std::vector<PredictorSpec>{Spec({1})});
  EXPECT_EQ(CandidatePredictors(Geometry({4, 5, 6})).size(), 7u);
  const std::vector<PredictorSpec> six = CandidatePredictors(Geometry({2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(six.size(), 14u);  // 4 + 6 + 4 subsets of the inner 4 dims
  for (const PredictorSpec& spec : six) {
    EXPECT_EQ(spec.order(0) + spec.order(1), 0) << "outer dims are not candidates";
    EXPECT_TRUE(ValidatePredictorSpec(spec, Geometry({2, 2, 2, 2, 2, 2})).ok());
  }
}

TEST(ArrayPredictorTest, InvalidSpecsAreCorrupt) {
  const Geometry g({4, 5, 6, 7});
  EXPECT_TRUE(ValidatePredictorSpec(Spec({1, 1, 1, 0}), g).ok());
  EXPECT_TRUE(ValidatePredictorSpec(Spec({0, 3, 0, 2}), g).ok());
  EXPECT_EQ(ValidatePredictorSpec(Spec({0, 0, 0, 0}), g).code(), StatusCode::kCorrupt);
  EXPECT_EQ(ValidatePredictorSpec(Spec({0, 0, 0, 0, 1}), g).code(), StatusCode::kCorrupt);  // rank
  EXPECT_EQ(ValidatePredictorSpec(Spec({1, 1, 1, 1}), g).code(), StatusCode::kCorrupt);  // 4 dims
  EXPECT_EQ(ValidatePredictorSpec(PredictorSpec{0x8000}, g).code(), StatusCode::kCorrupt);
}

// Predicts every element of `values` (laid out as `geometry`) and returns the
// residuals.
template <typename U>
std::vector<U> Residuals(const std::vector<U>& values, const Geometry& geometry,
                         const PredictorSpec& spec) {
  RowPredictor predictor(geometry, spec);
  std::vector<U> residuals(values.size());
  for (uint64_t row = 0; row < geometry.rows(); ++row) {
    predictor.StartRow(row);
    for (uint64_t x = 0; x < geometry.row_length(); ++x) {
      const uint64_t i = row * geometry.row_length() + x;
      residuals[i] = static_cast<U>(values[i] - predictor.Predict(values.data(), i, x));
    }
  }
  return residuals;
}

TEST(ArrayPredictorTest, LorenzoIsExactOnSeparableFields) {
  // f(z, y, x) = g(z) + h(y) + k(x) modulo 2^32: the 3-D Lorenzo residual is
  // 0 wherever all three coordinates are > 0, even with wrapping.
  const Geometry g({5, 6, 7});
  std::vector<uint32_t> values(g.size());
  for (uint32_t z = 0; z < 5; ++z) {
    for (uint32_t y = 0; y < 6; ++y) {
      for (uint32_t x = 0; x < 7; ++x) {
        values[(z * 6 + y) * 7 + x] = 0xFFFFFF00u * z * z + 977u * y * y * y + 0x80000000u * x + x;
      }
    }
  }
  const std::vector<uint32_t> residuals = Residuals(values, g, Spec({1, 1, 1}));
  for (uint32_t z = 1; z < 5; ++z) {
    for (uint32_t y = 1; y < 6; ++y) {
      for (uint32_t x = 1; x < 7; ++x) EXPECT_EQ(residuals[(z * 6 + y) * 7 + x], 0u);
    }
  }
  EXPECT_EQ(residuals[0], values[0]);  // the first element is predicted as 0
}

TEST(ArrayPredictorTest, OrderTwoIsExactOnLinearRuns) {
  const Geometry g({3, 50});
  std::vector<uint16_t> values(g.size());
  for (uint16_t y = 0; y < 3; ++y) {
    for (uint16_t x = 0; x < 50; ++x) values[y * 50 + x] = static_cast<uint16_t>(1000 * y - 7 * x);
  }
  const std::vector<uint16_t> residuals = Residuals(values, g, Spec({0, 2}));
  for (uint16_t y = 0; y < 3; ++y) {
    for (uint16_t x = 2; x < 50; ++x) EXPECT_EQ(residuals[y * 50 + x], 0) << y << "," << x;
    EXPECT_EQ(residuals[y * 50 + 1], static_cast<uint16_t>(-7));
  }
}

TEST(ArrayPredictorTest, OrderThreeIsExactOnQuadraticSurfaces) {
  // x^2 y^2 + 3 x y - 5 y^2: degree <= 2 in each coordinate, so
  // (1 - S_x)^3 (1 - S_y)^3 annihilates it where x, y >= 3; the chooser
  // finds that.
  const Geometry g({40, 60});
  std::vector<uint64_t> values(g.size());
  for (uint64_t y = 0; y < 40; ++y) {
    for (uint64_t x = 0; x < 60; ++x) values[y * 60 + x] = x * x * y * y + 3 * x * y - 5 * y * y;
  }
  const std::vector<uint64_t> residuals = Residuals(values, g, Spec({3, 3}));
  for (uint64_t y = 3; y < 40; ++y) {
    for (uint64_t x = 3; x < 60; ++x) EXPECT_EQ(residuals[y * 60 + x], 0u) << y << "," << x;
  }
  uint64_t bits = 0;
  const PredictorSpec chosen = ChoosePredictor(values.data(), g, 1 << 20, &bits);
  EXPECT_EQ(chosen, Spec({3, 3}));
}

TEST(ArrayPredictorTest, PredictionAtBordersUsesTheAvailableDims) {
  // 2-D Lorenzo: the first row predicts from the left, the first column from
  // above, the first element from nothing.
  const Geometry g({2, 3});
  const std::vector<uint8_t> values = {10, 20, 35, 13, 24, 40};
  const std::vector<uint8_t> residuals = Residuals(values, g, Spec({1, 1}));
  EXPECT_EQ(residuals, (std::vector<uint8_t>{10, 10, 15, 3, 1, 1}));
  // Along dim 0 only: the first row falls back to the previous element.
  EXPECT_EQ(Residuals(values, g, Spec({1, 0})), (std::vector<uint8_t>{10, 10, 15, 3, 4, 5}));
}

TEST(ArrayPredictorTest, ChoosesThePredictorThatFitsTheData) {
  // Rows that are constant but differ from each other at random: the
  // previous value along the row predicts everything after the first column.
  const Geometry g({64, 256});
  std::vector<uint32_t> values(g.size());
  uint32_t seed = 12345;
  for (uint64_t row = 0; row < 64; ++row) {
    seed = seed * 1103515245u + 12345u;
    for (uint64_t x = 0; x < 256; ++x) values[row * 256 + x] = seed;
  }
  uint64_t bits = 0;
  const PredictorSpec spec = ChoosePredictor(values.data(), g, 1 << 20, &bits);
  EXPECT_EQ(spec, Spec({0, 1}));
  EXPECT_LT(bits, 64u * 48);

  // Columns constant instead: the value one row up.
  for (uint64_t x = 0; x < 256; ++x) {
    seed = seed * 1103515245u + 12345u;
    for (uint64_t row = 0; row < 64; ++row) values[row * 256 + x] = seed;
  }
  EXPECT_EQ(ChoosePredictor(values.data(), g, 1 << 20, &bits), Spec({1, 0}));
}

TEST(ArrayPredictorTest, CostEstimateAndLog2) {
  EXPECT_EQ(Log2Q16(1), 0u);
  EXPECT_EQ(Log2Q16(2), 1u << 16);
  EXPECT_EQ(Log2Q16(1024), 10u << 16);
  EXPECT_NEAR(static_cast<double>(Log2Q16(3)) / 65536, 1.5849625, 1e-4);
  EXPECT_NEAR(static_cast<double>(Log2Q16(UINT64_MAX)) / 65536, 64.0, 1e-4);

  ResidualCostEstimate<uint32_t> zeros;
  for (int i = 0; i < 1000; ++i) zeros.Add(0);
  EXPECT_EQ(zeros.Bits(), 0u);
  // Residuals +-1 half each: length 1 always (0 bits), a sign bit each.
  ResidualCostEstimate<uint32_t> signs;
  for (int i = 0; i < 1000; ++i) signs.Add(i % 2 ? 1u : 0xFFFFFFFFu);
  EXPECT_EQ(signs.Bits(), 1000u);
  // Two lengths equally often: 1 bit each for the length, plus sign and mantissa bits.
  ResidualCostEstimate<uint16_t> mixed;
  for (int i = 0; i < 1000; ++i) mixed.Add(i % 2 ? 0 : 4);  // lengths 0 and 3
  EXPECT_NEAR(static_cast<double>(mixed.Bits()), 1000 + 500 * 3, 2);
}

}  // namespace
}  // namespace lmarc::array
