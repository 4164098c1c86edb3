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
// Encoder blocks: positions per lane evaluated per transformer call (the
// most the session attends to in one batch).
constexpr size_t kEncoderBlock = nn::TransformerSession::kRowsPerLaneBatch;

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

// The transformer evaluated for the lanes of one or several chunks: a
// session with every lane, and each row's cumulative distribution.
class TransformerBatch {
 public:
  [[nodiscard]] Status Start(std::shared_ptr<const nn::TransformerModel> model, int lanes) {
    ASSIGN_OR_RETURN(session_, nn::TransformerSession::Create(std::move(model), lanes));
    return Status::Ok();
  }

  // Evaluates `rows`; row r's cumulative distribution is then cumulative(r).
  [[nodiscard]] Status Evaluate(const std::vector<nn::TransformerRow>& rows) {
    distributions_.resize(rows.size() * nn::kByteVocabulary);
    cumulative_.resize(rows.size() * (nn::kByteVocabulary + 1));
    RETURN_IF_ERROR(session_->Forward(rows, distributions_));
    for (size_t r = 0; r < rows.size(); ++r) {
      Accumulate(&distributions_[r * nn::kByteVocabulary], &cumulative_[r * (nn::kByteVocabulary + 1)]);
    }
    return Status::Ok();
  }
  const uint32_t* cumulative(size_t row) const { return &cumulative_[row * (nn::kByteVocabulary + 1)]; }

 private:
  std::unique_ptr<nn::TransformerSession> session_;
  std::vector<uint32_t> distributions_;
  std::vector<uint32_t> cumulative_;
};

// One chunk's cm side: the predictor with its lanes and the layout.
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

  const LaneLayout& layout() const { return layout_; }
  int lanes() const { return lanes_; }
  // Lanes still coding at `step`: a prefix of the lanes.
  size_t ActiveLanes(size_t step) const {
    size_t active = 0;
    while (active < static_cast<size_t>(lanes_) && step < layout_.Length(active)) ++active;
    return active;
  }

  // Codes one byte of lane k (see CodeByte). Lanes are exchanged only when
  // the lane changes: a one-lane chunk never exchanges after its first byte.
  template <typename CodeBit>
  uint8_t CodeLaneByte(int k, const uint32_t* cumulative, CodeBit&& code_bit) {
    if (k != active_) {
      // Park the active lane in its slot (the slot's spare comes back), then
      // take lane k out of its slot (the spare goes there).
      if (active_ >= 0) predictor_.ExchangeLane(&lane_states_[static_cast<size_t>(active_)]);
      predictor_.ExchangeLane(&lane_states_[static_cast<size_t>(k)]);
      active_ = k;
    }
    return CodeByte<kHashed>(predictor_, logistic_, cumulative, code_bit);
  }

 private:
  int lanes_;
  LaneLayout layout_;
  Predictor predictor_;
  const cm::LogisticTables& logistic_;
  // Lane k's state, except for the active lane, whose slot holds the
  // predictor's spare lane (its construction-time lane, never coded).
  std::vector<typename Predictor::Lane> lane_states_;
  int active_ = -1;  // the lane in the predictor, -1 before the first byte
};

size_t LongestLane(size_t raw_size, int lanes) {
  return raw_size / static_cast<size_t>(lanes) + (raw_size % static_cast<size_t>(lanes) != 0);
}

int InputToken(std::span<const uint8_t> lane_bytes, size_t position) {
  return position == 0 ? nn::kBosToken : lane_bytes[position - 1];
}

