// `nn`: the transformer's byte distribution mixed with the cm context and
// match models (design and body format: docs/nn.md).
//
// A chunk is split into L contiguous lanes coded interleaved byte by byte
// (step j codes byte j of every lane, lanes in order), so the decoder
// evaluates the transformer for all lanes at once (batch L) while the
// encoder evaluates whole blocks of every lane (teacher forcing). The cm
// tables are shared by the lanes; each lane has its own history and match
// model. The transformer's bit probabilities enter the cm mixer as two
// extra inputs; without a model ("none", the ablation) those inputs are 0
// and everything else is unchanged.
//
// Levels: 1..3 fast, 4..6 default, 7..9 max; the cm part of level N is cm's
// level N (contexts and table caps, docs/cm.md), the lane length grows with
// the level.
//
// Thread safety: stateless; each call builds its own predictor and session.
#pragma once

#include <string>
#include <string_view>

#include "src/codec.h"

namespace lmarc {

// The model used when none is named (model/weights/<id>.lmnn).
extern const std::string_view kDefaultNnModelId;

class NnCodec final : public Codec {
 public:
  static constexpr uint8_t kFormatVersion = 1;
  static constexpr size_t kHeaderBytes = 38;
  static constexpr int kMaxLanes = 64;

  // Encodes with `model_id` (64 hex digits), or without a transformer when
  // it is "none". Decoding always uses the model named in the body.
  explicit NnCodec(std::string model_id = std::string(kDefaultNnModelId));

  CodecId id() const override { return CodecId::kNn; }
  std::string_view name() const override { return "nn"; }
  uint32_t version() const override { return kFormatVersion; }
  Status Encode(std::span<const uint8_t> raw, int level,
                std::vector<uint8_t>* body) const override;
  Status Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const override;
  // Decodes the chunks that name the same model in lockstep, one transformer
  // call per step for the lanes of all of them (Decode is a batch of one).
  Status DecodeBatch(std::span<const std::span<const uint8_t>> bodies,
                     std::span<const std::span<uint8_t>> raws, size_t* failed) const override;
  std::string_view model_id() const override { return model_id_; }

 private:
  std::string model_id_;  // empty: no transformer
};

// Lanes used for `raw_size` bytes at `level` (1..kMaxLanes, at most raw_size).
int NnLanes(int level, size_t raw_size);

}  // namespace lmarc
