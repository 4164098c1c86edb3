// `array`: lossless codec for typed N-D numeric arrays (design and body
// format: docs/array.md).
//
// Pipeline (one stage per file): the layout (array_layout.h) says what the
// bytes are; the value map (value_map.h) turns elements into order-preserving
// unsigned integers; optionally the value table (value_table.h) replaces them
// by their ranks among the distinct values; a predictor (predictor.h), chosen
// per body by estimating each candidate's cost on a sample (after an optional
// row length that views a 1-D array as 2-D, row_length.h), predicts every
// element from already-coded neighbours; the residual coder
// (residual_coder.h) codes the residuals bitwise through the binary
// arithmetic coder. Integer-only and deterministic: the body depends only on
// the raw bytes, the layout and the level.
//
// Body format (version 1), little-endian:
//   u8 format version (1), u8 level (1..9), layout record (array_layout.h),
//   then, for a non-empty array:
//   [1-D only: u8 transform 3, varint row length R (row_length.h): the
//    Geometry becomes [n / R, R] for what follows]
//   u8 transform: 0 values, 1 value table, 2 columns (2-D, 2..16 columns);
//   [table only: varint table size (1..elements, <= 2^W), u8 table predictor order (1..3)]
//   u16 predictor orders (PredictorSpec, predictor.h) [columns: one per column];
//   arithmetic-coded bits: [table residuals], then the element residuals.
//
// Memory per Decode (freed on return): the raw size (ordered values) + the
// element count (neighbour state) + with a value table at most the raw size
// again + the model tables (6.3 MiB mixed, 2.2 MiB at level 1 for 64-bit
// types; 0.9 MiB mixed for 32-bit ones). Every allocation is bounded by
// raw.size(), which the caller supplies: the layout in the body must describe
// exactly that many bytes. Encode needs about three times the raw size.
//
// Thread safety: stateless; every call builds its own model.
#pragma once

#include "model/array/array_layout.h"
#include "src/codec.h"

namespace lmarc {

class ArrayCodec final : public Codec {
 public:
  static constexpr uint8_t kFormatVersion = 1;

  CodecId id() const override { return CodecId::kArray; }
  std::string_view name() const override { return "array"; }
  uint32_t version() const override { return kFormatVersion; }

  // Without a layout the bytes are a 1-D u8 array (shape {raw.size()}).
  Status Encode(std::span<const uint8_t> raw, int level,
                std::vector<uint8_t>* body) const override;

  // Appends the body of `raw` read as `layout` (which must describe exactly
  // raw.size() bytes: InvalidArgument otherwise).
  [[nodiscard]] Status EncodeArray(std::span<const uint8_t> raw, const array::ArrayLayout& layout,
                                   int level, std::vector<uint8_t>* body) const;

  // Reads the layout from the body, checks it against raw.size(), decodes.
  Status Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const override;
};

}  // namespace lmarc
