#include "jobs/compress_job.h"

#include <cstdio>

#include "model/codecs.h"
#include "mpi/runtime.h"

namespace lmarc {
namespace {

Status ValidateOptions(const CompressOptions& options) {
  if (options.inputs.empty()) return InvalidArgument("no input paths given");
  if (options.output.empty()) return InvalidArgument("no archive given (-o ARCHIVE)");
  if (options.chunk_size < 1 || options.chunk_size > kMaxChunkSize) {
    return InvalidArgument("--chunk-size must be between 1 byte and 1 GiB");
  }
  if (options.level < kMinLevel || options.level > kMaxLevel) {
    return InvalidArgument("--level must be between 1 and 9");
  }
  if (options.threads < 1 || options.threads > 1024) {
    return InvalidArgument("--threads must be between 1 and 1024");
  }
  return MakeEncodingCodec(options.codec, options.model).status();
}

}  // namespace

Status RunCompress(const CompressOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  CompressSummary summary;
  RETURN_IF_ERROR(ParallelCompress(options, &summary));
  if (MpiRuntime::rank() == 0 && !options.reporting.quiet) {
    std::fprintf(stderr, "%s: %llu entries, %llu chunks, %s -> %s payload (%.3fx)\n",
                 options.output.c_str(), static_cast<unsigned long long>(summary.entries),
                 static_cast<unsigned long long>(summary.chunks), HumanBytes(summary.raw_bytes).c_str(),
                 HumanBytes(summary.payload_bytes).c_str(),
                 summary.payload_bytes ? static_cast<double>(summary.raw_bytes) /
                                             static_cast<double>(summary.payload_bytes)
                                       : 0.0);
  }
  return Status::Ok();
}

}  // namespace lmarc
