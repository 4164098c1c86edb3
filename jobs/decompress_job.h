// `lmarc decompress`, `extract`, `list` and `verify`: the reading jobs.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "jobs/job_common.h"
#include "src/status.h"

namespace lmarc {

struct DecompressOptions {
  std::string archive;
  std::string output_dir;
  bool overwrite = false;
  int threads = 1;  // chunks decoded at once
  Reporting reporting;
};

// Restores every entry of the archive below output_dir.
Status RunDecompress(const DecompressOptions& options);

struct ExtractOptions {
  std::string archive;
  std::string path;                // --path: one file of the archive
  bool has_range = false;          // --range OFFSET:LENGTH within that file
  uint64_t range_offset = 0;
  uint64_t range_length = 0;
  std::vector<uint64_t> chunks;    // --chunks: raw bytes of these chunks, in order
  std::string output = "-";        // file, or "-" for stdout
  bool overwrite = false;
  Reporting reporting;
  uint64_t* chunks_decoded = nullptr;  // if set, receives the decode count (tests)
};

// Decodes only the chunks the request needs and writes their bytes.
Status RunExtract(const ExtractOptions& options);

// Parses "3,7-9" into {3, 7, 8, 9} (sorted, unique).
StatusOr<std::vector<uint64_t>> ParseChunkList(const std::string& text);
// Parses "OFFSET:LENGTH" (decimal bytes).
Status ParseRange(const std::string& text, uint64_t* offset, uint64_t* length);

// Prints the file table and a chunk/codec summary.
Status RunList(const std::string& archive, std::ostream& out);

// Full: decodes every chunk and checks both checksums. Quick: checks the
// structure and every payload checksum without decoding.
Status RunVerify(const std::string& archive, bool quick, const Reporting& reporting,
                 std::ostream& out);

}  // namespace lmarc
