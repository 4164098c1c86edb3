#include "model/nn/int8_matmul.h"

#include <algorithm>
#include <string>

#include "model/nn/kernel_selftest.h"
#include "model/nn/onednn_runtime.h"

namespace lmarc::nn {
namespace {

using dnnl::memory;

}  // namespace

int MaxAbsWeight(ActivationRange range) { return range == ActivationRange::k0To127 ? 128 : 64; }

int MaxActivation(ActivationRange range) { return range == ActivationRange::k0To127 ? 127 : 255; }

Status CheckActivations(std::span<const uint8_t> a, ActivationRange range, const char* product) {
  const uint8_t max_activation = static_cast<uint8_t>(MaxActivation(range));
  if (max_activation == 255 || a.empty()) return Status::Ok();
  const uint8_t largest = *std::max_element(a.begin(), a.end());
  if (largest > max_activation) {
    return Internal(std::string(product) + ": activation " + std::to_string(largest) +
                    " above " + std::to_string(max_activation));
  }
  return Status::Ok();
}

int SignedActivationOffset(ActivationRange range) {
  return range == ActivationRange::k0To127 ? 64 : 128;
}

StatusOr<Int8Matmul> Int8Matmul::Create(std::vector<int8_t> weights, int k, int n,
                                        ActivationRange range) {
  if (k <= 0 || n <= 0 || k > kMaxK) {
    return InvalidArgument("int8 matmul: bad shape K=" + std::to_string(k) +
                           " N=" + std::to_string(n));
  }
  if (weights.size() != static_cast<size_t>(k) * static_cast<size_t>(n)) {
    return InvalidArgument("int8 matmul: " + std::to_string(weights.size()) +
                           " weights for a " + std::to_string(k) + "x" + std::to_string(n) +
                           " matrix");
  }
  const int max_abs = MaxAbsWeight(range);
  for (int8_t w : weights) {
    if (w < -max_abs || w > max_abs) {
      return InvalidArgument("int8 matmul: weight " + std::to_string(w) +
                             " outside [-" + std::to_string(max_abs) + ", " +
                             std::to_string(max_abs) + "] for this activation range");
    }
  }
  return Int8Matmul(std::move(weights), k, n, range);
}

Int8Matmul::Int8Matmul(std::vector<int8_t> weights, int k, int n, ActivationRange range)
    : weights_(std::move(weights)), column_sums_(static_cast<size_t>(n), 0), k_(k), n_(n),
      range_(range) {
  for (int row = 0; row < k_; ++row) {
    const int8_t* w = &weights_[static_cast<size_t>(row) * n_];
    for (int col = 0; col < n_; ++col) column_sums_[col] += w[col];
  }
}

Status Int8Matmul::CheckSizes(size_t a_size, int m, size_t c_size) const {
  if (m <= 0) return InvalidArgument("int8 matmul: M=" + std::to_string(m));
  const size_t rows = static_cast<size_t>(m);
  if (a_size != rows * k_ || c_size != rows * n_) {
    return InvalidArgument("int8 matmul: buffer sizes do not match M=" + std::to_string(m));
  }
  return Status::Ok();
}

Status Int8Matmul::CheckArguments(std::span<const uint8_t> a, int m,
                                  std::span<const int32_t> c) const {
  RETURN_IF_ERROR(CheckSizes(a.size(), m, c.size()));
  return CheckActivations(a, range_, "int8 matmul");
}

Status Int8Matmul::Multiply(std::span<const uint8_t> a, int m, std::span<int32_t> c) {
  RETURN_IF_ERROR(CheckArguments(a, m, c));
  return Run(a, m, c);
}

Status Int8Matmul::Run(std::span<const uint8_t> a, int m, std::span<int32_t> c) {
  if (ActiveMatmulPath() == MatmulPath::kOnednn) return RunOnednn(a, m, c);
  RunScalar(a, m, c);
  return Status::Ok();
}

Status Int8Matmul::MultiplySigned(std::span<const int8_t> a, int m, std::span<int32_t> c) {
  RETURN_IF_ERROR(CheckSizes(a.size(), m, c.size()));
  const int offset = SignedActivationOffset(range_);
  shifted_activations_.resize(a.size());
  // One pass that vectorises: shift every value, track the extremes, check after.
  const int8_t* __restrict in = a.data();
  uint8_t* __restrict shifted = shifted_activations_.data();
  int lowest = 127, highest = -128;
  for (size_t i = 0; i < a.size(); ++i) {
    lowest = std::min<int>(lowest, in[i]);
    highest = std::max<int>(highest, in[i]);
    shifted[i] = static_cast<uint8_t>(in[i] + offset);
  }
  if (!a.empty() && (lowest + offset < 0 || highest + offset > MaxActivation(range_))) {
    return Internal("int8 matmul: signed activation " +
                    std::to_string(lowest + offset < 0 ? lowest : highest) + " outside [-" +
                    std::to_string(offset) + ", " + std::to_string(MaxActivation(range_) - offset) +
                    "]");
  }
  RETURN_IF_ERROR(Run(shifted_activations_, m, c));
  // c currently holds sum_k (a + offset) * w = a×W + offset * column_sum.
  const size_t n = static_cast<size_t>(n_);
  const int32_t* __restrict sums = column_sums_.data();
  for (size_t row = 0; row < static_cast<size_t>(m); ++row) {
    int32_t* __restrict out = &c[row * n];
    for (size_t col = 0; col < n; ++col) out[col] -= offset * sums[col];
  }
  return Status::Ok();
}

Status Int8Matmul::MultiplyScalar(std::span<const uint8_t> a, int m, std::span<int32_t> c) {
  RETURN_IF_ERROR(CheckArguments(a, m, c));
  RunScalar(a, m, c);
  return Status::Ok();
}

void Int8Matmul::RunScalar(std::span<const uint8_t> a, int m, std::span<int32_t> c) const {
  // Row × matrix in k order; every partial sum is bounded by 255*128*K < 2^31.
  // Locals and __restrict: an int32 store could otherwise alias n_ (and int8_t
  // aliases anything), which blocks vectorisation.
  const size_t k = static_cast<size_t>(k_);
  const size_t n = static_cast<size_t>(n_);
  const int8_t* weights = weights_.data();
  for (size_t row = 0; row < static_cast<size_t>(m); ++row) {
    int32_t* __restrict out = &c[row * n];
    std::fill(out, out + n, 0);
    const uint8_t* in = &a[row * k];
    for (size_t kk = 0; kk < k; ++kk) {
      const int32_t activation = in[kk];
      const int8_t* __restrict w = weights + kk * n;
      for (size_t col = 0; col < n; ++col) out[col] += activation * w[col];
    }
  }
}

StatusOr<Int8Matmul::OnednnPlan*> Int8Matmul::PlanFor(int m) {
  auto found = plans_.find(m);
  if (found != plans_.end()) return &found->second;
  OnednnRuntime& runtime = Runtime();
  try {
    const memory::desc a_md({m, k_}, memory::data_type::u8, memory::format_tag::ab);
    const memory::desc w_any_md({k_, n_}, memory::data_type::s8, memory::format_tag::any);
    const memory::desc c_md({m, n_}, memory::data_type::s32, memory::format_tag::ab);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, w_any_md, c_md),
                                          runtime.engine);
    // Plans for different M usually want the same weight layout: reorder once per layout.
    const memory::desc w_md = pd.weights_desc();
    auto same_layout = std::find_if(reordered_weights_.begin(), reordered_weights_.end(),
                                    [&](const auto& entry) { return entry.first == w_md; });
    if (same_layout == reordered_weights_.end()) {
      const memory::desc plain_md({k_, n_}, memory::data_type::s8, memory::format_tag::ab);
      memory plain(plain_md, runtime.engine, weights_.data());
      memory reordered(w_md, runtime.engine);
      dnnl::reorder(plain, reordered).execute(runtime.stream, plain, reordered);
      runtime.stream.wait();
      reordered_weights_.emplace_back(w_md, reordered);
      same_layout = reordered_weights_.end() - 1;
    }
    OnednnPlan plan{dnnl::matmul(pd), same_layout->second,
                    memory(a_md, runtime.engine, DNNL_MEMORY_NONE),
                    memory(c_md, runtime.engine, DNNL_MEMORY_NONE), {}};
    plan.arguments = {{DNNL_ARG_SRC, plan.source},
                      {DNNL_ARG_WEIGHTS, plan.weights},
                      {DNNL_ARG_DST, plan.destination}};
    auto inserted = plans_.emplace(m, std::move(plan));
    return &inserted.first->second;
  } catch (const dnnl::error& e) {
    return Internal(std::string("int8 matmul: oneDNN primitive creation failed: ") + e.what());
  }
}

Status Int8Matmul::MultiplyOnednn(std::span<const uint8_t> a, int m, std::span<int32_t> c) {
  RETURN_IF_ERROR(CheckArguments(a, m, c));
  return RunOnednn(a, m, c);
}

Status Int8Matmul::RunOnednn(std::span<const uint8_t> a, int m, std::span<int32_t> c) {
  ASSIGN_OR_RETURN(OnednnPlan * plan, PlanFor(m));
  OnednnRuntime& runtime = Runtime();
  try {
    // oneDNN takes non-const handles; the source is only read. The memory
    // objects in plan->arguments share their handles with source/destination.
    plan->source.set_data_handle(const_cast<uint8_t*>(a.data()));
    plan->destination.set_data_handle(c.data());
    plan->primitive.execute(runtime.stream, plan->arguments);
    runtime.stream.wait();
  } catch (const dnnl::error& e) {
    return Internal(std::string("int8 matmul: oneDNN execution failed: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace lmarc::nn
