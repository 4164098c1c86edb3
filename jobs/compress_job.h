// `lmarc compress`: scan inputs, plan chunks, encode, write the archive.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/job_common.h"
#include "src/chunk_plan.h"
#include "src/status.h"

namespace lmarc {

struct CompressOptions {
  std::vector<std::string> inputs;
  std::string output;                       // archive path
  uint64_t chunk_size = kDefaultChunkSize;  // bytes; format-relevant
  int level = kDefaultLevel;                // format-relevant
  std::string codec = "cm";                 // format-relevant
  bool overwrite = false;                   // -f
  bool follow_symlinks = false;
  bool ignore_changed = false;  // a file changing while read is a warning, not an error
  int threads = 1;              // chunks encoded at once; never changes the archive bytes
  Reporting reporting;
};

Status RunCompress(const CompressOptions& options);

}  // namespace lmarc
