// ByteReader: sequential little-endian reads over untrusted bytes. Every
// read is bounds-checked first; running past the end is kCorrupt, naming the
// data and the field ("weight file truncated: tensor dims needs bytes ...").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "src/status.h"

namespace lmarc {

class ByteReader {
 public:
  // `what` names the data in errors ("weight file", "serialised tree").
  ByteReader(std::span<const uint8_t> bytes, std::string_view what) : bytes_(bytes), what_(what) {}

  size_t position() const { return position_; }

  [[nodiscard]] Status Bytes(size_t count, std::string_view field, const uint8_t** out) {
    if (count > bytes_.size() - position_) {
      return Corrupt(std::string(what_) + " truncated: " + std::string(field) + " needs bytes [" +
                     std::to_string(position_) + ", " + std::to_string(position_ + count) +
                     ") but the file has " + std::to_string(bytes_.size()) + " bytes");
    }
    *out = bytes_.data() + position_;
    position_ += count;
    return Status::Ok();
  }
  [[nodiscard]] Status U8(std::string_view field, uint8_t* out) { return Little(field, out); }
  [[nodiscard]] Status U16(std::string_view field, uint16_t* out) { return Little(field, out); }
  [[nodiscard]] Status U32(std::string_view field, uint32_t* out) { return Little(field, out); }
  [[nodiscard]] Status U64(std::string_view field, uint64_t* out) { return Little(field, out); }

 private:
  // Reads an unsigned little-endian integer of sizeof(T) bytes.
  template <typename T>
  [[nodiscard]] Status Little(std::string_view field, T* out) {
    const uint8_t* p = nullptr;
    RETURN_IF_ERROR(Bytes(sizeof(T), field, &p));
    uint64_t value = 0;
    for (size_t i = sizeof(T); i-- > 0;) value = value << 8 | p[i];
    *out = static_cast<T>(value);
    return Status::Ok();
  }

  std::span<const uint8_t> bytes_;
  std::string_view what_;
  size_t position_ = 0;  // invariant: position_ <= bytes_.size()
};

}  // namespace lmarc
