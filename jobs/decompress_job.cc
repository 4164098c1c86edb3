#include "jobs/decompress_job.h"

#include <algorithm>
#include <numeric>

#include "io/archive_reader.h"
#include "io/tree_restorer.h"
#include "jobs/chunk_decoding.h"

namespace lmarc {

Status RunDecompress(const DecompressOptions& options) {
  if (options.output_dir.empty()) return InvalidArgument("no output directory given (-o DIR)");
  if (options.threads < 1 || options.threads > 1024) {
    return InvalidArgument("--threads must be between 1 and 1024");
  }
  ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(options.archive, &BuiltinCodecs()));
  RestoreOptions restore_options;
  restore_options.overwrite = options.overwrite;
  ASSIGN_OR_RETURN(TreeRestorer restorer, TreeRestorer::Create(options.output_dir, restore_options));
  const std::vector<FileEntry>& entries = reader->entries();
  RETURN_IF_ERROR(restorer.CreateEntries(entries));

  std::vector<uint64_t> all_chunks(reader->chunks().size());
  std::iota(all_chunks.begin(), all_chunks.end(), 0);
  ProgressMeter progress(options.reporting, "decompress", reader->stream_size());
  // Splits each decoded chunk over the regular files it covers.
  const auto write_chunk = [&](uint64_t chunk, const std::vector<uint8_t>& raw) -> Status {
    const ChunkRow& row = reader->chunks()[chunk];
    const uint64_t chunk_end = row.stream_offset + row.raw_size;
    for (uint64_t i = row.first_entry; i <= row.last_entry; ++i) {
      const FileEntry& entry = entries[i];
      if (entry.kind != EntryKind::kRegular) continue;
      const uint64_t begin = std::max(entry.stream_offset, row.stream_offset);
      const uint64_t end = std::min(entry.stream_offset + entry.size, chunk_end);
      if (begin >= end) continue;
      RETURN_IF_ERROR(restorer.WriteFileRange(
          entry, begin - entry.stream_offset,
          std::span<const uint8_t>(raw.data() + (begin - row.stream_offset), end - begin)));
    }
    progress.Add(row.raw_size);
    return Status::Ok();
  };
  RETURN_IF_ERROR(DecodeChunks(*reader, all_chunks, options.threads, write_chunk));
  progress.Finish();
  return restorer.FinishEntries(entries);
}

}  // namespace lmarc
