// The one oneDNN CPU engine and stream of the process, shared by every
// integer product (Int8Matmul, BatchedInt8Matmul). oneDNN's CPU engine runs
// its OpenMP threads inside each execute; integer results never depend on the
// thread count.
#pragma once

#include "oneapi/dnnl/dnnl.hpp"

namespace lmarc::nn {

struct OnednnRuntime {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

// Created on first use (thread-safe static initialisation).
OnednnRuntime& Runtime();

}  // namespace lmarc::nn
