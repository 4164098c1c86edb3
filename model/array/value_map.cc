#include "model/array/value_map.h"

#include <bit>
#include <cstring>

namespace lmarc::array {
namespace {

enum class Kind { kFloat, kSigned, kUnsigned };

Kind KindOf(DType dtype) {
  if (IsFloat(dtype)) return Kind::kFloat;
  return IsSigned(dtype) ? Kind::kSigned : Kind::kUnsigned;
}

template <typename U>
U ByteSwap(U value) {
  if constexpr (sizeof(U) == 1) {
    return value;
  } else if constexpr (sizeof(U) == 2) {
    return __builtin_bswap16(value);
  } else if constexpr (sizeof(U) == 4) {
    return __builtin_bswap32(value);
  } else {
    return __builtin_bswap64(value);
  }
}

// One loop per (kind, swap) so the per-element work has no branches on them.
template <typename U, Kind kKind, bool kSwap>
void ToOrdered(const uint8_t* raw, size_t count, U* out) {
  for (size_t i = 0; i < count; ++i) {
    U bits;
    std::memcpy(&bits, raw + i * sizeof(U), sizeof(U));
    if constexpr (kSwap) bits = ByteSwap(bits);
    if constexpr (kKind == Kind::kFloat) {
      out[i] = OrderedFromFloatBits(bits);
    } else if constexpr (kKind == Kind::kSigned) {
      out[i] = OrderedFromSignedBits(bits);
    } else {
      out[i] = bits;
    }
  }
}

template <typename U, Kind kKind, bool kSwap>
void FromOrdered(const U* values, size_t count, uint8_t* raw) {
  for (size_t i = 0; i < count; ++i) {
    U bits;
    if constexpr (kKind == Kind::kFloat) {
      bits = FloatBitsFromOrdered(values[i]);
    } else if constexpr (kKind == Kind::kSigned) {
      bits = OrderedFromSignedBits(values[i]);
    } else {
      bits = values[i];
    }
    if constexpr (kSwap) bits = ByteSwap(bits);
    std::memcpy(raw + i * sizeof(U), &bits, sizeof(U));
  }
}

// i24: three bytes, little- or big-endian, as offset binary below 2^24 in a
// 32-bit value. Decoded values are taken modulo 2^24 (a corrupt body cannot
// write outside the element; the chunk checksum catches it).
constexpr uint32_t kI24Sign = uint32_t{1} << 23;
constexpr uint32_t kI24Mask = (uint32_t{1} << 24) - 1;

void I24ToOrdered(const uint8_t* raw, size_t count, bool big, uint32_t* out) {
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* b = raw + 3 * i;
    const uint32_t bits = big ? (uint32_t{b[0]} << 16 | uint32_t{b[1]} << 8 | b[2])
                              : (uint32_t{b[2]} << 16 | uint32_t{b[1]} << 8 | b[0]);
    out[i] = bits ^ kI24Sign;
  }
}

void I24FromOrdered(const uint32_t* values, size_t count, bool big, uint8_t* raw) {
  for (size_t i = 0; i < count; ++i) {
    const uint32_t bits = (values[i] & kI24Mask) ^ kI24Sign;
    uint8_t* b = raw + 3 * i;
    b[big ? 2 : 0] = static_cast<uint8_t>(bits);
    b[1] = static_cast<uint8_t>(bits >> 8);
    b[big ? 0 : 2] = static_cast<uint8_t>(bits >> 16);
  }
}

bool NeedsSwap(ByteOrder order) {
  const ByteOrder host = std::endian::native == std::endian::little ? ByteOrder::kLittle
                                                                    : ByteOrder::kBig;
  return order != host;
}

}  // namespace

template <typename U>
void MapToOrdered(std::span<const uint8_t> raw, DType dtype, ByteOrder order, U* out) {
  if constexpr (sizeof(U) == 4) {
    if (dtype == DType::kI24) {
      return I24ToOrdered(raw.data(), raw.size() / 3, order == ByteOrder::kBig, out);
    }
  }
  const size_t count = raw.size() / sizeof(U);
  const bool swap = NeedsSwap(order);
  switch (KindOf(dtype)) {
    case Kind::kFloat:
      return swap ? ToOrdered<U, Kind::kFloat, true>(raw.data(), count, out)
                  : ToOrdered<U, Kind::kFloat, false>(raw.data(), count, out);
    case Kind::kSigned:
      return swap ? ToOrdered<U, Kind::kSigned, true>(raw.data(), count, out)
                  : ToOrdered<U, Kind::kSigned, false>(raw.data(), count, out);
    case Kind::kUnsigned:
      return swap ? ToOrdered<U, Kind::kUnsigned, true>(raw.data(), count, out)
                  : ToOrdered<U, Kind::kUnsigned, false>(raw.data(), count, out);
  }
}

template <typename U>
void MapFromOrdered(const U* values, DType dtype, ByteOrder order, std::span<uint8_t> raw) {
  if constexpr (sizeof(U) == 4) {
    if (dtype == DType::kI24) {
      return I24FromOrdered(values, raw.size() / 3, order == ByteOrder::kBig, raw.data());
    }
  }
  const size_t count = raw.size() / sizeof(U);
  const bool swap = NeedsSwap(order);
  switch (KindOf(dtype)) {
    case Kind::kFloat:
      return swap ? FromOrdered<U, Kind::kFloat, true>(values, count, raw.data())
                  : FromOrdered<U, Kind::kFloat, false>(values, count, raw.data());
    case Kind::kSigned:
      return swap ? FromOrdered<U, Kind::kSigned, true>(values, count, raw.data())
                  : FromOrdered<U, Kind::kSigned, false>(values, count, raw.data());
    case Kind::kUnsigned:
      return swap ? FromOrdered<U, Kind::kUnsigned, true>(values, count, raw.data())
                  : FromOrdered<U, Kind::kUnsigned, false>(values, count, raw.data());
  }
}

#define LMARC_INSTANTIATE_VALUE_MAP(U)                                                   \
  template void MapToOrdered<U>(std::span<const uint8_t>, DType, ByteOrder, U*);         \
  template void MapFromOrdered<U>(const U*, DType, ByteOrder, std::span<uint8_t>);
LMARC_INSTANTIATE_VALUE_MAP(uint8_t)
LMARC_INSTANTIATE_VALUE_MAP(uint16_t)
LMARC_INSTANTIATE_VALUE_MAP(uint32_t)
LMARC_INSTANTIATE_VALUE_MAP(uint64_t)
#undef LMARC_INSTANTIATE_VALUE_MAP

}  // namespace lmarc::array
