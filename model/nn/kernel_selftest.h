// Start-up self-test of the oneDNN int8 matmul and the scalar fallback switch.
//
// The first call of ActiveMatmulPath() (first use of Int8Matmul::Multiply)
// decides, once per process, which path every Int8Matmul uses:
//   - LMARC_NN_SCALAR=1 in the environment forces the scalar reference;
//   - otherwise RunMatmulSelfTest() runs worst-case and random vectors through
//     oneDNN and the scalar reference; on any difference (or oneDNN error) it
//     prints one warning line on stderr and selects the scalar path.
// Both paths give identical results by construction, so the choice affects
// speed only; the self-test guards against a oneDNN kernel on some CPU
// leaving the exact range documented in docs/model.md.
#pragma once

#include <cstdint>
#include <string>

#include "src/status.h"

namespace lmarc::nn {

enum class MatmulPath : uint8_t { kOnednn, kScalar };

// The path chosen for this process (thread-safe; decided on first call).
MatmulPath ActiveMatmulPath();

// One line for `lmarc version`: the path and, for oneDNN, the ISA its
// kernels use (after any ONEDNN_MAX_CPU_ISA cap), e.g. "oneDNN, ISA avx2".
std::string MatmulPathDescription();

// Compares oneDNN with the scalar reference on worst-case inputs of both
// activation ranges (all-max activations against all-min/all-max weights,
// alternating signs, and pseudo-random data) for shapes M in {1, 7, 64},
// K and N between 16 and 512, and the batched attention products
// (BatchedInt8Matmul, both right-hand layouts) at window and head sizes up to
// the limits docs/model.md allows. (Signed activations only add an exact scalar
// correction on top of the same product, so they need no separate check.)
// Internal with a description of the first difference.
[[nodiscard]] Status RunMatmulSelfTest();

}  // namespace lmarc::nn
