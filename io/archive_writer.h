// Writes an archive (docs/format.md): chunk records are appended to /payload
// in chunk order as they are produced, tables and attributes at Finish.
//
// The file is written as PATH.partial and renamed to PATH only by a
// successful Finish; a writer destroyed before that removes the partial
// file, so nothing half-written remains under either name.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/archive_tables.h"
#include "io/chunk_record.h"
#include "io/file_entry.h"
#include "io/h5_handle.h"
#include "src/status.h"

namespace lmarc {

struct ArchiveAttributes {
  std::string codecs;  // "name/version ..." of the codecs used, by id
  std::string models;  // model ids used, space-separated
  uint64_t chunk_size = 0;
};

class ArchiveWriter;
using ArchiveWriterPtr = std::unique_ptr<ArchiveWriter>;

class ArchiveWriter {
 public:
  // Refuses an existing PATH unless overwrite.
  static StatusOr<std::unique_ptr<ArchiveWriter>> Create(const std::string& path, bool overwrite);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Appends one chunk record to /payload; returns its payload offset.
  StatusOr<uint64_t> AppendRecord(std::span<const uint8_t> record);

  // Writes tables (the array tables when `arrays` is not empty), attributes
  // and the completion marker, closes, renames.
  Status Finish(const std::vector<FileEntry>& entries, const std::vector<ChunkRow>& chunks,
                const ArchiveAttributes& attributes, const ArrayTables& arrays = {});

  const std::string& path() const { return path_; }

 private:
  ArchiveWriter(std::string path, H5Id file);
  Status FlushPayload();
  Status CreatePayloadDataset(uint64_t chunk_bytes, bool extendible);

  std::string path_;
  std::string partial_path_;
  H5Id file_;
  H5Id payload_;                 // invalid until the first flush
  std::vector<uint8_t> pending_;  // payload bytes not yet in the file
  uint64_t payload_size_ = 0;    // bytes appended so far (written + pending)
  uint64_t written_size_ = 0;    // bytes in the /payload dataset
  bool finished_ = false;
};

}  // namespace lmarc