template <int kHashed>
Status EncodeLanes(LaneModel<kHashed>& model, TransformerBatch* batch,
                   std::span<const uint8_t> raw, std::vector<uint8_t>* body) {
  const LaneLayout& layout = model.layout();
  const size_t lanes = static_cast<size_t>(model.lanes());
  const size_t steps = layout.Length(0);
  ArithEncoder encoder(body);
  std::vector<nn::TransformerRow> rows;
  std::vector<size_t> first_row(lanes);
  for (size_t block = 0; block < steps; block += kEncoderBlock) {
    const size_t block_end = std::min(steps, block + kEncoderBlock);
    if (batch != nullptr) {
      rows.clear();
      for (size_t k = 0; k < lanes; ++k) {
        first_row[k] = rows.size();
        const std::span<const uint8_t> lane = raw.subspan(layout.Start(k), layout.Length(k));
        for (size_t j = block; j < std::min(block_end, lane.size()); ++j) {
          rows.push_back({static_cast<int>(k), InputToken(lane, j)});
        }
      }
      RETURN_IF_ERROR(batch->Evaluate(rows));
    }
    for (size_t j = block; j < block_end; ++j) {
      for (size_t k = 0; k < lanes && j < layout.Length(k); ++k) {
        const uint8_t byte = raw[layout.Start(k) + j];
        const uint32_t* cumulative =
            batch != nullptr ? batch->cumulative(first_row[k] + (j - block)) : nullptr;
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

// One chunk decoded in lockstep with others (DecodeChunks): per step, the
// rows of its active lanes, then their bytes.
class ChunkDecoder {
 public:
  virtual ~ChunkDecoder() = default;
  virtual size_t steps() const = 0;
  // Appends one row per lane active at `step`, lanes numbered from lane_base.
  virtual void AppendRows(size_t step, int lane_base, std::vector<nn::TransformerRow>* rows) const = 0;
  // Decodes byte `step` of each active lane; lane k's distribution is
  // batch->cumulative(first_row + k) (no transformer when batch is null).
  [[nodiscard]] virtual Status DecodeStep(size_t step, const TransformerBatch* batch,
                                          size_t first_row) = 0;
};

template <int kHashed>
class LaneDecoder final : public ChunkDecoder {
 public:
  LaneDecoder(int level, int lanes, std::span<const uint8_t> coded, std::span<uint8_t> raw)
      : model_(level, raw.size(), lanes), decoder_(coded), raw_(raw) {}

  size_t steps() const override { return model_.layout().Length(0); }

  void AppendRows(size_t step, int lane_base, std::vector<nn::TransformerRow>* rows) const override {
    for (size_t k = 0; k < model_.ActiveLanes(step); ++k) {
      rows->push_back({lane_base + static_cast<int>(k),
                       InputToken(raw_.subspan(model_.layout().Start(k)), step)});
    }
  }

  Status DecodeStep(size_t step, const TransformerBatch* batch, size_t first_row) override {
    for (size_t k = 0; k < model_.ActiveLanes(step); ++k) {
      const uint32_t* cumulative = batch != nullptr ? batch->cumulative(first_row + k) : nullptr;
      raw_[model_.layout().Start(k) + step] = model_.CodeLaneByte(
          static_cast<int>(k), cumulative,
          [&](uint32_t p1, int /*bit_pos*/) { return decoder_.Decode(p1); });
    }
    // Stop early on garbage: once past the input, the rest is meaningless.
    if (decoder_.overrun()) return Corrupt("nn: body ended before the raw size was reached");
    return Status::Ok();
  }

 private:
  LaneModel<kHashed> model_;
  ArithDecoder decoder_;
  std::span<uint8_t> raw_;
};

// Runs the encoding loop for the predictor of `level`.
template <typename Run>
Status WithLaneModel(int level, size_t raw_size, int lanes, Run&& run) {
  switch (cm::HashedContexts(level)) {
    case 3: { LaneModel<3> m(level, raw_size, lanes); return run(m); }
    case 4: { LaneModel<4> m(level, raw_size, lanes); return run(m); }
    case 5: { LaneModel<5> m(level, raw_size, lanes); return run(m); }
    default: { LaneModel<10> m(level, raw_size, lanes); return run(m); }
  }
}

std::unique_ptr<ChunkDecoder> MakeChunkDecoder(int level, int lanes, std::span<const uint8_t> coded,
                                               std::span<uint8_t> raw) {
  switch (cm::HashedContexts(level)) {
    case 3: return std::make_unique<LaneDecoder<3>>(level, lanes, coded, raw);
    case 4: return std::make_unique<LaneDecoder<4>>(level, lanes, coded, raw);
    case 5: return std::make_unique<LaneDecoder<5>>(level, lanes, coded, raw);
    default: return std::make_unique<LaneDecoder<10>>(level, lanes, coded, raw);
  }
}

// A validated body header.
struct ParsedBody {
  int level = 0;
  int lanes = 0;
  std::string model_id;  // empty: no transformer
  std::span<const uint8_t> coded;
};

bool HexToBytes(std::string_view hex, uint8_t* out) {
  const auto digit = [](char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; };
  if (!nn::IsWellFormedModelId(hex)) return false;
  for (size_t i = 0; i < kModelIdBytes; ++i) {
    out[i] = static_cast<uint8_t>(digit(hex[2 * i]) * 16 + digit(hex[2 * i + 1]));
  }
  return true;
}

}  // namespace

// The shipped default model (model/weights/<id>.lmnn, docs/model.md).
const std::string_view kDefaultNnModelId =
    "2bbd10bf4f0f56342b488a56ca35a56a43cdb1171d8b7196dab32425a29d9ae1";

int NnLanes(int level, size_t raw_size) {
  // Bytes per lane before a chunk gets another lane: more lanes decode
  // faster (larger transformer batches), fewer keep more history per lane.
  const size_t lane_bytes = level <= 3 ? (size_t{16} << 10) : (level <= 6 ? (size_t{1} << 20) : (size_t{4} << 20));
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
  TransformerBatch batch;
  if (model) RETURN_IF_ERROR(batch.Start(model, lanes));
  return WithLaneModel(level, raw.size(), lanes, [&](auto& lane_model) -> Status {
    return EncodeLanes(lane_model, model ? &batch : nullptr, raw, body);
  });
}

namespace {

StatusOr<ParsedBody> ParseBody(std::span<const uint8_t> body, size_t raw_size) {
  if (body.size() < NnCodec::kHeaderBytes) return Corrupt("nn: body shorter than its header");
  if (body[0] != NnCodec::kFormatVersion) {
    return Unsupported("nn: body format version " + std::to_string(body[0]) + " is unknown");
  }
  ParsedBody parsed;
  parsed.level = body[1];
  if (parsed.level < kMinLevel || parsed.level > kMaxLevel) {
    return Corrupt("nn: level " + std::to_string(parsed.level) + " is outside 1..9");
  }
  parsed.lanes = body[4];
  if (parsed.lanes < 1 || parsed.lanes > NnCodec::kMaxLanes ||
      static_cast<size_t>(parsed.lanes) > std::max<size_t>(raw_size, 1)) {
    return Corrupt("nn: " + std::to_string(parsed.lanes) + " lanes for " + std::to_string(raw_size) +
                   " bytes");
  }
  if (body[2] != cm::ChooseCmParams(parsed.level, raw_size).table_bits ||
      body[3] != cm::ChooseCmParams(parsed.level, LongestLane(raw_size, parsed.lanes)).match_bits) {
    return Corrupt("nn: table sizes in the header do not match the level and raw size");
  }
  const uint8_t flags = body[5];
  const std::span<const uint8_t> id_bytes = body.subspan(6, kModelIdBytes);
  const bool all_zero = std::all_of(id_bytes.begin(), id_bytes.end(), [](uint8_t b) { return b == 0; });
  if ((flags & ~kFlagTransformer) != 0 || all_zero == ((flags & kFlagTransformer) != 0)) {
    return Corrupt("nn: invalid flags or model id");
  }
  if (flags & kFlagTransformer) {
    Sha256Digest digest;
    std::copy(id_bytes.begin(), id_bytes.end(), digest.begin());
    parsed.model_id = DigestToHex(digest);
  }
  if (raw_size == 0 && body.size() != NnCodec::kHeaderBytes) {
    return Corrupt("nn: trailing bytes after an empty body");
  }
  parsed.coded = body.subspan(NnCodec::kHeaderBytes);
  return parsed;
}

// Decodes chunks that share one model (empty: none) in lockstep: per step,
// one transformer call for the active lanes of every chunk.
Status DecodeInLockstep(const std::string& model_id, std::vector<std::unique_ptr<ChunkDecoder>>& chunks,
                        const std::vector<int>& lanes, const std::vector<size_t>& indices,
                        size_t* failed) {
  TransformerBatch batch;
  if (!model_id.empty()) {
    StatusOr<std::shared_ptr<const nn::TransformerModel>> model = nn::LoadModel(model_id);
    if (!model.ok()) {
      *failed = indices.front();
      return model.status();
    }
    int total_lanes = 0;
    for (int l : lanes) total_lanes += l;
    RETURN_IF_ERROR(batch.Start(*model, total_lanes));
  }
  size_t steps = 0;
  for (const auto& chunk : chunks) steps = std::max(steps, chunk->steps());
  std::vector<nn::TransformerRow> rows;
  std::vector<size_t> first_row(chunks.size());
  for (size_t step = 0; step < steps; ++step) {
    rows.clear();
    int lane_base = 0;
    for (size_t c = 0; c < chunks.size(); ++c) {
      first_row[c] = rows.size();
      if (step < chunks[c]->steps()) chunks[c]->AppendRows(step, lane_base, &rows);
      lane_base += lanes[c];
    }
    if (!model_id.empty()) RETURN_IF_ERROR(batch.Evaluate(rows));
    for (size_t c = 0; c < chunks.size(); ++c) {
      if (step >= chunks[c]->steps()) continue;
      if (Status s = chunks[c]->DecodeStep(step, model_id.empty() ? nullptr : &batch, first_row[c]);
          !s.ok()) {
        *failed = indices[c];
        return s;
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status NnCodec::Decode(std::span<const uint8_t> body, std::span<uint8_t> raw) const {
  size_t failed = 0;
  return DecodeBatch(std::span(&body, 1), std::span(&raw, 1), &failed);
}

Status NnCodec::DecodeBatch(std::span<const std::span<const uint8_t>> bodies,
                            std::span<const std::span<uint8_t>> raws, size_t* failed) const {
  if (bodies.size() != raws.size()) return InvalidArgument("nn: batch size mismatch");
  // Chunks grouped by model, in order of first appearance.
  std::vector<std::string> models;
  std::vector<std::vector<size_t>> groups;
  std::vector<ParsedBody> parsed(bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    StatusOr<ParsedBody> body = ParseBody(bodies[i], raws[i].size());
    if (!body.ok()) {
      *failed = i;
      return body.status();
    }
    parsed[i] = *body;
    if (raws[i].empty()) continue;
    const auto known = std::find(models.begin(), models.end(), parsed[i].model_id);
    if (known == models.end()) {
      models.push_back(parsed[i].model_id);
      groups.emplace_back();
    }
    groups[static_cast<size_t>(std::find(models.begin(), models.end(), parsed[i].model_id) -
                               models.begin())]
        .push_back(i);
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    std::vector<std::unique_ptr<ChunkDecoder>> chunks;
    std::vector<int> lanes;
    for (size_t i : groups[g]) {
      chunks.push_back(MakeChunkDecoder(parsed[i].level, parsed[i].lanes, parsed[i].coded, raws[i]));
      lanes.push_back(parsed[i].lanes);
    }
    RETURN_IF_ERROR(DecodeInLockstep(models[g], chunks, lanes, groups[g], failed));
  }
  return Status::Ok();
}

}  // namespace lmarc
