// Value map: array elements <-> unsigned integers of the same width whose
// order is the numeric order of the values, so that differences of mapped
// values measure how far apart the values are.
//
//  * floats (fpzip's map): a negative value has all its bits flipped, a
//    non-negative one only its sign bit. Every bit pattern maps, and back,
//    exactly: -0.0 and +0.0 stay distinct (0x7FFF.. and 0x8000..), NaN
//    payloads and signs survive, +-Inf and denormals are ordinary values.
//  * signed integers: offset binary (the sign bit flipped).
//  * unsigned integers: unchanged.
//  * i24 (3-byte elements, into 32-bit values): offset binary in 24 bits,
//    so every value is below 2^24.
// The map is a bijection on W-bit patterns for every dtype. The byte order of
// the raw elements is undone on the way in and redone on the way out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "model/array/array_layout.h"

namespace lmarc::array {

template <typename U>
inline constexpr U kTopBit = static_cast<U>(U{1} << (8 * sizeof(U) - 1));

// Float bits (as an unsigned integer of the float's width) -> ordered value.
template <typename U>
constexpr U OrderedFromFloatBits(U bits) {
  return (bits & kTopBit<U>) ? static_cast<U>(~bits) : static_cast<U>(bits | kTopBit<U>);
}
template <typename U>
constexpr U FloatBitsFromOrdered(U ordered) {
  return (ordered & kTopBit<U>) ? static_cast<U>(ordered ^ kTopBit<U>) : static_cast<U>(~ordered);
}

// Two's complement bits -> ordered value (offset binary) and back; the map is
// its own inverse.
template <typename U>
constexpr U OrderedFromSignedBits(U bits) {
  return static_cast<U>(bits ^ kTopBit<U>);
}

// Maps raw.size() / ElementBytes(dtype) elements of `dtype` stored in
// `order` into out[0 ..). U is as wide as the element (uint32_t for i24).
template <typename U>
void MapToOrdered(std::span<const uint8_t> raw, DType dtype, ByteOrder order, U* out);

// The inverse: writes raw.size() / ElementBytes(dtype) elements from
// values[0 ..).
template <typename U>
void MapFromOrdered(const U* values, DType dtype, ByteOrder order, std::span<uint8_t> raw);

}  // namespace lmarc::array
