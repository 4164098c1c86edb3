// `lmarc decompress`, `extract`, `list` and `verify`: the reading jobs.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "mpi/parallel_decompress.h"
#include "src/status.h"

namespace lmarc {

// Restores every entry of the archive below output_dir.
Status RunDecompress(const DecompressOptions& options);

// Decodes only the chunks the request needs and writes their bytes.
Status RunExtract(const ExtractOptions& options);

// Parses "3,7-9" into {3, 7, 8, 9} (sorted, unique).
StatusOr<std::vector<uint64_t>> ParseChunkList(const std::string& text);
// Parses "OFFSET:LENGTH" (decimal bytes).
Status ParseRange(const std::string& text, uint64_t* offset, uint64_t* length);

// Prints the file table and a chunk/codec summary (rank 0 only).
Status RunList(const std::string& archive, std::ostream& out);

// Full: decodes every chunk and checks both checksums. Quick: checks the
// structure and every payload checksum without decoding.
Status RunVerify(const VerifyOptions& options, std::ostream& out);

}  // namespace lmarc
