// Model sizes of the cm codec, derived from (level, raw size) only.
//
// Both encoder and decoder derive them; the encoder also records them in the
// body header so the decoder can reject a body whose header disagrees.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lmarc::cm {

struct CmParams {
  int level = 5;
  int table_bits = 12;  // NibbleTable: 2^table_bits slots of 16 bytes
  int match_bits = 10;  // MatchModel: 2^match_bits positions of 4 bytes

  // Bounds a decoder accepts (the largest level's caps; see cm_codec.h).
  static constexpr int kMinTableBits = 12;
  static constexpr int kMaxTableBits = 23;
  static constexpr int kMinMatchBits = 10;
  static constexpr int kMaxMatchBits = 22;

  // Bytes allocated by the tables sized here (the fixed-size parts of the
  // model, about 2.5 MiB, and the history copy of the input come on top).
  size_t TableBytes() const { return (size_t{16} << table_bits) + (size_t{4} << match_bits); }
};

// Table sizes grow with the input (so small chunks stay small) up to a cap
// set by the level. `level` must be in [kMinLevel, kMaxLevel].
CmParams ChooseCmParams(int level, size_t raw_size);

}  // namespace lmarc::cm
