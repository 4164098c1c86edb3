// Checks that a ONEDNN_MAX_CPU_ISA cap set by ctest really took effect, so a
// determinism test under a cap cannot pass by silently running uncapped.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "oneapi/dnnl/dnnl.hpp"

namespace lmarc {

inline void ExpectIsaCapTookEffect() {
  const char* cap = std::getenv("ONEDNN_MAX_CPU_ISA");
  if (cap == nullptr) return;
  const std::string name = cap;
  dnnl::cpu_isa expected = dnnl::cpu_isa::all;
  if (name == "SSE41") expected = dnnl::cpu_isa::sse41;
  if (name == "AVX2") expected = dnnl::cpu_isa::avx2;
  if (name == "AVX512_CORE") expected = dnnl::cpu_isa::avx512_core;
  ASSERT_NE(expected, dnnl::cpu_isa::all) << "unknown cap " << name;
  EXPECT_EQ(dnnl::get_effective_cpu_isa(), expected) << "ONEDNN_MAX_CPU_ISA=" << name;
}

}  // namespace lmarc
