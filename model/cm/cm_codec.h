// `cm`: adaptive context-mixing byte compressor (design: docs/cm.md).
//
// Body format (version 1):
//   byte 0   format version (1)
//   byte 1   level (1..9)
//   byte 2   table_bits: the shared context table has 2^table_bits 16-byte slots
//   byte 3   match_bits: the match model has 2^match_bits 4-byte positions
//   byte 4.. arithmetic-coded bits of the raw bytes, MSB first (absent when
//            the raw size is 0)
// table_bits and match_bits are functions of (level, raw size) (cm_params.cc);
// the decoder recomputes them and rejects a header that disagrees, so a
// hostile body cannot make it allocate more than the raw size warrants.
//
// Memory per Encode/Decode call (all freed on return):
//   16 * 2^table_bits + 4 * 2^match_bits + raw size + about 2.3 MiB
//   (about 0.1 MiB at level 1, which has no APM)
//   table_bits = clamp(ceil_log2(raw size) + 4, 12, cap_t[level])
//   match_bits = clamp(ceil_log2(raw size), 10, cap_m[level])
//   cap_t = 18 18 19 19 19 20 21 22 23 (levels 1..9),
//   cap_m = 18 18 19 19 19 20 20 21 22,
// i.e. at most 5 MiB + raw at levels 1..2, 10 MiB + raw at levels 3..5,
// 144 MiB + raw at level 9 (the table's mapping has 2 MiB of untouched
// alignment slack on top). Contexts: 2 direct + 3 hashed at level 1, + 4 at
// levels 2..3, + 5 at 4..6, + 10 at 7..9 (predictor.h).
//
// Thread safety: the codec object is stateless; every call builds its own
// model, so concurrent calls on one CmCodec are safe.
#pragma once

#include "src/codec.h"

namespace lmarc {

class CmCodec final : public Codec {
 public:
  static constexpr uint8_t kFormatVersion = 1;
  static constexpr size_t kHeaderBytes = 4;

  CodecId id() const override { return CodecId::kCm; }
  std::string_view name() const override { return "cm"; }
  uint32_t version() const override { return kFormatVersion; }
  Status Encode(std::span<const uint8_t> raw, int level,
                std::vector<uint8_t>* body) const override;
  Status Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const override;
};

}  // namespace lmarc
