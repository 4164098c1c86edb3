#include "model/nn/nn_codec.h"

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include "model/cm/cm_params.h"
#include "model/cm/logistic.h"
#include "model/cm/predictor.h"
#include "model/nn/model_store.h"
#include "model/nn/transformer.h"
#include "model/nn/weight_file.h"
#include "src/arith_coder.h"
#include "src/sha256.h"

namespace lmarc {
namespace {

constexpr int kExternalInputs = 2;
constexpr uint8_t kFlagTransformer = 1;  // body flag: the transformer's inputs are present
constexpr size_t kModelIdBytes = 32;
// Encoder blocks: positions per lane evaluated per transformer call.
constexpr size_t kEncoderBlock = 64;

// Lane layout: lane k starts at k * base + min(k, extra) and holds base
// bytes, plus one for the first `extra` lanes (base = n / L, extra = n % L).
struct LaneLayout {
  size_t base = 0, extra = 0;
  size_t Start(size_t k) const { return k * base + std::min(k, extra); }
  size_t Length(size_t k) const { return base + (k < extra ? 1 : 0); }
};

// Byte distribution -> cumulative sums: cumulative[i] = sum of p[0..i).
void Accumulate(const uint32_t* distribution, uint32_t* cumulative) {
  cumulative[0] = 0;
  for (int i = 0; i < nn::kByteVocabulary; ++i) cumulative[i + 1] = cumulative[i] + distribution[i];
}

// Writes the transformer's two mixer inputs for the next bit: the stretched
// P(bit = 1) of the bytes sharing the partial byte c0 (bit_pos bits seen),
// and the same probability on a linear scale.
inline void TransformerInputs(const cm::LogisticTables& logistic, const uint32_t* cumulative,
                              uint32_t c0, int bit_pos, int16_t* in) {
  const uint32_t width = 256u >> bit_pos;
  const uint32_t lo = (c0 - (1u << bit_pos)) * width;
  const uint32_t mid = lo + width / 2;
  const uint64_t zeros = cumulative[mid] - cumulative[lo];         // >= 1
  const uint64_t ones = cumulative[lo + width] - cumulative[mid];  // >= 1
  const uint32_t p1 = static_cast<uint32_t>((ones << 16) / (zeros + ones));  // in (0, 65536)
  in[0] = static_cast<int16_t>(cm::Stretch(logistic, p1));
  in[1] = static_cast<int16_t>(static_cast<int>(p1 >> 4) - 2048);
}

// Codes one byte of the active lane. `cumulative` is the transformer's
// distribution for it (nullptr: no transformer, inputs 0). `code_bit(p1)`
// encodes or decodes one bit with P(1) = p1 and returns it.
template <int kHashed, typename CodeBit>
uint8_t CodeByte(cm::Predictor<kHashed, kExternalInputs>& predictor,
                 const cm::LogisticTables& logistic, const uint32_t* cumulative,
                 CodeBit&& code_bit) {
  uint32_t c0 = 1;
  for (int bit_pos = 0; bit_pos < 8; ++bit_pos) {
    if (cumulative != nullptr) {
      TransformerInputs(logistic, cumulative, c0, bit_pos, predictor.external_inputs());
    }
    const int bit = code_bit(ToCoderProbability(predictor.P()), bit_pos);
    predictor.Update(bit);
    c0 = c0 * 2 + static_cast<uint32_t>(bit);
  }
  return static_cast<uint8_t>(c0 & 0xFF);
}

// Everything both directions share: the predictor with its lanes, the
// transformer session, the layout.
template <int kHashed>
class LaneModel {
 public:
  using Predictor = cm::Predictor<kHashed, kExternalInputs>;

