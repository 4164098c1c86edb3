// Int8Matmul: exact integer matrix product C[M×N] (s32) = A[M×K] (u8) × W[K×N] (s8).
//
// Bit-identical on every x86 CPU. The oneDNN path is used only inside the
// ranges where every oneDNN ISA kernel is exact (see docs/model.md,
// "Integer kernels"): non-VNNI kernels add adjacent u8×s8 products in int16
// with saturation, so each pair a0*w0 + a1*w1 must fit int16:
//   ActivationRange::k0To127: activations in [0, 127], any s8 weight;
//   ActivationRange::k0To255: activations in [0, 255], weights in [-64, 64].
// The matmul has no attributes (no scales, zero points or post-ops) and the
// source type is always u8 (oneDNN's s8 source path adds +128 internally and
// is not exact). Signed activations go through MultiplySigned, which offsets
// them into the u8 range and subtracts offset × (column sum of W).
//
// Every result is also defined by the scalar reference MultiplyScalar; which
// of the two Multiply uses is decided once per process by the start-up
// self-test (model/nn/kernel_selftest.h).
//
// Not thread-safe: an object caches one oneDNN primitive per M and scratch
// buffers; use one Int8Matmul per thread.
#pragma once

#include <cstdint>
#include <map>
#include <unordered_map>
#include <span>
#include <utility>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"
#include "src/status.h"

namespace lmarc::nn {

enum class ActivationRange : uint8_t {
  k0To127,  // u8 activations in [0, 127]; weights any s8 in [-128, 127]
  k0To255,  // u8 activations in [0, 255]; weights in [-64, 64]
};

// Inclusive upper bound of the u8 activations of `range` (127 or 255).
int MaxActivation(ActivationRange range);

// Largest |weight| allowed with `range` (128 for k0To127: any s8; 64 for k0To255).
int MaxAbsWeight(ActivationRange range);

// Internal("<product>: activation X above MAX") if an activation of `a` is
// outside `range` (a bug of the caller's requantisation).
[[nodiscard]] Status CheckActivations(std::span<const uint8_t> a, ActivationRange range,
                                      const char* product);

// Offset added to signed activations by MultiplySigned: 64 for k0To127
// (signed activations in [-64, 63]), 128 for k0To255 (any s8).
int SignedActivationOffset(ActivationRange range);

class Int8Matmul {
 public:
  // Largest K: keeps every partial sum within int32 (255 * 128 * K < 2^31).
  static constexpr int kMaxK = 65536;

  // `weights` is row-major K×N. InvalidArgument if shapes are not positive,
  // K > kMaxK, or a weight is outside the range `range` allows.
  // The oneDNN weight layout is prepared lazily for this CPU (never stored).
  static StatusOr<Int8Matmul> Create(std::vector<int8_t> weights, int k, int n,
                                     ActivationRange range);

  int n() const { return n_; }

  // c (row-major M×N) = a (row-major M×K) × W on the path chosen by the
  // self-test. InvalidArgument on size mismatch; Internal if an activation is
  // outside the range (a bug of the caller's requantisation). The range scan
  // is always on: it costs M*K byte compares against M*K*N multiply-adds.
  [[nodiscard]] Status Multiply(std::span<const uint8_t> a, int m, std::span<int32_t> c);

  // c = a × W for signed activations a: in [-64, 63] for k0To127, any s8 for
  // k0To255. Computed as (a + offset) × W - offset * column_sums, exact.
  [[nodiscard]] Status MultiplySigned(std::span<const int8_t> a, int m, std::span<int32_t> c);

  // The two paths, explicitly (for the self-test and tests). Same contract
  // as Multiply; results are identical whenever the self-test passed.
  [[nodiscard]] Status MultiplyScalar(std::span<const uint8_t> a, int m, std::span<int32_t> c);
  [[nodiscard]] Status MultiplyOnednn(std::span<const uint8_t> a, int m, std::span<int32_t> c);

 private:
  Int8Matmul(std::vector<int8_t> weights, int k, int n, ActivationRange range);

  // Size checks shared by all entry points; CheckArguments adds the scan of
  // the u8 activations' range (MultiplySigned checks its own range while it
  // shifts, so it does not scan twice).
  [[nodiscard]] Status CheckSizes(size_t a_size, int m, size_t c_size) const;
  [[nodiscard]] Status CheckArguments(std::span<const uint8_t> a, int m,
                                      std::span<const int32_t> c) const;

  // The products on checked arguments: the active path, and each path.
  [[nodiscard]] Status Run(std::span<const uint8_t> a, int m, std::span<int32_t> c);
  void RunScalar(std::span<const uint8_t> a, int m, std::span<int32_t> c) const;
  [[nodiscard]] Status RunOnednn(std::span<const uint8_t> a, int m, std::span<int32_t> c);

  // Primitive for M rows plus the weights in the layout it wants, and the
  // source/destination memory objects and argument map, built once: each
  // call only points them at its buffers (creating them per call costs more
  // than a small product).
  struct OnednnPlan {
    dnnl::matmul primitive;
    dnnl::memory weights;  // reordered for this CPU; shared between plans with equal layouts
    dnnl::memory source;
    dnnl::memory destination;
    std::unordered_map<int, dnnl::memory> arguments;
  };
  StatusOr<OnednnPlan*> PlanFor(int m);

  std::vector<int8_t> weights_;  // row-major K×N, as given
  std::vector<int32_t> column_sums_;  // column_sums_[j] = sum_k W[k][j], for MultiplySigned
  int k_ = 0;
  int n_ = 0;
  ActivationRange range_ = ActivationRange::k0To127;
  std::map<int, OnednnPlan> plans_;  // by M
  std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> reordered_weights_;
  std::vector<uint8_t> shifted_activations_;  // scratch of MultiplySigned
};

}  // namespace lmarc::nn
