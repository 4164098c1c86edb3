// Random transformer models for tests: valid weight files with a fixed seed,
// scaled so that activations use their ranges without saturating everywhere.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/nn/weight_file.h"

namespace lmarc::nn {

struct RandomModelShape {
  uint32_t d_model = 32, n_layers = 2, n_heads = 2, context = 16, ffn_dim = 64;
};

inline std::vector<uint8_t> RandomModelFile(const RandomModelShape& s, uint64_t seed) {
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const auto s8 = [&](std::vector<uint32_t> dims, Requantizer r) {
    size_t n = 1;
    for (uint32_t d : dims) n *= d;
    Tensor t{"", DType::kS8, dims, r, std::vector<uint8_t>(n)};
    for (uint8_t& b : t.data) b = static_cast<uint8_t>(next());
    return t;
  };
  const auto le = [&](DType dtype, std::vector<uint32_t> dims, int64_t lo, int64_t hi) {
    size_t n = 1;
    for (uint32_t d : dims) n *= d;
    const size_t width = ElementSize(dtype);
    Tensor t{"", dtype, dims, {1, 0}, std::vector<uint8_t>(n * width)};
    for (size_t i = 0; i < n; ++i) {
      const int64_t v = lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
      for (size_t b = 0; b < width; ++b) t.data[i * width + b] = static_cast<uint8_t>(v >> (8 * b));
    }
    return t;
  };
  // acc of a D-long product of [-64,63] x s8 has a spread of ~ sqrt(D) * 2700.
  const Requantizer to_qk{1 << 20, 20 + 7}, to_v{1 << 20, 20 + 8}, to_residual{1 << 20, 20 + 2};
  const Requantizer to_hidden{1 << 20, 20 + 8}, to_logit{1 << 20, 20 + 2}, score{1 << 20, 20 + 4};
  std::vector<Tensor> tensors;
  const auto add = [&](std::string name, Tensor t) {
    t.name = std::move(name);
    tensors.push_back(std::move(t));
  };
  add("embed", le(DType::kS16, {257, s.d_model}, -2000, 2000));
  for (uint32_t l = 0; l < s.n_layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    add(p + "wq", s8({s.d_model, s.d_model}, to_qk));
    add(p + "wk", s8({s.d_model, s.d_model}, to_qk));
    add(p + "wv", s8({s.d_model, s.d_model}, to_v));
    Tensor bias = le(DType::kS32, {s.n_heads, s.context}, -600, 600);
    bias.requantizer = score;
    add(p + "attn_bias", std::move(bias));
    add(p + "wo", s8({s.d_model, s.d_model}, to_residual));
    add(p + "w1", s8({s.d_model, s.ffn_dim}, to_hidden));
    add(p + "w2", s8({s.ffn_dim, s.d_model}, to_residual));
  }
  add("head", s8({s.d_model, 256}, to_logit));
  const ModelHeader header{.vocab_size = 256, .d_model = s.d_model, .n_layers = s.n_layers,
                           .n_heads = s.n_heads, .context = s.context, .ffn_dim = s.ffn_dim};
  return WriteWeightFile(header, tensors);
}

}  // namespace lmarc::nn
