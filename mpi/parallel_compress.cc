#include "mpi/parallel_compress.h"

#include <map>

#include "io/archive_writer.h"
#include "io/chunk_record.h"
#include "io/chunk_source.h"
#include "io/tree_scanner.h"
#include "model/codecs.h"
#include "mpi/borrowed.h"
#include "mpi/runtime.h"
#include "mpi/task_farm.h"
#include "src/checksum.h"

namespace lmarc {
namespace {

// Workers send only the chunk's record; rank 0 derives the table row from
// the record header and the plan.
ChunkRow RowFromRecord(const ChunkSource& source, uint64_t chunk,
                       const std::vector<uint8_t>& record, const RecordHeader& header) {
  ChunkRow row;
  row.stream_offset = source.plan[chunk].stream_offset;
  row.raw_size = header.raw_size;
  row.payload_size = record.size();
  row.codec = header.codec;
  row.level = header.level;
  row.raw_xxh64 = header.raw_xxh64;
  row.payload_xxh64 = Xxh64(record);
  row.first_entry = source.FirstEntry(source.plan[chunk]);
  row.last_entry = source.LastEntry(source.plan[chunk]);
  return row;
}

std::string CodecsAttribute(const std::vector<ChunkRow>& rows) {
  std::map<uint16_t, std::string> used;
  for (const ChunkRow& row : rows) {
    const Codec* codec = BuiltinCodecs().Find(static_cast<CodecId>(row.codec));
    used.emplace(row.codec, std::string(codec->name()) + "/" + std::to_string(codec->version()));
  }
  std::string text;
  for (const auto& [id, name] : used) text += (text.empty() ? "" : " ") + name;
  return text;
}

// The encoding codec's model, when any chunk kept that codec's body.
std::string ModelsAttribute(const std::vector<ChunkRow>& rows, const Codec& codec) {
  for (const ChunkRow& row : rows) {
    if (row.codec == static_cast<uint16_t>(codec.id())) return std::string(codec.model_id());
  }
  return "";
}

// Rank 0 scans and sends the tree to every rank; all plan identically.
StatusOr<ChunkSource> ScanAndShare(const CompressOptions& options) {
  std::vector<uint8_t> bytes;
  if (MpiRuntime::rank() == 0) {
    ScanOptions scan_options;
    scan_options.follow_symlinks = options.follow_symlinks;
    ASSIGN_OR_RETURN(ScannedTree tree, ScanInputs(options.inputs, scan_options));
    std::vector<TypedRegion> regions;
    if (options.type_arrays) regions = FindTypedRegions(tree, options.array_scan);
    if (MpiRuntime::size() == 1) {
      return ChunkSource::Plan(std::move(tree), std::move(regions), options.chunk_size);
    }
    bytes = SerializeTree(tree, regions);
  }
  BroadcastBytes(&bytes);
  ScannedTree tree;
  std::vector<TypedRegion> regions;
  RETURN_IF_ERROR(DeserializeTree(bytes, &tree, &regions));
  return ChunkSource::Plan(std::move(tree), std::move(regions), options.chunk_size);
}

}  // namespace

Status ParallelCompress(const CompressOptions& options, CompressSummary* summary) {
  ASSIGN_OR_RETURN(const std::shared_ptr<const Codec> codec,
                   MakeEncodingCodec(options.codec, options.model));
  const Codec& stored = *BuiltinCodecs().Find(CodecId::kStored);
  const auto& array_codec = dynamic_cast<const ArrayCodec&>(*BuiltinCodecs().Find(CodecId::kArray));
  const auto& deflated_codec =
      dynamic_cast<const DeflatedArrayCodec&>(*BuiltinCodecs().Find(CodecId::kDeflatedArray));
  ASSIGN_OR_RETURN(const ChunkSource source, ScanAndShare(options));

  // Created after the scan, so an archive written inside an input tree is
  // never part of its own input.
  ArchiveWriterPtr writer;
  if (MpiRuntime::rank() == 0) {
    ASSIGN_OR_RETURN(writer, ArchiveWriter::Create(options.output, options.overwrite));
  }

  std::vector<SourceReader> readers(options.threads);
  // Each compute thread borrows a reader so large files stay open.
  Borrowed<SourceReader> borrowed_readers(&readers);
  const TaskFunction compress_chunk = [&](uint64_t chunk) -> StatusOr<std::vector<uint8_t>> {
    std::vector<uint8_t> raw;
    const Status status = borrowed_readers.With([&](SourceReader& reader) {
      return source.ReadChunk(chunk, options.ignore_changed, &reader, &raw);
    });
    if (!status.ok()) return status.WithContext("chunk " + std::to_string(chunk));
    const TypedRegion* region = source.Region(chunk);
    auto encoded =
        region == nullptr ? EncodeChunk(*codec, stored, options.level, chunk, raw)
        : region->deflated()
            ? EncodeDeflatedArrayChunk(deflated_codec, region->layout, region->deflate_level,
                                       region->shuffle, *codec, stored, options.level, chunk, raw)
            : EncodeArrayChunk(array_codec, source.Layout(chunk), stored, options.level, chunk, raw);
    if (!encoded.ok()) return encoded.status().WithContext("chunk " + std::to_string(chunk));
    return std::move(encoded->record);
  };

  std::vector<ChunkRow> rows;
  ProgressMeter progress(options.reporting, "compress", source.stream_size);
  const ConsumeFunction append_record = [&](uint64_t chunk, std::vector<uint8_t>&& record) -> Status {
    ASSIGN_OR_RETURN(const RecordHeader header, ParseRecordHeader(record));
    ChunkRow row = RowFromRecord(source, chunk, record, header);
    ASSIGN_OR_RETURN(row.payload_offset, writer->AppendRecord(record));
    rows.push_back(row);
    progress.Add(row.raw_size);
    return Status::Ok();
  };

  TaskFarmOptions farm;
  farm.task_count = source.plan.size();
  farm.threads_per_rank = options.threads;
  farm.window = 4 * static_cast<uint64_t>(MpiRuntime::size() * options.threads);
  farm.master_computes = MasterShouldCompute(MpiRuntime::size());
  RETURN_IF_ERROR(RunTaskFarm(farm, compress_chunk, append_record));
  if (MpiRuntime::rank() == 0) {
    progress.Finish();
    ArchiveAttributes attributes;
    attributes.codecs = CodecsAttribute(rows);
    attributes.models = ModelsAttribute(rows, *codec);
    // The one model, if any, is index 1 of `models` for the chunks that kept it.
    for (ChunkRow& row : rows) {
      if (!attributes.models.empty() && row.codec == static_cast<uint16_t>(codec->id())) row.model = 1;
    }
    attributes.chunk_size = options.chunk_size;
    RETURN_IF_ERROR(writer->Finish(source.tree.entries, rows, attributes, BuildArrayTables(source)));
    summary->entries = source.tree.entries.size();
    summary->chunks = rows.size();
    summary->raw_bytes = source.stream_size;
    for (const ChunkRow& row : rows) summary->payload_bytes += row.payload_size;
  }
  // Every rank returns once the archive exists under its final name, so any
  // rank may open it next (verify or extract in the same job). A failure on
  // rank 0 skips this; the caller ends the job.
  Barrier();
  return Status::Ok();
}

}  // namespace lmarc
