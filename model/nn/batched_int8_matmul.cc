#include "model/nn/batched_int8_matmul.h"

#include <algorithm>
#include <string>

#include "model/nn/kernel_selftest.h"
#include "model/nn/onednn_runtime.h"

namespace lmarc::nn {

using dnnl::memory;

StatusOr<BatchedInt8Matmul> BatchedInt8Matmul::Create(int k, int n, RightLayout layout,
                                                      ActivationRange range) {
  if (k <= 0 || n <= 0 || k > Int8Matmul::kMaxK) {
    return InvalidArgument("batched int8 matmul: bad shape K=" + std::to_string(k) +
                           " N=" + std::to_string(n));
  }
  return BatchedInt8Matmul(k, n, layout, range);
}

Status BatchedInt8Matmul::CheckArguments(std::span<const uint8_t> a, std::span<const int8_t> b,
                                         int batch, int m, std::span<const int32_t> c) const {
  if (batch <= 0 || m <= 0) {
    return InvalidArgument("batched int8 matmul: batch=" + std::to_string(batch) +
                           " M=" + std::to_string(m));
  }
  const size_t elements = static_cast<size_t>(batch);
  const size_t rows = static_cast<size_t>(m);
  if (a.size() != elements * rows * k_ || b.size() != elements * k_ * n_ ||
      c.size() != elements * rows * n_) {
    return InvalidArgument("batched int8 matmul: buffer sizes do not match batch=" +
                           std::to_string(batch) + " M=" + std::to_string(m));
  }
  return CheckActivations(a, range_, "batched int8 matmul");
}

Status BatchedInt8Matmul::Multiply(std::span<const uint8_t> a, std::span<const int8_t> b,
                                   int batch, int m, std::span<int32_t> c) {
  RETURN_IF_ERROR(CheckArguments(a, b, batch, m, c));
  if (ActiveMatmulPath() == MatmulPath::kOnednn) {
    return RunOnednn(a.data(), b.data(), batch, m, c.data());
  }
  RunScalar(a.data(), b.data(), batch, m, c.data());
  return Status::Ok();
}

Status BatchedInt8Matmul::MultiplyScalar(std::span<const uint8_t> a, std::span<const int8_t> b,
                                         int batch, int m, std::span<int32_t> c) {
  RETURN_IF_ERROR(CheckArguments(a, b, batch, m, c));
  RunScalar(a.data(), b.data(), batch, m, c.data());
  return Status::Ok();
}

Status BatchedInt8Matmul::MultiplyOnednn(std::span<const uint8_t> a, std::span<const int8_t> b,
                                         int batch, int m, std::span<int32_t> c) {
  RETURN_IF_ERROR(CheckArguments(a, b, batch, m, c));
  return RunOnednn(a.data(), b.data(), batch, m, c.data());
}

void BatchedInt8Matmul::RunScalar(const uint8_t* a, const int8_t* b, int batch, int m,
                                  int32_t* c) const {
  // Every partial sum is bounded by 255 * 128 * K < 2^31 (K <= kMaxK).
  const size_t k = static_cast<size_t>(k_), n = static_cast<size_t>(n_);
  for (size_t element = 0; element < static_cast<size_t>(batch); ++element) {
    const int8_t* right = b + element * k * n;
    for (size_t row = 0; row < static_cast<size_t>(m); ++row) {
      const uint8_t* in = a + (element * m + row) * k;
      int32_t* __restrict out = c + (element * m + row) * n;
      if (layout_ == RightLayout::kColumnMajor) {
        for (size_t col = 0; col < n; ++col) {
          const int8_t* column = right + col * k;
          int32_t sum = 0;
          for (size_t kk = 0; kk < k; ++kk) sum += int32_t{in[kk]} * column[kk];
          out[col] = sum;
        }
      } else {
        std::fill(out, out + n, 0);
        for (size_t kk = 0; kk < k; ++kk) {
          const int32_t activation = in[kk];
          const int8_t* __restrict w = right + kk * n;
          for (size_t col = 0; col < n; ++col) out[col] += activation * w[col];
        }
      }
    }
  }
}

StatusOr<BatchedInt8Matmul::OnednnPlan*> BatchedInt8Matmul::PlanFor(int batch, int m) {
  const auto key = std::make_pair(batch, m);
  auto found = plans_.find(key);
  if (found != plans_.end()) return &found->second;
  OnednnRuntime& runtime = Runtime();
  try {
    const memory::dim kb = batch, km = m, kk = k_, kn = n_;
    const memory::desc a_md({kb, km, kk}, memory::data_type::u8, memory::dims{km * kk, kk, 1});
    const memory::dims b_strides = layout_ == RightLayout::kRowMajor
                                       ? memory::dims{kk * kn, kn, 1}
                                       : memory::dims{kk * kn, 1, kk};
    const memory::desc b_md({kb, kk, kn}, memory::data_type::s8, b_strides);
    const memory::desc c_md({kb, km, kn}, memory::data_type::s32, memory::dims{km * kn, kn, 1});
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), runtime.engine);
    OnednnPlan plan{dnnl::matmul(pd), memory(a_md, runtime.engine, DNNL_MEMORY_NONE),
                    memory(b_md, runtime.engine, DNNL_MEMORY_NONE),
                    memory(c_md, runtime.engine, DNNL_MEMORY_NONE), {}};
    plan.arguments = {{DNNL_ARG_SRC, plan.source},
                      {DNNL_ARG_WEIGHTS, plan.weights},
                      {DNNL_ARG_DST, plan.destination}};
    return &plans_.emplace(key, std::move(plan)).first->second;
  } catch (const dnnl::error& e) {
    return Internal(std::string("batched int8 matmul: oneDNN primitive creation failed: ") +
                    e.what());
  }
}

Status BatchedInt8Matmul::RunOnednn(const uint8_t* a, const int8_t* b, int batch, int m,
                                    int32_t* c) {
  ASSIGN_OR_RETURN(OnednnPlan * plan, PlanFor(batch, m));
  OnednnRuntime& runtime = Runtime();
  try {
    // oneDNN takes non-const handles; source and weights are only read.
    plan->source.set_data_handle(const_cast<uint8_t*>(a));
    plan->weights.set_data_handle(const_cast<int8_t*>(b));
    plan->destination.set_data_handle(c);
    plan->primitive.execute(runtime.stream, plan->arguments);
    runtime.stream.wait();
  } catch (const dnnl::error& e) {
    return Internal(std::string("batched int8 matmul: oneDNN execution failed: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace lmarc::nn
