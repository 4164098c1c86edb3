// Int8Matmul: oneDNN path == scalar reference (random and worst-case inputs,
// several shapes, both activation ranges), exact signed-activation
// correction, range checks, and determinism across OpenMP thread counts and
// ISA caps (ctest reruns this binary under ONEDNN_MAX_CPU_ISA=SSE41/AVX2/
// AVX512_CORE; every cap must reproduce the scalar reference's hash).
#include "model/nn/int8_matmul.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "model/nn/kernel_selftest.h"
#include "tests/isa_cap_util.h"

namespace lmarc::nn {
namespace {

uint64_t NextRandom(uint64_t& state) {  // splitmix64: identical streams everywhere
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int WeightLow(ActivationRange range) { return range == ActivationRange::k0To127 ? -128 : -64; }
int WeightHigh(ActivationRange range) { return range == ActivationRange::k0To127 ? 127 : 64; }

std::vector<int8_t> RandomWeights(int k, int n, ActivationRange range, uint64_t& rng) {
  std::vector<int8_t> w(static_cast<size_t>(k) * n);
  const int span = WeightHigh(range) - WeightLow(range) + 1;
  for (int8_t& v : w) v = static_cast<int8_t>(WeightLow(range) + static_cast<int>(NextRandom(rng) % span));
  return w;
}

std::vector<uint8_t> RandomActivations(int m, int k, ActivationRange range, uint64_t& rng) {
  std::vector<uint8_t> a(static_cast<size_t>(m) * k);
  for (uint8_t& v : a) v = static_cast<uint8_t>(NextRandom(rng) % (MaxActivation(range) + 1));
  return a;
}

struct Shape { int m, k, n; };
constexpr Shape kShapes[] = {{1, 16, 16},   {1, 512, 512}, {7, 64, 48},   {7, 512, 16},
                             {64, 16, 512}, {64, 256, 128}, {64, 512, 512}, {300, 128, 256},
                             {300, 512, 37}};
constexpr ActivationRange kRanges[] = {ActivationRange::k0To127, ActivationRange::k0To255};

std::vector<int32_t> RunPath(Int8Matmul& matmul, const std::vector<uint8_t>& a, int m,
                             bool onednn) {
  std::vector<int32_t> c(static_cast<size_t>(m) * matmul.n(), -1);
  const Status status = onednn ? matmul.MultiplyOnednn(a, m, c) : matmul.MultiplyScalar(a, m, c);
  EXPECT_TRUE(status.ok()) << status.message();
  return c;
}

TEST(Int8MatmulTest, OnednnMatchesScalarOnRandomInputs) {
  uint64_t rng = 1;
  for (ActivationRange range : kRanges) {
    for (const Shape& s : kShapes) {
      auto matmul = Int8Matmul::Create(RandomWeights(s.k, s.n, range, rng), s.k, s.n, range);
      ASSERT_TRUE(matmul.ok()) << matmul.status().message();
      const std::vector<uint8_t> a = RandomActivations(s.m, s.k, range, rng);
      EXPECT_EQ(RunPath(*matmul, a, s.m, true), RunPath(*matmul, a, s.m, false))
          << s.m << "x" << s.k << "x" << s.n;
    }
  }
}

TEST(Int8MatmulTest, OnednnMatchesScalarOnWorstCaseInputs) {
  for (ActivationRange range : kRanges) {
    for (int weight : {WeightLow(range), WeightHigh(range)}) {
      for (const Shape& s : kShapes) {
        auto matmul = Int8Matmul::Create(
            std::vector<int8_t>(static_cast<size_t>(s.k) * s.n, static_cast<int8_t>(weight)),
            s.k, s.n, range);
        ASSERT_TRUE(matmul.ok());
        const std::vector<uint8_t> a(static_cast<size_t>(s.m) * s.k,
                                     static_cast<uint8_t>(MaxActivation(range)));
        const std::vector<int32_t> c = RunPath(*matmul, a, s.m, true);
        EXPECT_EQ(c, RunPath(*matmul, a, s.m, false));
        EXPECT_EQ(c[0], MaxActivation(range) * weight * s.k);  // the extreme value itself
      }
    }
  }
}

TEST(Int8MatmulTest, SignedActivationCorrectionIsExact) {
  uint64_t rng = 2;
  for (ActivationRange range : kRanges) {
    const int offset = SignedActivationOffset(range);
    for (const Shape& s : kShapes) {
      const std::vector<int8_t> w = RandomWeights(s.k, s.n, range, rng);
      auto matmul = Int8Matmul::Create(w, s.k, s.n, range);
      ASSERT_TRUE(matmul.ok());
      std::vector<int8_t> a(static_cast<size_t>(s.m) * s.k);
      const int low = -offset, high = MaxActivation(range) - offset;
      for (size_t i = 0; i < a.size(); ++i) {  // extremes first, then random
        a[i] = static_cast<int8_t>(i < 2 ? (i == 0 ? low : high)
                                         : low + static_cast<int>(NextRandom(rng) % (high - low + 1)));
      }
      std::vector<int32_t> c(static_cast<size_t>(s.m) * s.n);
      ASSERT_TRUE(matmul->MultiplySigned(a, s.m, c).ok());
      for (int row = 0; row < s.m; ++row) {
        for (int col = 0; col < s.n; ++col) {
          int64_t expected = 0;
          for (int kk = 0; kk < s.k; ++kk) {
            expected += int64_t{a[static_cast<size_t>(row) * s.k + kk]} *
                        w[static_cast<size_t>(kk) * s.n + col];
          }
          ASSERT_EQ(c[static_cast<size_t>(row) * s.n + col], expected);
        }
      }
    }
  }
}

TEST(Int8MatmulTest, RejectsInputsOutsideTheExactRange) {
  EXPECT_EQ(Int8Matmul::Create({65}, 1, 1, ActivationRange::k0To255).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Int8Matmul::Create({1, 2}, 1, 1, ActivationRange::k0To127).status().code(),
            StatusCode::kInvalidArgument);
  auto matmul = Int8Matmul::Create({-128, 127}, 1, 2, ActivationRange::k0To127);
  ASSERT_TRUE(matmul.ok());
  std::vector<int32_t> c(2);
  const std::vector<uint8_t> too_large = {128};
  EXPECT_EQ(matmul->Multiply(too_large, 1, c).code(), StatusCode::kInternal);
  EXPECT_EQ(matmul->MultiplyOnednn(too_large, 1, c).code(), StatusCode::kInternal);
  const std::vector<int8_t> too_negative = {-65};
  EXPECT_EQ(matmul->MultiplySigned(too_negative, 1, c).code(), StatusCode::kInternal);
  const std::vector<uint8_t> wrong_size = {1, 2};
  EXPECT_EQ(matmul->Multiply(wrong_size, 1, c).code(), StatusCode::kInvalidArgument);
}

TEST(Int8MatmulTest, SelfTestPassesAndOnednnIsActive) {
  const Status self_test = RunMatmulSelfTest();
  EXPECT_TRUE(self_test.ok()) << self_test.message();
  const char* forced = std::getenv("LMARC_NN_SCALAR");
  const bool scalar_forced = forced != nullptr && std::strcmp(forced, "1") == 0;
  EXPECT_EQ(ActiveMatmulPath(), scalar_forced ? MatmulPath::kScalar : MatmulPath::kOnednn);
}

TEST(Int8MatmulTest, ResultsDoNotDependOnThreadCount) {
  uint64_t rng = 3;
  const int saved_threads = omp_get_max_threads();
  for (const Shape& s : kShapes) {
    const std::vector<int8_t> w = RandomWeights(s.k, s.n, ActivationRange::k0To127, rng);
    const std::vector<uint8_t> a = RandomActivations(s.m, s.k, ActivationRange::k0To127, rng);
    std::vector<std::vector<int32_t>> results;
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      // A fresh object creates its primitive under this thread count.
      auto matmul = Int8Matmul::Create(w, s.k, s.n, ActivationRange::k0To127);
      ASSERT_TRUE(matmul.ok());
      results.push_back(RunPath(*matmul, a, s.m, true));
    }
    EXPECT_EQ(results[0], results[1]) << s.m << "x" << s.k << "x" << s.n;
  }
  omp_set_num_threads(saved_threads);
}

// FNV-1a over the little-endian bytes of every output of a fixed workload.
uint64_t WorkloadHash(bool onednn) {
  uint64_t hash = 0xCBF29CE484222325ull;
  uint64_t rng = 4;
  for (ActivationRange range : kRanges) {
    for (const Shape& s : kShapes) {
      auto matmul = Int8Matmul::Create(RandomWeights(s.k, s.n, range, rng), s.k, s.n, range);
      EXPECT_TRUE(matmul.ok());
      for (int32_t value : RunPath(*matmul, RandomActivations(s.m, s.k, range, rng), s.m, onednn)) {
        for (int byte = 0; byte < 4; ++byte) {
          hash = (hash ^ ((static_cast<uint32_t>(value) >> (8 * byte)) & 0xFF)) *
                 0x100000001B3ull;
        }
      }
    }
  }
  return hash;
}

// The hash of the scalar reference on the fixed workload: every CPU and ISA
// cap must reproduce it through oneDNN.
constexpr uint64_t kWorkloadHash = 0xC4E935ECC4618588ull;

TEST(Int8MatmulTest, EveryIsaCapReproducesTheScalarHash) {
  ExpectIsaCapTookEffect();
  std::printf("effective oneDNN ISA: 0x%x\n",
              static_cast<unsigned>(dnnl::get_effective_cpu_isa()));
  const uint64_t scalar_hash = WorkloadHash(false);
  EXPECT_EQ(scalar_hash, kWorkloadHash) << std::hex << scalar_hash;
  EXPECT_EQ(WorkloadHash(true), scalar_hash);
}

TEST(Int8MatmulTest, ReportsTimingOf64x512x512) {
  constexpr int kM = 64, kK = 512, kN = 512, kRepeats = 50;
  uint64_t rng = 5;
  auto matmul = Int8Matmul::Create(RandomWeights(kK, kN, ActivationRange::k0To127, rng), kK, kN,
                                   ActivationRange::k0To127);
  ASSERT_TRUE(matmul.ok());
  const std::vector<uint8_t> a = RandomActivations(kM, kK, ActivationRange::k0To127, rng);
  std::vector<int32_t> c(static_cast<size_t>(kM) * kN);
  for (bool onednn : {true, false}) {
    ASSERT_TRUE(matmul->MultiplyOnednn(a, kM, c).ok());  // warm-up: primitive + weights
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRepeats; ++i) {
      ASSERT_TRUE((onednn ? matmul->MultiplyOnednn(a, kM, c) : matmul->MultiplyScalar(a, kM, c)).ok());
    }
    const double us = std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - start).count() / kRepeats;
    std::printf("64x512x512 %s: %.1f us/product, %.1f GOPS\n", onednn ? "oneDNN" : "scalar", us,
                2.0 * kM * kK * kN / us / 1e3);
  }
}

}  // namespace
}  // namespace lmarc::nn
