// Parallel compression: rank 0 scans the inputs and fixes the chunk plan
// before any chunk is compressed (so the archive never depends on the rank
// count), every rank compresses chunks it pulls from rank 0 (reading the
// input files itself, by offset), and rank 0 appends the records to the
// archive in chunk order — the same write path for one rank or many.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/array_scan.h"
#include "src/chunk_plan.h"
#include "src/codec.h"
#include "src/progress.h"
#include "src/status.h"

namespace lmarc {

struct CompressOptions {
  std::vector<std::string> inputs;
  std::string output;                       // archive path
  uint64_t chunk_size = kDefaultChunkSize;  // bytes; format-relevant
  int level = kDefaultLevel;                // format-relevant
  std::string codec = "cm";                 // format-relevant
  std::string model;                        // nn only: "" = default, "none" or a model id; format-relevant
  bool type_arrays = true;    // typed regions through the array codec (--arrays); format-relevant
  ArrayScanOptions array_scan;  // raw layout (format-relevant), helper and its limits
  bool overwrite = false;                   // -f
  bool follow_symlinks = false;
  bool ignore_changed = false;  // a file changing while read is a warning, not an error
  int threads = 1;              // compute threads per rank; never changes the archive bytes
  Reporting reporting;
};

struct CompressSummary {
  uint64_t entries = 0;
  uint64_t chunks = 0;
  uint64_t raw_bytes = 0;
  uint64_t payload_bytes = 0;
};

// Runs on every rank and returns on each once the archive is complete; on
// rank 0 fills *summary. Errors on rank 0 leave no archive (the partial
// file is removed); the caller ends the job.
Status ParallelCompress(const CompressOptions& options, CompressSummary* summary);

}  // namespace lmarc
