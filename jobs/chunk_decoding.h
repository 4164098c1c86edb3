// Decoding a set of chunks with up to `threads` decodes in flight. Records
// are read from HDF5 on the calling thread (HDF5 is not thread-safe); decodes
// run in parallel; results are delivered in the order of `chunks`.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "io/archive_reader.h"
#include "src/status.h"

namespace lmarc {

using DecodedChunkSink =
    std::function<Status(uint64_t chunk, const std::vector<uint8_t>& raw)>;

Status DecodeChunks(ArchiveReader& reader, std::span<const uint64_t> chunks, int threads,
                    const DecodedChunkSink& sink);

}  // namespace lmarc
