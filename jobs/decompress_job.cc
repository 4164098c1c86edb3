#include "jobs/decompress_job.h"

#include <algorithm>
#include <charconv>

namespace lmarc {
namespace {

bool ParseUint(std::string_view text, uint64_t* value) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

Status CheckThreads(int threads) {
  if (threads < 1 || threads > 1024) return InvalidArgument("--threads must be between 1 and 1024");
  return Status::Ok();
}

}  // namespace

Status RunDecompress(const DecompressOptions& options) {
  if (options.output_dir.empty()) return InvalidArgument("no output directory given (-o DIR)");
  RETURN_IF_ERROR(CheckThreads(options.threads));
  return ParallelDecompress(options);
}

Status RunExtract(const ExtractOptions& options) {
  if (int{!options.path.empty()} + int{!options.chunks.empty()} + int{!options.dataset.empty()} != 1) {
    return InvalidArgument("extract needs exactly one of --path, --chunks or --dataset");
  }
  RETURN_IF_ERROR(CheckThreads(options.threads));
  return ParallelExtract(options);
}

StatusOr<std::vector<uint64_t>> ParseChunkList(const std::string& text) {
  std::vector<uint64_t> chunks;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item(text.data() + start, comma - start);
    const size_t dash = item.find('-');
    uint64_t low = 0;
    uint64_t high = 0;
    const bool ok = dash == std::string_view::npos
                        ? ParseUint(item, &low) && (high = low, true)
                        : ParseUint(item.substr(0, dash), &low) && ParseUint(item.substr(dash + 1), &high);
    if (!ok || low > high || high - low > (1u << 24)) {
      return InvalidArgument("--chunks: invalid list '" + text + "' (expected e.g. 3,7-9)");
    }
    for (uint64_t c = low; c <= high; ++c) chunks.push_back(c);
    start = comma + 1;
  }
  std::sort(chunks.begin(), chunks.end());
  chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
  return chunks;
}

Status ParseRange(const std::string& text, uint64_t* offset, uint64_t* length) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || !ParseUint(std::string_view(text).substr(0, colon), offset) ||
      !ParseUint(std::string_view(text).substr(colon + 1), length)) {
    return InvalidArgument("--range: expected OFFSET:LENGTH in bytes, got '" + text + "'");
  }
  return Status::Ok();
}

}  // namespace lmarc
