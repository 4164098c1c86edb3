// Logistic mixer, fixed point, one layer.
//
// One weight set per bit is chosen by a small context (the predictor passes
// its index); the dot product of the stretched inputs with that set, squashed,
// is the mixed prediction. The set is trained online to minimise coding cost:
// w += rate * input * (bit - p).
//
// Units: inputs and the output are stretched values (1/256 logit,
// |x| <= 2047); weights are int16 in Q13 (8192 = 1.0, so |w| < 4.0); errors
// are 12-bit ((bit << 12) - p16 / 16).
//
// Both hot loops are exact integer arithmetic on 24 int16 lanes: the SSE2
// versions (pmaddwd, pmulhw, paddsw; SSE2 is baseline on x86-64, so no
// dispatch) compute the same integers as the scalar reference versions,
// which are used elsewhere and which cm_tables_test compares them against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "model/cm/logistic.h"

namespace lmarc::cm {

// Inputs per bit including the bias: three 8-lane int16 vectors. Unused ones
// stay 0 and never change a dot product or a weight.
inline constexpr int kMixerWidth = 24;
inline constexpr int kMixerVectors = kMixerWidth / 8;
// Weight scale: 1.0 = 2^kMixerWeightShift.
inline constexpr int kMixerWeightShift = 13;

// Clamps a dot product (already scaled to the stretch domain).
inline int ClampStretch(int x) {
  return x > kStretchLimit ? kStretchLimit : (x < -kStretchLimit ? -kStretchLimit : x);
}

// sum(inputs[i] * weights[i]) >> kMixerWeightShift, clamped to the stretch
// range. Exact: each |product| <= 2047 * 32768 < 2^26, so the sum of 24 fits
// an int32 in any order.
inline int MixerDotProductReference(const int16_t* inputs, const int16_t* weights) {
  int32_t sum = 0;
  for (int i = 0; i < kMixerWidth; ++i) sum += int32_t{inputs[i]} * weights[i];
  return ClampStretch(sum >> kMixerWeightShift);
}

// weights[i] += inputs[i] * scaled_error / 2^16, rounded half up, saturated
// to int16 (computed as in SSE2: pmulhw of 2 * input, +1, >> 1, paddsw).
// |scaled_error| <= 32767 and |2 * input| <= 4094 fit int16.
inline void MixerTrainReference(const int16_t* inputs, int16_t* weights, int scaled_error) {
  for (int i = 0; i < kMixerWidth; ++i) {
    const int32_t delta = (((int32_t{inputs[i]} * 2 * scaled_error) >> 16) + 1) >> 1;
    const int32_t w = weights[i] + delta;
    weights[i] = static_cast<int16_t>(w > 32767 ? 32767 : (w < -32768 ? -32768 : w));
  }
}

#if defined(__SSE2__)
inline int MixerDotProduct(const int16_t* inputs, const int16_t* weights) {
  const __m128i* in = reinterpret_cast<const __m128i*>(inputs);
  const __m128i* w = reinterpret_cast<const __m128i*>(weights);
  __m128i sum = _mm_madd_epi16(_mm_loadu_si128(in), _mm_loadu_si128(w));
  for (int v = 1; v < kMixerVectors; ++v) {
    sum = _mm_add_epi32(sum, _mm_madd_epi16(_mm_loadu_si128(in + v), _mm_loadu_si128(w + v)));
  }
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
  return ClampStretch(_mm_cvtsi128_si32(sum) >> kMixerWeightShift);
}

inline void MixerTrain(const int16_t* inputs, int16_t* weights, int scaled_error) {
  const __m128i* in = reinterpret_cast<const __m128i*>(inputs);
  __m128i* w = reinterpret_cast<__m128i*>(weights);
  const __m128i e = _mm_set1_epi16(static_cast<int16_t>(scaled_error));
  const __m128i one = _mm_set1_epi16(1);
  for (int v = 0; v < kMixerVectors; ++v) {
    const __m128i x2 = _mm_slli_epi16(_mm_loadu_si128(in + v), 1);
    const __m128i delta = _mm_srai_epi16(_mm_add_epi16(_mm_mulhi_epi16(x2, e), one), 1);
    _mm_storeu_si128(w + v, _mm_adds_epi16(_mm_loadu_si128(w + v), delta));
  }
}
#else
inline int MixerDotProduct(const int16_t* inputs, const int16_t* weights) {
  return MixerDotProductReference(inputs, weights);
}
inline void MixerTrain(const int16_t* inputs, int16_t* weights, int scaled_error) {
  MixerTrainReference(inputs, weights, scaled_error);
}
#endif

class Mixer {
 public:
  static constexpr int kWidth = kMixerWidth;

  // `num_inputs` (< kWidth) inputs per bit plus a constant bias input;
  // `num_sets` weight sets.
  Mixer(int num_inputs, int num_sets);

  // The caller writes inputs()[0 .. num_inputs-1] (stretched values, within
  // +-kStretchLimit) before each Mix; the bias and the padding after it are
  // never written.
  int16_t* inputs() { return inputs_; }

  // Mixes the current inputs with weight set `set`; returns P(1) in 2^-16.
  uint32_t Mix(const LogisticTables& logistic, int set) {
    selected_ = &weights_[static_cast<size_t>(set) * kWidth];
    p_ = static_cast<uint32_t>(Squash(logistic, MixerDotProduct(inputs_, selected_)));
    return p_;
  }

  // Trains the set used by the last Mix. The error is at most 4095 in
  // magnitude, so the scaled error fits int16.
  void Update(int bit) {
    MixerTrain(inputs_, selected_, ((bit << 12) - static_cast<int>(p_ >> 4)) * kRate);
  }

 private:
  // Learning rate: a weight moves by input * error * kRate / 2^16 in Q13
  // units (input in 1/256 logit, error in 2^-12): 6/1024 * input * error in
  // real units (logits, probability).
  static constexpr int kRate = 3;

  alignas(16) int16_t inputs_[kWidth] = {};
  std::unique_ptr<int16_t[]> weights_;  // [set * kWidth + i]
  int16_t* selected_;                   // the set of the last Mix
  uint32_t p_ = 32768;                  // the last Mix's output
};

}  // namespace lmarc::cm
