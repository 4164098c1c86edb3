// Opens an archive, validates its structure (docs/format.md §1–§2) and
// decodes chunks with full verification (§5). Every error message starts
// with the archive path, and with "chunk N" where a chunk is concerned.
//
// Not thread-safe (HDF5 is built without thread safety): callers serialise
// ReadRecord; decoding a fetched record (DecodeRecord) may run in parallel.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/archive_writer.h"
#include "io/chunk_record.h"
#include "io/file_entry.h"
#include "io/h5_handle.h"
#include "src/codec.h"
#include "src/status.h"

namespace lmarc {

inline constexpr uint32_t kFormatVersion = 1;

class ArchiveReader {
 public:
  static StatusOr<std::unique_ptr<ArchiveReader>> Open(const std::string& path,
                                                       const CodecRegistry* registry);

  const std::string& path() const { return path_; }
  const std::vector<FileEntry>& entries() const { return entries_; }
  const std::vector<ChunkRow>& chunks() const { return chunks_; }
  const ArchiveAttributes& attributes() const { return attributes_; }
  const ArrayTables& arrays() const { return arrays_; }  // empty without typed chunks
  uint64_t stream_size() const { return stream_size_; }
  uint64_t payload_size() const { return payload_size_; }

  // Reads chunk `chunk`'s record and checks it against the table.
  Status ReadRecord(uint64_t chunk, std::vector<uint8_t>* record);
  // Decodes a record fetched (and checked) by ReadRecord; verifies the raw checksum.
  Status DecodeRecord(uint64_t chunk, const std::vector<uint8_t>& record,
                      std::vector<uint8_t>* raw) const;
  // DecodeRecord for several chunks decoded together (DecodeCheckedRecords).
  Status DecodeRecords(std::span<const uint64_t> chunks, std::span<const std::vector<uint8_t>> records,
                       std::vector<std::vector<uint8_t>>* raws) const;

  // Number of chunk decodes performed (tests assert that extraction only
  // decodes the chunks it needs).
  uint64_t chunks_decoded() const { return chunks_decoded_.load(); }

  // Chunks intersecting stream bytes [offset, offset + length): [first, last).
  std::pair<uint64_t, uint64_t> ChunksForRange(uint64_t offset, uint64_t length) const;

 private:
  explicit ArchiveReader(std::string path, const CodecRegistry* registry)
      : path_(std::move(path)), registry_(registry) {}
  Status Load();
  Status ChunkError(uint64_t chunk, const Status& status) const;

  std::string path_;
  const CodecRegistry* registry_;
  H5Id file_;
  H5Id payload_;
  std::vector<FileEntry> entries_;
  std::vector<ChunkRow> chunks_;
  ArchiveAttributes attributes_;
  ArrayTables arrays_;
  uint64_t stream_size_ = 0;
  uint64_t payload_size_ = 0;
  mutable std::atomic<uint64_t> chunks_decoded_{0};
};

}  // namespace lmarc