  LaneModel(int level, size_t raw_size, int lanes)
      : lanes_(lanes),
        layout_{raw_size / static_cast<size_t>(lanes), raw_size % static_cast<size_t>(lanes)},
        predictor_(cm::ChooseCmParams(level, raw_size), 0),
        logistic_(cm::Logistic()) {
    // Lane 0 is a longest lane; every lane's match model has its size.
    const int match_bits = cm::ChooseCmParams(level, layout_.Length(0)).match_bits;
    for (int k = 0; k < lanes; ++k) {
      lane_states_.push_back(predictor_.NewLane(match_bits, layout_.Length(static_cast<size_t>(k))));
    }
  }

  [[nodiscard]] Status UseTransformer(std::shared_ptr<const nn::TransformerModel> model) {
    ASSIGN_OR_RETURN(session_, nn::TransformerSession::Create(std::move(model), lanes_));
    return Status::Ok();
  }
  bool has_transformer() const { return session_ != nullptr; }

  const LaneLayout& layout() const { return layout_; }
  int lanes() const { return lanes_; }

  // Evaluates `rows` and leaves each row's cumulative distribution at
  // cumulative(row).
  [[nodiscard]] Status Evaluate(const std::vector<nn::TransformerRow>& rows) {
    distributions_.resize(rows.size() * nn::kByteVocabulary);
    cumulative_.resize(rows.size() * (nn::kByteVocabulary + 1));
    RETURN_IF_ERROR(session_->Forward(rows, distributions_));
    for (size_t r = 0; r < rows.size(); ++r) {
      Accumulate(&distributions_[r * nn::kByteVocabulary], cumulative(r));
    }
    return Status::Ok();
  }
  uint32_t* cumulative(size_t row) { return &cumulative_[row * (nn::kByteVocabulary + 1)]; }

  // Codes one byte of lane k (see CodeByte).
  template <typename CodeBit>
  uint8_t CodeLaneByte(int k, const uint32_t* cumulative, CodeBit&& code_bit) {
    predictor_.ExchangeLane(&lane_states_[static_cast<size_t>(k)]);
    const uint8_t byte = CodeByte<kHashed>(predictor_, logistic_, cumulative, code_bit);
    predictor_.ExchangeLane(&lane_states_[static_cast<size_t>(k)]);
    return byte;
  }

