#include "src/arith_coder.h"

namespace lmarc {

void ArithEncoder::ShiftLow() {
  // Bytes below 0xFF000000 are final once we know whether a carry arrives.
  if (static_cast<uint32_t>(low_) < 0xFF000000u || (low_ >> 32) != 0) {
    const uint8_t carry = static_cast<uint8_t>(low_ >> 32);
    uint8_t byte = cache_;
    do {
      out_->push_back(static_cast<uint8_t>(byte + carry));
      byte = 0xFF;
    } while (--cache_size_ != 0);
    cache_ = static_cast<uint8_t>(low_ >> 24);
  }
  ++cache_size_;
  low_ = (low_ & 0x00FFFFFFu) << 8;
}

void ArithEncoder::Finish() {
  for (int i = 0; i < 5; ++i) ShiftLow();
}

ArithDecoder::ArithDecoder(std::span<const uint8_t> in) : in_(in) {
  // The encoder's first output byte is the initial (always zero) cache byte.
  for (int i = 0; i < 5; ++i) code_ = (code_ << 8) | NextByte();
}

}  // namespace lmarc
