// `lmarc compress`: validates the options, runs the parallel compression
// (mpi/) and reports a summary.
#pragma once

#include "mpi/parallel_compress.h"
#include "src/status.h"

namespace lmarc {

Status RunCompress(const CompressOptions& options);

}  // namespace lmarc
