// Chunk records in /payload (docs/format.md §2.3) and the chunk table row
// (§2.2), plus encoding and verified decoding of one chunk.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/array/array_codec.h"
#include "model/array/deflated_array_codec.h"
#include "src/codec.h"
#include "src/status.h"

namespace lmarc {

inline constexpr size_t kRecordHeaderSize = 40;  // bytes
inline constexpr uint8_t kRecordVersion = 1;

// One row of /chunks; field order and widths are the on-disk ones.
struct ChunkRow {
  uint64_t stream_offset = 0;
  uint64_t raw_size = 0;
  uint64_t payload_offset = 0;
  uint64_t payload_size = 0;
  uint16_t codec = 0;
  uint8_t level = 0;
  uint16_t model = 0;
  uint64_t raw_xxh64 = 0;
  uint64_t payload_xxh64 = 0;
  uint64_t first_entry = 0;
  uint64_t last_entry = 0;
};

struct RecordHeader {
  uint8_t version = kRecordVersion;
  uint8_t level = 0;
  uint16_t codec = 0;
  uint64_t chunk_id = 0;
  uint64_t raw_size = 0;
  uint64_t body_size = 0;
  uint64_t raw_xxh64 = 0;
};

void AppendRecordHeader(const RecordHeader& header, std::vector<uint8_t>* out);
// Parses the first kRecordHeaderSize bytes; checks magic and version only.
StatusOr<RecordHeader> ParseRecordHeader(std::span<const uint8_t> record);

struct EncodedChunk {
  std::vector<uint8_t> record;  // header + body, ready for /payload
  ChunkRow row;                 // all fields but payload_offset, first/last_entry
};

// Encodes `raw` with `codec` at `level` and keeps the smaller of that and
// `stored`, so the record never exceeds raw.size() + kRecordHeaderSize.
StatusOr<EncodedChunk> EncodeChunk(const Codec& codec, const Codec& stored, int level,
                                   uint64_t chunk_id, std::span<const uint8_t> raw);

// EncodeChunk for a typed chunk: `raw` read as `layout` by the array codec.
StatusOr<EncodedChunk> EncodeArrayChunk(const ArrayCodec& codec, const array::ArrayLayout& layout,
                                        const Codec& stored, int level, uint64_t chunk_id,
                                        std::span<const uint8_t> raw);

// EncodeChunk for an HDF5 tile stored through deflate(+shuffle): its values
// through the deflated-array codec when re-deflating reproduces `raw`, else
// `raw` through `fallback` (as EncodeChunk).
StatusOr<EncodedChunk> EncodeDeflatedArrayChunk(const DeflatedArrayCodec& codec,
                                                const array::ArrayLayout& layout, int zlib_level,
                                                bool shuffle, const Codec& fallback,
                                                const Codec& stored, int level, uint64_t chunk_id,
                                                std::span<const uint8_t> raw);

// Checks `record` against `row` (payload checksum, header fields), decodes it
// with the registry's codec into raw (resized to row.raw_size) and checks the
// raw checksum. Errors carry no chunk prefix; callers add it.
Status DecodeChunkRecord(const CodecRegistry& registry, uint64_t chunk_id, const ChunkRow& row,
                         std::span<const uint8_t> record, std::vector<uint8_t>* raw);

// The payload checks of DecodeChunkRecord without decoding (verify --quick).
Status CheckChunkRecord(uint64_t chunk_id, const ChunkRow& row, std::span<const uint8_t> record);

// The decoding half of DecodeChunkRecord, for a record that already passed
// CheckChunkRecord (the payload checksum is not computed a second time).
Status DecodeCheckedRecord(const CodecRegistry& registry, const ChunkRow& row,
                           std::span<const uint8_t> record, std::vector<uint8_t>* raw);

// DecodeCheckedRecord for several records at once: records of one codec go
// to its DecodeBatch together (nn decodes them in lockstep). On failure
// *failed is the index of the record at fault.
Status DecodeCheckedRecords(const CodecRegistry& registry, std::span<const ChunkRow> rows,
                            std::span<const std::vector<uint8_t>> records,
                            std::vector<std::vector<uint8_t>>* raws, size_t* failed);

}  // namespace lmarc
