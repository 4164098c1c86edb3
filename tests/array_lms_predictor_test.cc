// Tests of the neural stage (model/array/lms_predictor.h): it starts as the
// plain polynomial predictor, learns correlated residuals, stays defined on
// extreme 64-bit residuals, and its estimate tells where it pays.
#include "model/array/lms_predictor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <span>
#include <vector>

#include "tests/test_rng.h"

namespace lmarc::array {
namespace {

// Runs the stage over a 1-D sequence of polynomial residuals; returns the
// final residuals.
template <typename U>
std::vector<U> Refine(const std::vector<U>& polynomial_residuals) {
  const Geometry geometry({polynomial_residuals.size()});
  LmsPredictor<U> neuron(geometry, 8);
  std::vector<U> final_residuals(polynomial_residuals.size());
  for (uint64_t i = 0; i < polynomial_residuals.size(); ++i) {
    const U correction = neuron.Predict(polynomial_residuals.data(), i, i);
    final_residuals[i] = static_cast<U>(polynomial_residuals[i] - correction);
    neuron.Update(final_residuals[i], polynomial_residuals[i]);
  }
  return final_residuals;
}

// A second-order autoregressive signal (a damped resonance driven by
// noise), as int16 samples stored as offset-binary ordered integers.
std::vector<uint16_t> Resonance(size_t n) {
  TestRng rng(7);
  std::vector<uint16_t> samples(n);
  double previous = 0, before = 0;
  for (size_t i = 0; i < n; ++i) {
    const double noise = static_cast<double>(rng.Next() % 201) - 100.0;
    const double x = 1.8 * previous - 0.9 * before + noise;
    before = previous;
    previous = x;
    samples[i] = static_cast<uint16_t>(static_cast<int16_t>(std::lround(x / 8)) ^ 0x8000);
  }
  return samples;
}

template <typename U>
uint64_t SumOfMagnitudes(const std::vector<U>& residuals, size_t from) {
  uint64_t sum = 0;
  for (size_t i = from; i < residuals.size(); ++i) {
    using Signed = std::make_signed_t<U>;
    sum += static_cast<uint64_t>(std::llabs(static_cast<Signed>(residuals[i])));
  }
  return sum;
}

TEST(LmsPredictorTest, StartsAsThePolynomialPredictor) {
  const std::vector<uint32_t> residuals = {5, 7, 0xFFFFFFF0u, 3};
  LmsPredictor<uint32_t> neuron(Geometry({residuals.size()}), 8);
  EXPECT_EQ(neuron.Predict(residuals.data(), 0, 0), 0u) << "no neighbours, no weights";
  neuron.Update(residuals[0], residuals[0]);
  // One update of 2^-10 on a single input of 5: the correction rounds to 0.
  EXPECT_EQ(neuron.Predict(residuals.data(), 1, 1), 0u);
}

TEST(LmsPredictorTest, LearnsCorrelatedResiduals) {
  // Residuals of "previous value" prediction on the resonance: strongly
  // correlated with their predecessors.
  const std::vector<uint16_t> samples = Resonance(20000);
  std::vector<uint16_t> residuals(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    residuals[i] = static_cast<uint16_t>(samples[i] - (i > 0 ? samples[i - 1] : 0));
  }
  const std::vector<uint16_t> refined = Refine(residuals);
  const uint64_t before = SumOfMagnitudes(residuals, 10000);
  const uint64_t after = SumOfMagnitudes(refined, 10000);
  EXPECT_LT(after * 2, before) << "second half: " << after << " vs " << before;
}

TEST(LmsPredictorTest, SideInputsPredictAFollowingChannel) {
  // The second channel's residuals are half the first's plus small noise:
  // with the first as side input the stage removes most of them.
  TestRng rng(21);
  std::vector<uint16_t> first(20000), second(20000);
  for (size_t i = 0; i < first.size(); ++i) {
    const int v = static_cast<int>(rng.Next() % 2001) - 1000;
    first[i] = static_cast<uint16_t>(v);
    second[i] = static_cast<uint16_t>(v / 2 + static_cast<int>(rng.Next() % 5) - 2);
  }
  const Geometry geometry({second.size()});
  const auto refine = [&](const uint16_t* side) {
    LmsPredictor<uint16_t> neuron(geometry, 8, side);
    std::vector<uint16_t> out(second.size());
    for (uint64_t i = 0; i < second.size(); ++i) {
      out[i] = static_cast<uint16_t>(second[i] - neuron.Predict(second.data(), i, i));
      neuron.Update(out[i], second[i]);
    }
    return out;
  };
  const uint64_t alone = SumOfMagnitudes(refine(nullptr), 10000);
  const uint64_t with_side = SumOfMagnitudes(refine(first.data()), 10000);
  EXPECT_LT(with_side * 10, alone) << with_side << " vs " << alone;
}

TEST(LmsPredictorTest, ExtremeSixtyFourBitResidualsStayDefined) {
  // Alternating extremes of int64 (as W = 64 two's complement): inputs are
  // clipped and shifted, weights clamped; the same run twice agrees.
  std::vector<uint64_t> residuals(5000);
  TestRng rng(11);
  for (size_t i = 0; i < residuals.size(); ++i) {
    const uint64_t pick = rng.Next() % 4;
    residuals[i] = pick == 0   ? uint64_t{1} << 63
                   : pick == 1 ? std::numeric_limits<uint64_t>::max() >> 1
                   : pick == 2 ? 0
                               : rng.Next();
  }
  EXPECT_EQ(Refine(residuals), Refine(residuals));
}

TEST(LmsPredictorTest, EstimateSaysWhereItPays) {
  const std::vector<uint16_t> resonance = Resonance(20000);
  const Geometry geometry({resonance.size()});
  PredictorSpec previous_value;  // order 1 on dim 0
  const uint64_t rows = SampleRows(geometry, 1 << 16);
  const std::vector<uint16_t> resonance_residuals =
      BaseResiduals(resonance.data(), geometry, previous_value, rows);
  const std::span<const uint16_t> residuals(resonance_residuals);
  const RefinementEstimate single = EstimateRefinement(residuals, geometry, NeuralStage{8, 0});
  EXPECT_TRUE(single.Pays());
  // The cascade sees the same polynomial residuals; its second neuron only
  // changes the refined estimate.
  const RefinementEstimate cascade = EstimateRefinement(residuals, geometry, NeuralStage{8, 16});
  EXPECT_EQ(cascade.plain_bits, single.plain_bits);
  EXPECT_NE(cascade.refined_bits, single.refined_bits);
  // Independent noise: nothing to learn.
  TestRng rng(3);
  std::vector<uint16_t> noise(20000);
  for (uint16_t& v : noise) v = static_cast<uint16_t>(rng.Next());
  const std::vector<uint16_t> noise_residuals =
      BaseResiduals(noise.data(), geometry, previous_value, rows);
  const RefinementEstimate estimate =
      EstimateRefinement(std::span<const uint16_t>(noise_residuals), geometry, NeuralStage{8, 0});
  EXPECT_FALSE(estimate.Pays()) << estimate.plain_bits << " vs " << estimate.refined_bits;
  EXPECT_GT(estimate.plain_bits, 0u);
}

}  // namespace
}  // namespace lmarc::array
