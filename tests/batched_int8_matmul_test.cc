// BatchedInt8Matmul: oneDNN path == scalar reference == a plain int64
// product, for both right-hand layouts and both activation ranges, at the
// attention products' shapes (one and many batch elements, M = 2 and 64) and
// at their limits; argument checks. ctest reruns it under each
// ONEDNN_MAX_CPU_ISA cap and with the scalar path forced.
#include "model/nn/batched_int8_matmul.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/isa_cap_util.h"
#include "tests/test_rng.h"

namespace lmarc::nn {
namespace {

struct Case {
  int batch, m, k, n;
  RightLayout layout;
  ActivationRange range;
};
constexpr Case kCases[] = {
    {1, 2, 32, 95, RightLayout::kColumnMajor, ActivationRange::k0To127},
    {24, 2, 32, 95, RightLayout::kColumnMajor, ActivationRange::k0To127},
    {4, 64, 16, 47, RightLayout::kColumnMajor, ActivationRange::k0To127},
    {2, 6, 256, 287, RightLayout::kColumnMajor, ActivationRange::k0To127},
    {1, 2, 95, 32, RightLayout::kRowMajor, ActivationRange::k0To255},
    {24, 2, 95, 32, RightLayout::kRowMajor, ActivationRange::k0To255},
    {4, 64, 47, 16, RightLayout::kRowMajor, ActivationRange::k0To255},
    {2, 6, 287, 256, RightLayout::kRowMajor, ActivationRange::k0To255},
};

// c[b][row][col] in int64 straight from the definition.
std::vector<int32_t> Reference(const Case& c, const std::vector<uint8_t>& a,
                               const std::vector<int8_t>& b) {
  std::vector<int32_t> out(static_cast<size_t>(c.batch) * c.m * c.n);
  for (int e = 0; e < c.batch; ++e) {
    for (int row = 0; row < c.m; ++row) {
      for (int col = 0; col < c.n; ++col) {
        int64_t sum = 0;
        for (int kk = 0; kk < c.k; ++kk) {
          const size_t right = static_cast<size_t>(e) * c.k * c.n +
                               (c.layout == RightLayout::kRowMajor
                                    ? static_cast<size_t>(kk) * c.n + col
                                    : static_cast<size_t>(col) * c.k + kk);
          sum += int64_t{a[(static_cast<size_t>(e) * c.m + row) * c.k + kk]} * b[right];
        }
        out[(static_cast<size_t>(e) * c.m + row) * c.n + col] = static_cast<int32_t>(sum);
      }
    }
  }
  return out;
}

void ExpectAllPathsEqual(const Case& c, const std::vector<uint8_t>& a,
                         const std::vector<int8_t>& b) {
  auto matmul = BatchedInt8Matmul::Create(c.k, c.n, c.layout, c.range);
  ASSERT_TRUE(matmul.ok());
  const std::vector<int32_t> expected = Reference(c, a, b);
  for (int path = 0; path < 3; ++path) {
    std::vector<int32_t> out(expected.size(), -1);
    const Status status =
        path == 0   ? matmul->MultiplyScalar(a, b, c.batch, c.m, out)
        : path == 1 ? matmul->MultiplyOnednn(a, b, c.batch, c.m, out)
                    : matmul->Multiply(a, b, c.batch, c.m, out);
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(out, expected) << "path " << path << " batch " << c.batch << " M " << c.m
                             << " K " << c.k << " N " << c.n;
  }
}

TEST(BatchedInt8MatmulTest, EveryPathEqualsTheDefinitionOnRandomInputs) {
  ExpectIsaCapTookEffect();
  TestRng rng(7);
  for (const Case& c : kCases) {
    std::vector<uint8_t> a(static_cast<size_t>(c.batch) * c.m * c.k);
    std::vector<int8_t> b(static_cast<size_t>(c.batch) * c.k * c.n);
    for (uint8_t& v : a) v = static_cast<uint8_t>(rng.Next() % (MaxActivation(c.range) + 1));
    const int limit = MaxAbsWeight(c.range);
    for (int8_t& v : b) {
      v = static_cast<int8_t>(static_cast<int>(rng.Next() % (2 * limit + 1)) - limit);
      if (v == -128) v = -127;  // keys are in [-127, 127]; -128 is covered below
    }
    ExpectAllPathsEqual(c, a, b);
  }
}

TEST(BatchedInt8MatmulTest, EveryPathEqualsTheDefinitionAtTheRangeLimits) {
  for (const Case& c : kCases) {
    const std::vector<uint8_t> a(static_cast<size_t>(c.batch) * c.m * c.k,
                                 static_cast<uint8_t>(MaxActivation(c.range)));
    const int low = c.range == ActivationRange::k0To127 ? -128 : -64;
    const int high = c.range == ActivationRange::k0To127 ? 127 : 64;
    for (int weight : {low, high}) {
      ExpectAllPathsEqual(c, a, std::vector<int8_t>(static_cast<size_t>(c.batch) * c.k * c.n,
                                                    static_cast<int8_t>(weight)));
    }
  }
}

TEST(BatchedInt8MatmulTest, RejectsBadShapesSizesAndActivations) {
  EXPECT_FALSE(BatchedInt8Matmul::Create(0, 4, RightLayout::kRowMajor, ActivationRange::k0To127).ok());
  EXPECT_FALSE(BatchedInt8Matmul::Create(4, 0, RightLayout::kRowMajor, ActivationRange::k0To127).ok());
  auto matmul = BatchedInt8Matmul::Create(4, 3, RightLayout::kColumnMajor, ActivationRange::k0To127);
  ASSERT_TRUE(matmul.ok());
  std::vector<uint8_t> a(2 * 2 * 4, 1);
  std::vector<int8_t> b(2 * 4 * 3, 1);
  std::vector<int32_t> c(2 * 2 * 3);
  EXPECT_TRUE(matmul->Multiply(a, b, 2, 2, c).ok());
  EXPECT_EQ(matmul->Multiply(a, b, 2, 3, c).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(matmul->Multiply(a, b, 0, 2, c).code(), StatusCode::kInvalidArgument);
  a[5] = 128;  // above 127
  EXPECT_EQ(matmul->Multiply(a, b, 2, 2, c).code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace lmarc::nn