 private:
  int lanes_;
  LaneLayout layout_;
  Predictor predictor_;
  const cm::LogisticTables& logistic_;
  std::vector<typename Predictor::Lane> lane_states_;  // the inactive lanes
  std::unique_ptr<nn::TransformerSession> session_;
  std::vector<uint32_t> distributions_;
  std::vector<uint32_t> cumulative_;
};

size_t LongestLane(size_t raw_size, int lanes) {
  return raw_size / static_cast<size_t>(lanes) + (raw_size % static_cast<size_t>(lanes) != 0);
}

int InputToken(std::span<const uint8_t> lane_bytes, size_t position) {
  return position == 0 ? nn::kBosToken : lane_bytes[position - 1];
}

template <int kHashed>
Status EncodeLanes(LaneModel<kHashed>& model, std::span<const uint8_t> raw,
                   std::vector<uint8_t>* body) {
  const LaneLayout& layout = model.layout();
  const size_t lanes = static_cast<size_t>(model.lanes());
  const size_t steps = layout.Length(0);
  ArithEncoder encoder(body);
  std::vector<nn::TransformerRow> rows;
  std::vector<size_t> first_row(lanes);
  for (size_t block = 0; block < steps; block += kEncoderBlock) {
    const size_t block_end = std::min(steps, block + kEncoderBlock);
    if (model.has_transformer()) {
      rows.clear();
      for (size_t k = 0; k < lanes; ++k) {
        first_row[k] = rows.size();
        const std::span<const uint8_t> lane = raw.subspan(layout.Start(k), layout.Length(k));
        for (size_t j = block; j < std::min(block_end, lane.size()); ++j) {
          rows.push_back({static_cast<int>(k), InputToken(lane, j)});
        }
      }
      RETURN_IF_ERROR(model.Evaluate(rows));
    }
    for (size_t j = block; j < block_end; ++j) {
      for (size_t k = 0; k < lanes && j < layout.Length(k); ++k) {
        const uint8_t byte = raw[layout.Start(k) + j];
        const uint32_t* cumulative =
            model.has_transformer() ? model.cumulative(first_row[k] + (j - block)) : nullptr;
        model.CodeLaneByte(static_cast<int>(k), cumulative, [&](uint32_t p1, int bit_pos) {
          const int bit = (byte >> (7 - bit_pos)) & 1;
          encoder.Encode(bit, p1);
          return bit;
        });
      }
    }
  }
  encoder.Finish();
  return Status::Ok();
}

template <int kHashed>
Status DecodeLanes(LaneModel<kHashed>& model, std::span<const uint8_t> coded,
                   std::span<uint8_t> raw) {
  const LaneLayout& layout = model.layout();
  const size_t lanes = static_cast<size_t>(model.lanes());
  const size_t steps = layout.Length(0);
  ArithDecoder decoder(coded);
  std::vector<nn::TransformerRow> rows;
  for (size_t j = 0; j < steps; ++j) {
    size_t active = 0;  // lanes still coding at step j: a prefix of the lanes
    while (active < lanes && j < layout.Length(active)) ++active;
    if (model.has_transformer()) {
      rows.clear();
      for (size_t k = 0; k < active; ++k) {
        rows.push_back({static_cast<int>(k), InputToken(raw.subspan(layout.Start(k)), j)});
      }
      RETURN_IF_ERROR(model.Evaluate(rows));
    }
    for (size_t k = 0; k < active; ++k) {
      const uint32_t* cumulative = model.has_transformer() ? model.cumulative(k) : nullptr;
      raw[layout.Start(k) + j] = model.CodeLaneByte(
          static_cast<int>(k), cumulative,
          [&](uint32_t p1, int /*bit_pos*/) { return decoder.Decode(p1); });
    }
    // Stop early on garbage: once past the input, the rest is meaningless.
    if (decoder.overrun()) return Corrupt("nn: body ended before the raw size was reached");
  }
  return Status::Ok();
}

// Runs the coding loops for the predictor of `level`.
template <typename Run>
Status WithLaneModel(int level, size_t raw_size, int lanes, Run&& run) {
  switch (cm::HashedContexts(level)) {
    case 3: { LaneModel<3> m(level, raw_size, lanes); return run(m); }
    case 4: { LaneModel<4> m(level, raw_size, lanes); return run(m); }
    case 5: { LaneModel<5> m(level, raw_size, lanes); return run(m); }
    default: { LaneModel<10> m(level, raw_size, lanes); return run(m); }
  }
}

bool HexToBytes(std::string_view hex, uint8_t* out) {
  const auto digit = [](char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; };
  if (!nn::IsWellFormedModelId(hex)) return false;
  for (size_t i = 0; i < kModelIdBytes; ++i) {
    out[i] = static_cast<uint8_t>(digit(hex[2 * i]) * 16 + digit(hex[2 * i + 1]));
  }
  return true;
}

}  // namespace

// Placeholder until the default model is trained (replaced by its id).
const std::string_view kDefaultNnModelId =
    "0000000000000000000000000000000000000000000000000000000000000000";

int NnLanes(int level, size_t raw_size) {
  // Bytes per lane before a chunk gets another lane: more lanes decode
  // faster (larger transformer batches), fewer keep more history per lane.
  const size_t lane_bytes = level <= 3 ? 4096 : (level <= 6 ? 65536 : 262144);
  const size_t lanes = std::clamp<size_t>(raw_size / lane_bytes, 1, NnCodec::kMaxLanes);
  return static_cast<int>(std::min(lanes, std::max<size_t>(raw_size, 1)));
}

NnCodec::NnCodec(std::string model_id) : model_id_(model_id == "none" ? "" : std::move(model_id)) {}

Status NnCodec::Encode(std::span<const uint8_t> raw, int level, std::vector<uint8_t>* body) const {
  if (level < kMinLevel || level > kMaxLevel) {
    return InvalidArgument("nn: level " + std::to_string(level) + " is outside 1..9");
  }
  const int lanes = NnLanes(level, raw.size());
  body->push_back(kFormatVersion);
  body->push_back(static_cast<uint8_t>(level));
  body->push_back(static_cast<uint8_t>(cm::ChooseCmParams(level, raw.size()).table_bits));
  body->push_back(static_cast<uint8_t>(
      cm::ChooseCmParams(level, LongestLane(raw.size(), lanes)).match_bits));
  body->push_back(static_cast<uint8_t>(lanes));
  body->push_back(model_id_.empty() ? 0 : kFlagTransformer);
  const size_t id_offset = body->size();
  body->resize(id_offset + kModelIdBytes, 0);
  std::shared_ptr<const nn::TransformerModel> model;
  if (!model_id_.empty()) {
    if (!HexToBytes(model_id_, body->data() + id_offset)) {
      return InvalidArgument("nn: model id '" + model_id_ + "' is not 64 lower-case hex digits");
    }
    ASSIGN_OR_RETURN(model, nn::LoadModel(model_id_));
  }
  if (raw.empty()) return Status::Ok();
  return WithLaneModel(level, raw.size(), lanes, [&](auto& lane_model) -> Status {
    if (model) RETURN_IF_ERROR(lane_model.UseTransformer(model));
    return EncodeLanes(lane_model, raw, body);
  });
}

Status NnCodec::Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const {
  if (body.size() < kHeaderBytes) return Corrupt("nn: body shorter than its header");
  if (body[0] != kFormatVersion) {
    return Unsupported("nn: body format version " + std::to_string(body[0]) + " is unknown");
  }
  const int level = body[1];
  if (level < kMinLevel || level > kMaxLevel) {
    return Corrupt("nn: level " + std::to_string(level) + " is outside 1..9");
  }
  const int lanes = body[4];
  if (lanes < 1 || lanes > kMaxLanes || static_cast<size_t>(lanes) > std::max<size_t>(raw.size(), 1)) {
    return Corrupt("nn: " + std::to_string(lanes) + " lanes for " + std::to_string(raw.size()) +
                   " bytes");
  }
  if (body[2] != cm::ChooseCmParams(level, raw.size()).table_bits ||
      body[3] != cm::ChooseCmParams(level, LongestLane(raw.size(), lanes)).match_bits) {
    return Corrupt("nn: table sizes in the header do not match the level and raw size");
  }
  const uint8_t flags = body[5];
  const std::span<const uint8_t> id_bytes = body.subspan(6, kModelIdBytes);
  const bool all_zero = std::all_of(id_bytes.begin(), id_bytes.end(), [](uint8_t b) { return b == 0; });
  if ((flags & ~kFlagTransformer) != 0 || all_zero == ((flags & kFlagTransformer) != 0)) {
    return Corrupt("nn: invalid flags or model id");
  }
  std::shared_ptr<const nn::TransformerModel> model;
  if (flags & kFlagTransformer) {
    Sha256Digest digest;
    std::copy(id_bytes.begin(), id_bytes.end(), digest.begin());
    ASSIGN_OR_RETURN(model, nn::LoadModel(DigestToHex(digest)));
  }
  if (raw.empty()) {
    if (body.size() != kHeaderBytes) return Corrupt("nn: trailing bytes after an empty body");
    return Status::Ok();
  }
  return WithLaneModel(level, raw.size(), lanes, [&](auto& lane_model) -> Status {
    if (model) RETURN_IF_ERROR(lane_model.UseTransformer(model));
    return DecodeLanes(lane_model, body.subspan(kHeaderBytes), raw);
  });
}

}  // namespace lmarc
