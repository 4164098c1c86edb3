#include "model/cm/cm_codec.h"

#include <string>

#include "model/cm/cm_params.h"
#include "model/cm/predictor.h"
#include "src/arith_coder.h"

namespace lmarc {
namespace {

// The coding loops, one instantiation per hashed-context count.
template <int kHashed>
void EncodeBits(const cm::CmParams& params, std::span<const uint8_t> raw,
                std::vector<uint8_t>* body) {
  cm::Predictor<kHashed> predictor(params, raw.size());
  ArithEncoder encoder(body);
  for (const uint8_t byte : raw) {
    for (int shift = 7; shift >= 0; --shift) {
      const int bit = (byte >> shift) & 1;
      encoder.Encode(bit, ToCoderProbability(predictor.P()));
      predictor.Update(bit);
    }
  }
  encoder.Finish();
}

template <int kHashed>
Status DecodeBits(const cm::CmParams& params, std::span<const uint8_t> coded,
                  std::span<uint8_t> raw) {
  cm::Predictor<kHashed> predictor(params, raw.size());
  ArithDecoder decoder(coded);
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

}  // namespace

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

  switch (cm::HashedContexts(level)) {
    case 3: EncodeBits<3>(params, raw, body); break;
    case 4: EncodeBits<4>(params, raw, body); break;
    case 5: EncodeBits<5>(params, raw, body); break;
    default: EncodeBits<10>(params, raw, body); break;
  }
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

  const std::span<const uint8_t> coded = body.subspan(kHeaderBytes);
  switch (cm::HashedContexts(level)) {
    case 3: return DecodeBits<3>(params, coded, raw);
    case 4: return DecodeBits<4>(params, coded, raw);
    case 5: return DecodeBits<5>(params, coded, raw);
    default: return DecodeBits<10>(params, coded, raw);
  }
}

}  // namespace lmarc
