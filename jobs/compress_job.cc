#include "jobs/compress_job.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include "io/archive_writer.h"
#include "io/source_reader.h"
#include "io/tree_scanner.h"

namespace lmarc {
namespace {

// Everything needed to produce one chunk, independent of other chunks.
struct ChunkTask {
  uint64_t chunk_id = 0;
  PlannedChunk plan;
  StatusOr<EncodedChunk> result = Internal("chunk not encoded");
};

class ChunkEncoder {
 public:
  ChunkEncoder(const ScannedTree& tree, const std::vector<size_t>& regular_rows,
               const CompressOptions& options, const Codec& codec)
      : tree_(tree), regular_rows_(regular_rows), options_(options), codec_(codec),
        stored_(*BuiltinCodecs().Find(CodecId::kStored)) {}

  // Reads the chunk's bytes from its files and encodes them. Uses `reader`
  // (one per thread) so a large file stays open across its chunks.
  void Run(ChunkTask* task, SourceReader* reader) const {
    std::vector<uint8_t> raw(task->plan.raw_size);
    const Status read = ReadChunk(task->plan, reader, &raw);
    if (!read.ok()) {
      task->result = read;
      return;
    }
    task->result = EncodeChunk(codec_, stored_, options_.level, task->chunk_id, raw);
    if (!task->result.ok()) {
      task->result = task->result.status().WithContext("chunk " + std::to_string(task->chunk_id));
    }
  }

 private:
  Status ReadChunk(const PlannedChunk& plan, SourceReader* reader, std::vector<uint8_t>* raw) const {
    const uint64_t chunk_end = plan.stream_offset + plan.raw_size;
    for (uint64_t file = plan.first_file; file <= plan.last_file; ++file) {
      const size_t row = regular_rows_[file];
      const FileEntry& entry = tree_.entries[row];
      const SourceStamp& source = tree_.sources[row];
      const uint64_t begin = std::max(entry.stream_offset, plan.stream_offset);
      const uint64_t end = std::min(entry.stream_offset + entry.size, chunk_end);
      if (begin >= end) continue;
      std::span<uint8_t> out(raw->data() + (begin - plan.stream_offset), end - begin);
      Status status = reader->ReadRange(source, begin - entry.stream_offset, out);
      // The file is complete once its last byte is read: check it did not change.
      if (status.ok() && end == entry.stream_offset + entry.size) {
        status = reader->CheckUnchanged(source);
      }
      if (!status.ok()) {
        if (!options_.ignore_changed || status.code() != StatusCode::kCorrupt) return status;
        Warn(status.message() + "; archived as read (--ignore-changed)");
      }
    }
    return Status::Ok();
  }

  const ScannedTree& tree_;
  const std::vector<size_t>& regular_rows_;
  const CompressOptions& options_;
  const Codec& codec_;
  const Codec& stored_;
};

std::string CodecsAttribute(const std::vector<ChunkRow>& rows) {
  std::map<uint16_t, std::string> used;
  for (const ChunkRow& row : rows) {
    if (used.count(row.codec) == 0) {
      const Codec* codec = BuiltinCodecs().Find(static_cast<CodecId>(row.codec));
      used[row.codec] = std::string(codec->name()) + "/" + std::to_string(codec->version());
    }
  }
  std::string text;
  for (const auto& [id, name] : used) text += (text.empty() ? "" : " ") + name;
  return text;
}

Status ValidateOptions(const CompressOptions& options, const Codec** codec) {
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
  *codec = BuiltinCodecs().FindByName(options.codec);
  if (*codec == nullptr) return InvalidArgument("unknown codec '" + options.codec + "'");
  return Status::Ok();
}

}  // namespace

Status RunCompress(const CompressOptions& options) {
  const Codec* codec = nullptr;
  RETURN_IF_ERROR(ValidateOptions(options, &codec));
  ScanOptions scan_options;
  scan_options.follow_symlinks = options.follow_symlinks;
  ASSIGN_OR_RETURN(const ScannedTree tree, ScanInputs(options.inputs, scan_options));
  // Created after the scan, so an archive written inside an input tree is
  // never part of its own input.
  ASSIGN_OR_RETURN(ArchiveWriterPtr writer, ArchiveWriter::Create(options.output, options.overwrite));

  std::vector<size_t> regular_rows;  // file index of the plan -> entry row
  std::vector<uint64_t> sizes;
  for (size_t row = 0; row < tree.entries.size(); ++row) {
    if (tree.entries[row].kind != EntryKind::kRegular) continue;
    regular_rows.push_back(row);
    sizes.push_back(tree.entries[row].size);
  }
  const std::vector<PlannedChunk> plan = PlanChunks(sizes, options.chunk_size);
  uint64_t total_bytes = 0;
  for (uint64_t size : sizes) total_bytes += size;

  const ChunkEncoder encoder(tree, regular_rows, options, *codec);
  std::vector<SourceReader> readers(options.threads);
  std::vector<ChunkRow> rows;
  rows.reserve(plan.size());
  ProgressMeter progress(options.reporting, "compress", total_bytes);
  // Windows of `threads` chunks are encoded concurrently and appended in
  // chunk order, so the archive bytes never depend on the thread count.
  for (size_t window = 0; window < plan.size(); window += options.threads) {
    const size_t count = std::min<size_t>(options.threads, plan.size() - window);
    std::vector<ChunkTask> tasks(count);
    for (size_t i = 0; i < count; ++i) tasks[i] = {window + i, plan[window + i]};
    if (count == 1) {
      encoder.Run(&tasks[0], &readers[0]);
    } else {
      std::vector<std::thread> workers;
      for (size_t i = 0; i < count; ++i) {
        workers.emplace_back([&, i] { encoder.Run(&tasks[i], &readers[i]); });
      }
      for (std::thread& worker : workers) worker.join();
    }
    for (ChunkTask& task : tasks) {
      RETURN_IF_ERROR(task.result.status());
      EncodedChunk& chunk = task.result.value();
      ASSIGN_OR_RETURN(chunk.row.payload_offset, writer->AppendRecord(chunk.record));
      chunk.row.stream_offset = task.plan.stream_offset;
      chunk.row.first_entry = regular_rows[task.plan.first_file];
      chunk.row.last_entry = regular_rows[task.plan.last_file];
      rows.push_back(chunk.row);
      progress.Add(task.plan.raw_size);
    }
  }
  progress.Finish();

  ArchiveAttributes attributes;
  attributes.codecs = CodecsAttribute(rows);
  attributes.chunk_size = options.chunk_size;
  RETURN_IF_ERROR(writer->Finish(tree.entries, rows, attributes));
  if (!options.reporting.quiet) {
    uint64_t payload = 0;
    for (const ChunkRow& row : rows) payload += row.payload_size;
    std::fprintf(stderr, "%s: %zu entries, %zu chunks, %s -> %s payload (%.3fx)\n",
                 options.output.c_str(), tree.entries.size(), rows.size(),
                 HumanBytes(total_bytes).c_str(), HumanBytes(payload).c_str(),
                 payload ? static_cast<double>(total_bytes) / static_cast<double>(payload) : 0.0);
  }
  return Status::Ok();
}

}  // namespace lmarc
