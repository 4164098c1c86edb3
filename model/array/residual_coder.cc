#include "model/array/residual_coder.h"

namespace lmarc::array {

uint64_t Log2Q16(uint64_t x) {
  const int integer = std::bit_width(x) - 1;
  // The mantissa in Q30: [2^30, 2^31). Squaring it 16 times reads off the
  // fraction bits one by one (y^2 >= 2 means the next bit is 1).
  uint64_t y = integer >= 30 ? x >> (integer - 30) : x << (30 - integer);
  uint64_t fraction = 0;
  for (int bit = 15; bit >= 0; --bit) {
    y = (y * y) >> 30;
    if (y >= (uint64_t{1} << 31)) {
      fraction |= uint64_t{1} << bit;
      y >>= 1;
    }
  }
  return static_cast<uint64_t>(integer) << 16 | fraction;
}

template <typename U>
uint64_t ResidualCostEstimate<U>::Bits() const {
  if (count_ == 0) return 0;
  const uint64_t log_total = Log2Q16(count_);
  uint64_t entropy_q16 = 0;
  for (const uint64_t n : histogram_) {
    if (n > 0) entropy_q16 += n * (log_total - Log2Q16(n));
  }
  return (entropy_q16 >> 16) + raw_bits_;
}

template <typename U>
ResidualCoder<U>::ResidualCoder(const Geometry& geometry, bool mix, U max_value, bool hinted)
    : row_length_(geometry.row_length()),
      above_stride_(geometry.above_stride()),
      plane_stride_(geometry.rank() >= 3 ? geometry.stride(geometry.rank() - 3) : 0),
      rows_per_plane_(geometry.rank() >= 2 ? geometry.extent(geometry.rank() - 2) : 1),
      planes_(geometry.rank() >= 3 ? geometry.extent(geometry.rank() - 3) : 1),
      models_(mix ? (hinted ? kLengthModels : kPlainModels) : 1),
      hinted_(hinted),
      value_shift_(std::bit_width(max_value) > kValueBits ? std::bit_width(max_value) - kValueBits
                                                          : 0),
      state_(geometry.size(), 0),
      logistic_(cm::Logistic()),
      sign_(hinted ? CodingHint::kFractionStates * 3 * 3 * 4 : 3 * 3 * 16),
      top_((hinted ? CodingHint::kEnergyStates / 2 : 1) * (size_t{kBits + 1} << kTopBits)),
      low_(kBits) {
  length_models_[kNeighbours].resize(
      (hinted && !mix ? size_t{CodingHint::kEnergyStates} * kLengthStates * kLengthStates
                      : size_t{kLengthStates} * kLengthStates) *
      kLengthNodes);
  if (mix) {
    length_models_[kActivity].resize(size_t{kActivityStates} * kLengthNodes);
    length_models_[kValue].resize((size_t{1} << kValueBits) * kLengthNodes);
    length_models_[kFar].resize(size_t{kLengthStates} * kLengthStates * kLengthNodes);
    if (hinted) {
      length_models_[kTexture].resize(size_t{CodingHint::kTextureStates} *
                                      (CodingHint::kEnergyStates / 4) * kLengthNodes);
      length_models_[kEnergy].resize(size_t{CodingHint::kEnergyStates} * kLengthStates *
                                     kLengthNodes);
    }
    if (hinted) {
      hinted_sign_.resize(size_t{CodingHint::kTextureStates} * CodingHint::kFractionStates * 4);
      sign_mixer_ = std::make_unique<cm::Mixer>(2, CodingHint::kFractionStates * 4);
    }
    mixer_ = std::make_unique<cm::Mixer>(models_,
                                         kLengthNodes * (hinted ? CodingHint::kEnergyStates : 1));
  }
}

template <typename U>
void ResidualCoder<U>::StartRow(uint64_t row) {
  has_above_ = row % rows_per_plane_ != 0;
  has_plane_ = (row / rows_per_plane_) % planes_ != 0;
}

template class ResidualCostEstimate<uint8_t>;
template class ResidualCostEstimate<uint16_t>;
template class ResidualCostEstimate<uint32_t>;
template class ResidualCostEstimate<uint64_t>;
template class ResidualCoder<uint8_t>;
template class ResidualCoder<uint16_t>;
template class ResidualCoder<uint32_t>;
template class ResidualCoder<uint64_t>;

}  // namespace lmarc::array
