// BatchedInt8Matmul: exact batched integer products
//   C[b] (M×N, s32) = A[b] (M×K, u8) × B[b] (K×N, s8),  b in [0, batch),
// for right-hand sides that change every call (the transformer's key and
// value caches), so they are neither reordered nor range-scanned.
//
// The same exactness rules as Int8Matmul (docs/model.md, "Integer kernels"):
// u8 activations only, no attributes, and either activations in [0, 127]
// with any s8 right-hand side (ActivationRange::k0To127) or activations in
// [0, 255] with right-hand sides in [-64, 64] (k0To255). Activations are
// checked on every call; the right-hand sides' range is the caller's
// invariant (the transformer writes its caches through a clamp).
//
// Every batch element is dense and batches follow each other without gaps:
// A is [batch][M][K], C is [batch][M][N], and B is [batch][K×N] in `layout`.
// oneDNN picks its fast batched kernels only for such dense batches.
//
// The scalar reference MultiplyScalar defines every result; Multiply takes
// the path the start-up self-test chose (model/nn/kernel_selftest.h).
// Not thread-safe: caches one oneDNN primitive per (batch, M).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <unordered_map>
#include <utility>

#include "model/nn/int8_matmul.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "src/status.h"

namespace lmarc::nn {

// How each K×N right-hand side lies in memory.
enum class RightLayout : uint8_t {
  kRowMajor,     // element (k, n) at [k * N + n]
  kColumnMajor,  // element (k, n) at [n * K + k] (rows of a cache stored [position][dim])
};

class BatchedInt8Matmul {
 public:
  // InvalidArgument unless 1 <= K <= Int8Matmul::kMaxK and N >= 1.
  static StatusOr<BatchedInt8Matmul> Create(int k, int n, RightLayout layout,
                                            ActivationRange range);

  int k() const { return k_; }
  int n() const { return n_; }

  // c = a × b for `batch` dense elements of M rows, on the active path.
  // InvalidArgument on a size mismatch; Internal if an activation is outside
  // the range.
  [[nodiscard]] Status Multiply(std::span<const uint8_t> a, std::span<const int8_t> b, int batch,
                                int m, std::span<int32_t> c);

  // The two paths, explicitly (self-test and tests); same contract.
  [[nodiscard]] Status MultiplyScalar(std::span<const uint8_t> a, std::span<const int8_t> b,
                                      int batch, int m, std::span<int32_t> c);
  [[nodiscard]] Status MultiplyOnednn(std::span<const uint8_t> a, std::span<const int8_t> b,
                                      int batch, int m, std::span<int32_t> c);

 private:
  BatchedInt8Matmul(int k, int n, RightLayout layout, ActivationRange range)
      : k_(k), n_(n), layout_(layout), range_(range) {}

  [[nodiscard]] Status CheckArguments(std::span<const uint8_t> a, std::span<const int8_t> b,
                                      int batch, int m, std::span<const int32_t> c) const;
  void RunScalar(const uint8_t* a, const int8_t* b, int batch, int m, int32_t* c) const;
  [[nodiscard]] Status RunOnednn(const uint8_t* a, const int8_t* b, int batch, int m, int32_t* c);

  // Primitive and memory objects for one (batch, M), built once; each call
  // only points the memory objects at its buffers.
  struct OnednnPlan {
    dnnl::matmul primitive;
    dnnl::memory source, weights, destination;
    std::unordered_map<int, dnnl::memory> arguments;
  };
  StatusOr<OnednnPlan*> PlanFor(int batch, int m);

  int k_ = 0;
  int n_ = 0;
  RightLayout layout_ = RightLayout::kRowMajor;
  ActivationRange range_ = ActivationRange::k0To127;
  std::map<std::pair<int, int>, OnednnPlan> plans_;  // by (batch, M)
};

}  // namespace lmarc::nn
