#include "model/array/row_length.h"

#include <algorithm>
#include <bit>
#include <utility>
#include <vector>

#include "model/array/predictor.h"
#include "model/array/residual_coder.h"

namespace lmarc::array {
namespace {

// Positions at which the lag scan compares x[i] with x[i - lag].
constexpr uint64_t kScanPositions = 2048;
// Lags the scan proposes.
constexpr size_t kScannedCandidates = 2;

// The kScannedCandidates lags in (kMaxRecordRowLength, kMaxScannedRowLength]
// that fit `elements` with the smallest summed bit widths of x[i] - x[i - lag]
// at kScanPositions positions spread over the array (ties: the shorter lag).
template <typename U>
std::vector<uint64_t> ScanLags(const U* values, uint64_t elements) {
  const uint64_t max_lag = std::min(kMaxScannedRowLength, elements / 2);
  std::vector<std::pair<uint64_t, uint64_t>> scored;  // (bits, lag)
  for (uint64_t lag = kMaxRecordRowLength + 1; lag <= max_lag; ++lag) {
    if (!RowLengthFits(elements, lag)) continue;
    const uint64_t span = elements - lag;
    const uint64_t step = span > kScanPositions ? span / kScanPositions : 1;
    uint64_t bits = 0, positions = 0;
    for (uint64_t i = lag; i < elements; i += step, ++positions) {
      bits += static_cast<uint64_t>(
          std::bit_width(ResidualMagnitude(static_cast<U>(values[i] - values[i - lag]))));
    }
    scored.emplace_back(bits * 1024 / positions, lag);  // mean bit width in 2^-10
  }
  std::sort(scored.begin(), scored.end());
  std::vector<uint64_t> lags;
  for (size_t k = 0; k < scored.size() && k < kScannedCandidates; ++k) lags.push_back(scored[k].second);
  return lags;
}

}  // namespace

bool RowLengthFits(uint64_t elements, uint64_t row_length) {
  return row_length >= 2 && elements / row_length >= 2 && elements % row_length == 0;
}

template <typename U>
uint64_t ChooseRowLength(const U* values, uint64_t elements, uint64_t sample_elements) {
  std::vector<uint64_t> candidates;
  for (uint64_t r = 2; r <= kMaxRecordRowLength; ++r) {
    if (RowLengthFits(elements, r)) candidates.push_back(r);
  }
  if (candidates.empty()) return 0;
  for (const uint64_t lag : ScanLags(values, elements)) candidates.push_back(lag);

  uint64_t flat_bits = 0;
  ChoosePredictor(values, Geometry({elements}), sample_elements, &flat_bits);
  uint64_t best_bits = flat_bits - flat_bits / 64;
  uint64_t best = 0;
  for (const uint64_t r : candidates) {
    uint64_t bits = 0;
    ChoosePredictor(values, Geometry({elements / r, r}), sample_elements, &bits);
    if (bits < best_bits) best_bits = bits, best = r;
  }
  return best;
}

#define LMARC_INSTANTIATE_CHOOSE_ROW_LENGTH(U) \
  template uint64_t ChooseRowLength<U>(const U*, uint64_t, uint64_t);
LMARC_INSTANTIATE_CHOOSE_ROW_LENGTH(uint8_t)
LMARC_INSTANTIATE_CHOOSE_ROW_LENGTH(uint16_t)
LMARC_INSTANTIATE_CHOOSE_ROW_LENGTH(uint32_t)
LMARC_INSTANTIATE_CHOOSE_ROW_LENGTH(uint64_t)
#undef LMARC_INSTANTIATE_CHOOSE_ROW_LENGTH

}  // namespace lmarc::array
