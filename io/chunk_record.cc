#include "io/chunk_record.h"

#include <cstring>
#include <map>
#include <string>

#include "src/byte_order.h"
#include "src/checksum.h"

namespace lmarc {
namespace {

constexpr uint8_t kRecordMagic[4] = {'L', 'M', 'C', 'K'};

}  // namespace

void AppendRecordHeader(const RecordHeader& header, std::vector<uint8_t>* out) {
  out->insert(out->end(), kRecordMagic, kRecordMagic + 4);
  out->push_back(header.version);
  out->push_back(header.level);
  AppendLe16(header.codec, out);
  AppendLe64(header.chunk_id, out);
  AppendLe64(header.raw_size, out);
  AppendLe64(header.body_size, out);
  AppendLe64(header.raw_xxh64, out);
}

StatusOr<RecordHeader> ParseRecordHeader(std::span<const uint8_t> record) {
  if (record.size() < kRecordHeaderSize) return Corrupt("record shorter than its header");
  if (std::memcmp(record.data(), kRecordMagic, 4) != 0) return Corrupt("bad record magic");
  RecordHeader header;
  header.version = record[4];
  if (header.version != kRecordVersion) {
    return Unsupported("record version " + std::to_string(header.version));
  }
  header.level = record[5];
  header.codec = LoadLe16(record.data() + 6);
  header.chunk_id = LoadLe64(record.data() + 8);
  header.raw_size = LoadLe64(record.data() + 16);
  header.body_size = LoadLe64(record.data() + 24);
  header.raw_xxh64 = LoadLe64(record.data() + 32);
  return header;
}

namespace {

// The record of `raw` from the body `encode` appends with `codec`, or of
// `stored`'s body when that one is not smaller than raw.
template <typename EncodeBody>
StatusOr<EncodedChunk> EncodeWithFallback(const Codec& codec, const Codec& stored, int level,
                                          uint64_t chunk_id, std::span<const uint8_t> raw,
                                          EncodeBody encode) {
  std::vector<uint8_t> body;
  const Codec* used = &codec;
  RETURN_IF_ERROR(encode(&body));
  if (body.size() >= raw.size() && &codec != &stored) {
    body.clear();
    used = &stored;
    RETURN_IF_ERROR(stored.Encode(raw, level, &body));
  }
  EncodedChunk out;
  RecordHeader header;
  header.level = static_cast<uint8_t>(level);
  header.codec = static_cast<uint16_t>(used->id());
  header.chunk_id = chunk_id;
  header.raw_size = raw.size();
  header.body_size = body.size();
  header.raw_xxh64 = Xxh64(raw);
  out.record.reserve(kRecordHeaderSize + body.size());
  AppendRecordHeader(header, &out.record);
  out.record.insert(out.record.end(), body.begin(), body.end());
  out.row.raw_size = raw.size();
  out.row.payload_size = out.record.size();
  out.row.codec = header.codec;
  out.row.level = header.level;
  out.row.raw_xxh64 = header.raw_xxh64;
  out.row.payload_xxh64 = Xxh64(out.record);
  return out;
}

}  // namespace

StatusOr<EncodedChunk> EncodeChunk(const Codec& codec, const Codec& stored, int level,
                                   uint64_t chunk_id, std::span<const uint8_t> raw) {
  return EncodeWithFallback(codec, stored, level, chunk_id, raw, [&](std::vector<uint8_t>* body) {
    return codec.Encode(raw, level, body);
  });
}

StatusOr<EncodedChunk> EncodeArrayChunk(const ArrayCodec& codec, const array::ArrayLayout& layout,
                                        const Codec& stored, int level, uint64_t chunk_id,
                                        std::span<const uint8_t> raw) {
  return EncodeWithFallback(codec, stored, level, chunk_id, raw, [&](std::vector<uint8_t>* body) {
    return codec.EncodeArray(raw, layout, level, body);
  });
}

StatusOr<EncodedChunk> EncodeDeflatedArrayChunk(const DeflatedArrayCodec& codec,
                                                const array::ArrayLayout& layout, int zlib_level,
                                                bool shuffle, const Codec& fallback,
                                                const Codec& stored, int level, uint64_t chunk_id,
                                                std::span<const uint8_t> raw) {
  std::vector<uint8_t> probe;
  const Status typed = codec.EncodeDeflated(raw, layout, zlib_level, shuffle, level, &probe);
  if (typed.code() == StatusCode::kUnsupported) return EncodeChunk(fallback, stored, level, chunk_id, raw);
  RETURN_IF_ERROR(typed);
  return EncodeWithFallback(codec, stored, level, chunk_id, raw, [&](std::vector<uint8_t>* body) {
    *body = std::move(probe);
    return Status::Ok();
  });
}

Status CheckChunkRecord(uint64_t chunk_id, const ChunkRow& row, std::span<const uint8_t> record) {
  if (record.size() != row.payload_size) return Corrupt("record size differs from the chunk table");
  if (Xxh64(record) != row.payload_xxh64) return Corrupt("payload checksum mismatch");
  ASSIGN_OR_RETURN(const RecordHeader header, ParseRecordHeader(record));
  if (header.chunk_id != chunk_id || header.raw_size != row.raw_size ||
      header.codec != row.codec || header.level != row.level ||
      header.raw_xxh64 != row.raw_xxh64 ||
      header.body_size != row.payload_size - kRecordHeaderSize) {
    return Corrupt("record header disagrees with the chunk table");
  }
  return Status::Ok();
}

Status DecodeChunkRecord(const CodecRegistry& registry, uint64_t chunk_id, const ChunkRow& row,
                         std::span<const uint8_t> record, std::vector<uint8_t>* raw) {
  RETURN_IF_ERROR(CheckChunkRecord(chunk_id, row, record));
  return DecodeCheckedRecord(registry, row, record, raw);
}

Status DecodeCheckedRecord(const CodecRegistry& registry, const ChunkRow& row,
                           std::span<const uint8_t> record, std::vector<uint8_t>* raw) {
  const Codec* codec = registry.Find(static_cast<CodecId>(row.codec));
  if (codec == nullptr) return Unsupported("unknown codec id " + std::to_string(row.codec));
  raw->resize(row.raw_size);
  RETURN_IF_ERROR(codec->Decode(record.subspan(kRecordHeaderSize), *raw)
                      .WithContext(std::string(codec->name())));
  if (Xxh64(*raw) != row.raw_xxh64) return Corrupt("checksum mismatch");
  return Status::Ok();
}

Status DecodeCheckedRecords(const CodecRegistry& registry, std::span<const ChunkRow> rows,
                            std::span<const std::vector<uint8_t>> records,
                            std::vector<std::vector<uint8_t>>* raws, size_t* failed) {
  raws->resize(rows.size());
  std::map<uint16_t, std::vector<size_t>> by_codec;  // codec id -> record indices
  for (size_t i = 0; i < rows.size(); ++i) {
    if (registry.Find(static_cast<CodecId>(rows[i].codec)) == nullptr) {
      *failed = i;
      return Unsupported("unknown codec id " + std::to_string(rows[i].codec));
    }
    (*raws)[i].resize(rows[i].raw_size);
    by_codec[rows[i].codec].push_back(i);
  }
  for (const auto& [id, indices] : by_codec) {
    const Codec& codec = *registry.Find(static_cast<CodecId>(id));
    std::vector<std::span<const uint8_t>> bodies;
    std::vector<std::span<uint8_t>> outputs;
    for (size_t i : indices) {
      bodies.push_back(std::span<const uint8_t>(records[i]).subspan(kRecordHeaderSize));
      outputs.push_back((*raws)[i]);
    }
    size_t at = 0;
    if (Status status = codec.DecodeBatch(bodies, outputs, &at); !status.ok()) {
      *failed = indices[at];
      return status.WithContext(std::string(codec.name()));
    }
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (Xxh64((*raws)[i]) != rows[i].raw_xxh64) {
      *failed = i;
      return Corrupt("checksum mismatch");
    }
  }
  return Status::Ok();
}

}  // namespace lmarc
