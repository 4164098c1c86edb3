#include "model/cm/cm_codec.h"

#include <string>

#include "model/cm/cm_params.h"
#include "model/cm/predictor.h"
#include "src/arith_coder.h"

namespace lmarc {

Status CmCodec::Encode(std::span<const uint8_t> raw, int level,
                       std::vector<uint8_t>* body) const {
  if (level < kMinLevel || level > kMaxLevel) {
    return InvalidArgument("cm: level " + std::to_string(level) + " is outside 1..9");
  }
  const cm::CmParams params = cm::ChooseCmParams(level, raw.size());
  body->push_back(kFormatVersion);
  body->push_back(static_cast<uint8_t>(level));
  body->push_back(static_cast<uint8_t>(params.table_bits));
  body->push_back(static_cast<uint8_t>(params.match_bits));
  if (raw.empty()) return Status::Ok();

  cm::Predictor predictor(params, raw.size());
  ArithEncoder encoder(body);
  for (const uint8_t byte : raw) {
    for (int shift = 7; shift >= 0; --shift) {
      const int bit = (byte >> shift) & 1;
      encoder.Encode(bit, ToCoderProbability(predictor.P()));
      predictor.Update(bit);
    }
  }
  encoder.Finish();
  return Status::Ok();
}

Status CmCodec::Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const {
  if (body.size() < kHeaderBytes) return Corrupt("cm: body shorter than its header");
  if (body[0] != kFormatVersion) {
    return Unsupported("cm: body format version " + std::to_string(body[0]) + " is unknown");
  }
  const int level = body[1];
  if (level < kMinLevel || level > kMaxLevel) {
    return Corrupt("cm: level " + std::to_string(level) + " is outside 1..9");
  }
  const cm::CmParams params = cm::ChooseCmParams(level, raw.size());
  if (body[2] != params.table_bits || body[3] != params.match_bits) {
    return Corrupt("cm: table sizes in the header do not match the level and raw size");
  }
  if (raw.empty()) {
    if (body.size() != kHeaderBytes) return Corrupt("cm: trailing bytes after an empty body");
    return Status::Ok();
  }

  cm::Predictor predictor(params, raw.size());
  ArithDecoder decoder(body.subspan(kHeaderBytes));
  for (uint8_t& out : raw) {
    int byte = 0;
    for (int i = 0; i < 8; ++i) {
      const int bit = decoder.Decode(ToCoderProbability(predictor.P()));
      predictor.Update(bit);
      byte = byte * 2 + bit;
    }
    out = static_cast<uint8_t>(byte);
    // Stop early on garbage: once past the input, the rest is meaningless.
    if (decoder.overrun()) return Corrupt("cm: body ended before the raw size was reached");
  }
  if (decoder.overrun()) return Corrupt("cm: body ended before the raw size was reached");
  return Status::Ok();
}

}  // namespace lmarc
