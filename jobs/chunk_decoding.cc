#include "jobs/chunk_decoding.h"

#include <algorithm>
#include <thread>

namespace lmarc {

Status DecodeChunks(ArchiveReader& reader, std::span<const uint64_t> chunks, int threads,
                    const DecodedChunkSink& sink) {
  const size_t window_size = static_cast<size_t>(std::max(threads, 1));
  std::vector<std::vector<uint8_t>> records(window_size);
  std::vector<std::vector<uint8_t>> raws(window_size);
  std::vector<Status> results(window_size);
  for (size_t window = 0; window < chunks.size(); window += window_size) {
    const size_t count = std::min(window_size, chunks.size() - window);
    for (size_t i = 0; i < count; ++i) {
      RETURN_IF_ERROR(reader.ReadRecord(chunks[window + i], &records[i]));
    }
    const auto decode = [&](size_t i) {
      results[i] = reader.DecodeRecord(chunks[window + i], records[i], &raws[i]);
    };
    if (count == 1) {
      decode(0);
    } else {
      std::vector<std::thread> workers;
      for (size_t i = 0; i < count; ++i) workers.emplace_back(decode, i);
      for (std::thread& worker : workers) worker.join();
    }
    for (size_t i = 0; i < count; ++i) {
      RETURN_IF_ERROR(results[i]);
      RETURN_IF_ERROR(sink(chunks[window + i], raws[i]));
    }
  }
  return Status::Ok();
}

}  // namespace lmarc
