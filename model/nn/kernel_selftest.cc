#include "model/nn/kernel_selftest.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "model/nn/batched_int8_matmul.h"
#include "model/nn/int8_matmul.h"

namespace lmarc::nn {
namespace {

// splitmix64: a fixed, portable generator so the test vectors are the same everywhere.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Weight patterns, each at the limits of `range`.
enum class Pattern { kAllMin, kAllMax, kAlternating, kRandom };

std::vector<int8_t> MakeWeights(Pattern pattern, int k, int n, ActivationRange range,
                                uint64_t& rng) {
  const int lowest = -MaxAbsWeight(range);
  const int highest = range == ActivationRange::k0To127 ? 127 : 64;
  std::vector<int8_t> weights(static_cast<size_t>(k) * n);
  for (size_t i = 0; i < weights.size(); ++i) {
    int value = 0;
    switch (pattern) {
      case Pattern::kAllMin: value = lowest; break;
      case Pattern::kAllMax: value = highest; break;
      case Pattern::kAlternating: value = (i % 2 == 0) ? highest : lowest; break;
      case Pattern::kRandom:
        value = lowest + static_cast<int>(NextRandom(rng) % (highest - lowest + 1));
        break;
    }
    weights[i] = static_cast<int8_t>(value);
  }
  return weights;
}

std::vector<uint8_t> MakeActivations(Pattern pattern, int m, int k, ActivationRange range,
                                     uint64_t& rng) {
  const int highest = MaxActivation(range);
  std::vector<uint8_t> activations(static_cast<size_t>(m) * k);
  for (size_t i = 0; i < activations.size(); ++i) {
    int value = highest;  // all-max is the worst case for every weight pattern
    if (pattern == Pattern::kAlternating) value = (i % 3 == 0) ? 0 : highest;
    if (pattern == Pattern::kRandom) value = static_cast<int>(NextRandom(rng) % (highest + 1));
    activations[i] = static_cast<uint8_t>(value);
  }
  return activations;
}

Status CompareOnShape(int m, int k, int n, ActivationRange range, Pattern pattern,
                      uint64_t& rng) {
  ASSIGN_OR_RETURN(Int8Matmul matmul,
                   Int8Matmul::Create(MakeWeights(pattern, k, n, range, rng), k, n, range));
  const std::vector<uint8_t> a = MakeActivations(pattern, m, k, range, rng);
  std::vector<int32_t> expected(static_cast<size_t>(m) * n);
  std::vector<int32_t> actual(expected.size());
  RETURN_IF_ERROR(matmul.MultiplyScalar(a, m, expected));
  RETURN_IF_ERROR(matmul.MultiplyOnednn(a, m, actual));
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] != actual[i]) {
      return Internal("oneDNN int8 matmul " + std::to_string(m) + "x" + std::to_string(k) +
                      "x" + std::to_string(n) + " element " + std::to_string(i) + ": " +
                      std::to_string(actual[i]) + " != scalar " + std::to_string(expected[i]));
    }
  }
  return Status::Ok();
}

// The attention products' shapes: queries × key cache (column-major right-hand
// sides, any s8) and weights × value cache (row-major, [-64, 64]).
Status CompareBatchedOnShape(int batch, int m, int k, int n, RightLayout layout,
                             ActivationRange range, Pattern pattern, uint64_t& rng) {
  ASSIGN_OR_RETURN(BatchedInt8Matmul matmul, BatchedInt8Matmul::Create(k, n, layout, range));
  const std::vector<int8_t> b = MakeWeights(pattern, batch * k, n, range, rng);
  const std::vector<uint8_t> a = MakeActivations(pattern, batch * m, k, range, rng);
  std::vector<int32_t> expected(static_cast<size_t>(batch) * m * n);
  std::vector<int32_t> actual(expected.size());
  RETURN_IF_ERROR(matmul.MultiplyScalar(a, b, batch, m, expected));
  RETURN_IF_ERROR(matmul.MultiplyOnednn(a, b, batch, m, actual));
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] != actual[i]) {
      return Internal("oneDNN batched int8 matmul " + std::to_string(batch) + "x" +
                      std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n) +
                      " element " + std::to_string(i) + ": " + std::to_string(actual[i]) +
                      " != scalar " + std::to_string(expected[i]));
    }
  }
  return Status::Ok();
}

MatmulPath ChoosePath() {
  const char* forced = std::getenv("LMARC_NN_SCALAR");
  if (forced != nullptr && std::strcmp(forced, "1") == 0) return MatmulPath::kScalar;
  if (!RunMatmulSelfTest().ok()) {
    std::fprintf(stderr,
                 "lmarc: warning: oneDNN int8 matmul differs from the scalar reference on "
                 "this CPU; using the scalar path\n");
    return MatmulPath::kScalar;
  }
  return MatmulPath::kOnednn;
}

}  // namespace

MatmulPath ActiveMatmulPath() {
  static const MatmulPath path = ChoosePath();  // thread-safe static initialisation
  return path;
}

std::string MatmulPathDescription() {
  if (ActiveMatmulPath() == MatmulPath::kScalar) return "scalar reference";
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "oneDNN, ISA sse41";
    case dnnl::cpu_isa::avx: return "oneDNN, ISA avx";
    case dnnl::cpu_isa::avx2: return "oneDNN, ISA avx2";
    case dnnl::cpu_isa::avx2_vnni: return "oneDNN, ISA avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "oneDNN, ISA avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "oneDNN, ISA avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "oneDNN, ISA avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "oneDNN, ISA avx512_core_amx";
    default: return "oneDNN, ISA other";
  }
}

Status RunMatmulSelfTest() {
  struct Shape { int m, k, n; };
  static constexpr Shape kShapes[] = {{1, 64, 64}, {7, 512, 48}, {64, 16, 512}, {64, 256, 128}};
  uint64_t rng = 0x6C6D617263ull;  // "lmarc"
  for (ActivationRange range : {ActivationRange::k0To127, ActivationRange::k0To255}) {
    for (Pattern pattern :
         {Pattern::kAllMin, Pattern::kAllMax, Pattern::kAlternating, Pattern::kRandom}) {
      for (const Shape& shape : kShapes) {
        RETURN_IF_ERROR(CompareOnShape(shape.m, shape.k, shape.n, range, pattern, rng));
      }
    }
  }
  struct BatchedShape { int batch, m, k, n; RightLayout layout; ActivationRange range; };
  static constexpr BatchedShape kBatchedShapes[] = {
      {1, 2, 32, 95, RightLayout::kColumnMajor, ActivationRange::k0To127},
      {16, 2, 32, 95, RightLayout::kColumnMajor, ActivationRange::k0To127},
      {1, 8, 256, 287, RightLayout::kColumnMajor, ActivationRange::k0To127},
      {1, 2, 95, 32, RightLayout::kRowMajor, ActivationRange::k0To255},
      {16, 64, 95, 32, RightLayout::kRowMajor, ActivationRange::k0To255},
      {1, 8, 287, 256, RightLayout::kRowMajor, ActivationRange::k0To255}};
  for (Pattern pattern :
       {Pattern::kAllMin, Pattern::kAllMax, Pattern::kAlternating, Pattern::kRandom}) {
    for (const BatchedShape& shape : kBatchedShapes) {
      RETURN_IF_ERROR(CompareBatchedOnShape(shape.batch, shape.m, shape.k, shape.n, shape.layout,
                                            shape.range, pattern, rng));
    }
  }
  return Status::Ok();
}

}  // namespace lmarc::nn
