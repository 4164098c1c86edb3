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
ResidualCoder<U>::ResidualCoder(const Geometry& geometry, Model model, U max_value)
    : row_length_(geometry.row_length()),
      above_stride_(geometry.above_stride()),
      plane_stride_(geometry.rank() >= 3 ? geometry.stride(geometry.rank() - 3) : 0),
      rows_per_plane_(geometry.rank() >= 2 ? geometry.extent(geometry.rank() - 2) : 1),
      planes_(geometry.rank() >= 3 ? geometry.extent(geometry.rank() - 3) : 1),
      hinted_(model == Model::kHinted),
      value_shift_(std::bit_width(max_value) > kValueBits ? std::bit_width(max_value) - kValueBits
                                                          : 0),
      state_(geometry.size(), 0),
      logistic_(cm::Logistic()),
      sign_(hinted_ ? CodingHint::kFractionStates * 3 * 3 * 4 : 3 * 3 * 16),
      top_((hinted_ ? CodingHint::kEnergyStates / 2 : 1) * (size_t{kBits + 1} << kTopBits)),
      low_(kBits) {
  // The models in use, in LengthModel order, each with its table of
  // (context, tree node).
  const auto use = [&](LengthModel model, size_t contexts) {
    ++models_;
    length_models_[model].resize(contexts * kLengthNodes);
  };
  constexpr size_t kTextureContexts =
      size_t{CodingHint::kTextureStates} * (CodingHint::kEnergyStates / 4);
  use(kNeighbours, size_t{kLengthStates} * kLengthStates);
  if (model != Model::kNeighbours) {
    use(kActivity, kActivityStates);
    use(kValue, size_t{1} << kValueBits);
    use(kFar, size_t{kLengthStates} * kLengthStates);
  }
  if (hinted_) {
    use(kTexture, kTextureContexts);
    use(kSkew, kTextureContexts);
    use(kEnergy, size_t{CodingHint::kEnergyStates} * kLengthStates);
    texture_sign_.resize(size_t{CodingHint::kTextureStates} * CodingHint::kFractionStates * 4);
    skew_sign_.resize(size_t{CodingHint::kTextureStates} * CodingHint::kFractionStates * 4);
    sign_mixer_ = std::make_unique<cm::Mixer>(3, CodingHint::kFractionStates * 4);
  }
  if (models_ > 1) {
    mixer_ = std::make_unique<cm::Mixer>(models_,
                                         kLengthNodes * (hinted_ ? CodingHint::kEnergyStates : 1));
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
