// Parallel reading jobs: every rank opens the archive, ranks pull chunks
// from rank 0 and decode them. Decompress writes file contents at their
// offsets from every rank; extract and verify send results to rank 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/progress.h"
#include "src/status.h"

namespace lmarc {

struct DecompressOptions {
  std::string archive;
  std::string output_dir;
  bool overwrite = false;
  int threads = 1;  // compute threads per rank
  Reporting reporting;
};

// Restores every entry of the archive below output_dir.
Status ParallelDecompress(const DecompressOptions& options);

struct ExtractOptions {
  std::string archive;
  std::string path;              // --path: one file of the archive
  bool has_range = false;        // --range OFFSET:LENGTH within that file
  uint64_t range_offset = 0;
  uint64_t range_length = 0;
  std::vector<uint64_t> chunks;  // --chunks: raw bytes of these chunks, in order
  std::string dataset;           // --dataset FILE:/path: a typed dataset ...
  std::string slab;              // --slab: ... its box "0:10,:,5" ("" = all), to HDF5 (.h5/.nc) or raw
  std::string output = "-";      // file, or "-" for stdout
  bool overwrite = false;
  int threads = 1;
  Reporting reporting;
  uint64_t* chunks_decoded = nullptr;  // if set, receives rank 0's decode count (tests)
};

// Decodes only the chunks the request needs; rank 0 writes their bytes.
Status ParallelExtract(const ExtractOptions& options);

struct VerifyOptions {
  std::string archive;
  bool quick = false;  // structure and payload checksums only, no decoding
  int threads = 1;
  Reporting reporting;
};

struct VerifySummary {
  uint64_t chunks = 0;
  uint64_t raw_bytes = 0;
};

Status ParallelVerify(const VerifyOptions& options, VerifySummary* summary);

}  // namespace lmarc
