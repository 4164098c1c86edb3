#include "mpi/parallel_decompress.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <mutex>

#include "io/archive_reader.h"
#include "io/dataset_slab.h"
#include "io/tree_restorer.h"
#include "model/codecs.h"
#include "mpi/borrowed.h"
#include "mpi/runtime.h"
#include "mpi/task_farm.h"

namespace lmarc {
namespace {

// One rank's view of the archive. HDF5 is not thread-safe: record reads are
// serialised by a mutex; decoding runs on every compute thread at once.
class ArchiveSession {
 public:
  // Rank 0 opens (and validates) first; the others open only once it has
  // succeeded, so a bad archive is reported once, by rank 0, which then
  // ends the job while the others wait at the barrier.
  static StatusOr<std::unique_ptr<ArchiveSession>> Open(const std::string& path) {
    std::unique_ptr<ArchiveReader> reader;
    if (MpiRuntime::rank() == 0) {
      ASSIGN_OR_RETURN(reader, ArchiveReader::Open(path, &BuiltinCodecs()));
    }
    Barrier();
    if (MpiRuntime::rank() != 0) {
      ASSIGN_OR_RETURN(reader, ArchiveReader::Open(path, &BuiltinCodecs()));
    }
    return std::unique_ptr<ArchiveSession>(new ArchiveSession(std::move(reader)));
  }

  ArchiveReader& reader() { return *reader_; }

  Status Fetch(uint64_t chunk, std::vector<uint8_t>* record) {
    std::lock_guard<std::mutex> lock(hdf5_mutex_);
    return reader_->ReadRecord(chunk, record);
  }

  Status Decode(uint64_t chunk, std::vector<uint8_t>* raw) {
    std::vector<uint8_t> record;
    RETURN_IF_ERROR(Fetch(chunk, &record));
    return reader_->DecodeRecord(chunk, record, raw);
  }

  // Decodes chunks together (the nn codec batches their transformer calls).
  Status DecodeMany(std::span<const uint64_t> chunks, std::vector<std::vector<uint8_t>>* raws) {
    std::vector<std::vector<uint8_t>> records(chunks.size());
    for (size_t i = 0; i < chunks.size(); ++i) RETURN_IF_ERROR(Fetch(chunks[i], &records[i]));
    return reader_->DecodeRecords(chunks, records, raws);
  }

 private:
  explicit ArchiveSession(std::unique_ptr<ArchiveReader> reader) : reader_(std::move(reader)) {}
  std::unique_ptr<ArchiveReader> reader_;
  std::mutex hdf5_mutex_;
};

TaskFarmOptions FarmOptions(uint64_t tasks, int threads) {
  TaskFarmOptions farm;
  farm.task_count = tasks;
  farm.threads_per_rank = threads;
  farm.window = 4 * static_cast<uint64_t>(MpiRuntime::size() * threads);
  farm.master_computes = MasterShouldCompute(MpiRuntime::size());
  return farm;
}

// Output of an extraction on rank 0: stdout, or FILE written as
// FILE.partial and renamed by Commit, so a failed extraction leaves no
// complete-looking file.
class ExtractOutput {
 public:
  ~ExtractOutput() {
    if (fd_ >= 0 && fd_ != STDOUT_FILENO) {
      close(fd_);
      std::remove(partial_.c_str());
    }
  }

  Status Open(const std::string& path, bool overwrite) {
    path_ = path;
    if (path == "-") {
      fd_ = STDOUT_FILENO;
      return Status::Ok();
    }
    struct stat st;
    if (!overwrite && lstat(path.c_str(), &st) == 0) {
      return AlreadyExists(path + ": already exists (use -f to overwrite)");
    }
    partial_ = path + ".partial";
    fd_ = open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return ErrnoError(partial_ + ": open", errno);
    return Status::Ok();
  }

  Status Write(std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ErrnoError(path_ + ": write", errno);
      bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status Commit() {
    if (fd_ == STDOUT_FILENO) return Status::Ok();
    const int fd = std::exchange(fd_, -1);
    if (close(fd) != 0) return ErrnoError(path_ + ": close", errno);
    if (std::rename(partial_.c_str(), path_.c_str()) != 0) return ErrnoError(path_ + ": rename", errno);
    return Status::Ok();
  }

 private:
  int fd_ = -1;
  std::string path_;
  std::string partial_;
};

StatusOr<const FileEntry*> FindFile(const ArchiveReader& reader, const std::string& path) {
  const auto& entries = reader.entries();
  const auto it = std::lower_bound(entries.begin(), entries.end(), path,
                                   [](const FileEntry& e, const std::string& p) { return e.path < p; });
  if (it == entries.end() || it->path != path) {
    return NotFound(reader.path() + ": " + path + ": no such entry in the archive");
  }
  if (it->kind == EntryKind::kHardlink) return FindFile(reader, it->link_target);
  if (it->kind != EntryKind::kRegular) {
    return InvalidArgument(reader.path() + ": " + path + ": not a regular file");
  }
  return &*it;
}

// The stream bytes an extraction wants: whole chunks, or a file (range).
struct ExtractPlan {
  std::vector<uint64_t> chunks;  // in output order
  uint64_t offset = 0;           // stream range, for --path
  uint64_t length = 0;
  bool whole_chunks = false;
};

StatusOr<ExtractPlan> PlanExtract(const ExtractOptions& options, const ArchiveReader& reader) {
  ExtractPlan plan;
  if (!options.chunks.empty()) {
    for (uint64_t chunk : options.chunks) {
      if (chunk >= reader.chunks().size()) {
        return NotFound(options.archive + ": chunk " + std::to_string(chunk) +
                        ": no such chunk (archive has " + std::to_string(reader.chunks().size()) + ")");
      }
    }
    plan.chunks = options.chunks;
    plan.whole_chunks = true;
    return plan;
  }
  ASSIGN_OR_RETURN(const FileEntry* file, FindFile(reader, options.path));
  plan.offset = file->stream_offset;
  plan.length = file->size;
  if (options.has_range) {
    if (options.range_offset > file->size || options.range_length > file->size - options.range_offset) {
      return InvalidArgument(options.path + ": --range " + std::to_string(options.range_offset) + ":" +
                             std::to_string(options.range_length) + " exceeds the file size " +
                             std::to_string(file->size));
    }
    plan.offset += options.range_offset;
    plan.length = options.range_length;
  }
  const auto [first, end] = reader.ChunksForRange(plan.offset, plan.length);
  for (uint64_t c = first; c < end; ++c) plan.chunks.push_back(c);
  return plan;
}

// Output files ending in these are written as HDF5, others as raw bytes.
bool WantsHdf5(const std::string& path) {
  for (const char* suffix : {".h5", ".hdf5", ".he5", ".nc"}) {
    const std::string s = suffix;
    if (path.size() > s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0) return true;
  }
  return false;
}

// Slabs are assembled in rank 0's memory.
constexpr uint64_t kMaxSlabBytes = uint64_t{16} << 30;

// --dataset/--slab: decodes the typed chunks whose boxes meet the slab
// (inflating a filtered dataset's tiles) and assembles it on rank 0.
Status ExtractSlab(const ExtractOptions& options, ArchiveSession& session) {
  const ArchiveReader& reader = session.reader();
  const ArrayTables& tables = reader.arrays();
  StatusOr<uint64_t> found = FindDataset(tables, reader.entries(), options.dataset);
  if (!found.ok()) return found.status().WithContext(reader.path());
  const uint64_t dataset_row = *found;
  const DatasetRow& dataset = tables.datasets[dataset_row];
  const std::vector<uint64_t> shape(dataset.shape, dataset.shape + dataset.rank);
  StatusOr<Slab> parsed = ParseSlab(options.slab, shape);
  if (!parsed.ok()) return parsed.status().WithContext(reader.path() + ": " + options.dataset);
  const Slab slab = std::move(*parsed);
  StatusOr<std::vector<size_t>> needed = ChunksForSlab(tables, dataset_row, slab);
  if (!needed.ok()) return needed.status().WithContext(reader.path() + ": " + options.dataset);
  const std::vector<size_t> boxes = std::move(*needed);
  const size_t element = array::ElementBytes(static_cast<array::DType>(dataset.dtype));
  if (slab.Elements() > kMaxSlabBytes / element) {
    return ResourceLimit("--slab: " + std::to_string(slab.Elements() * element) +
                         " bytes exceed the 16 GiB an extraction assembles in memory");
  }
  std::vector<uint8_t> slab_bytes;
  ExtractOutput raw_out;
  const bool hdf5 = WantsHdf5(options.output);
  if (MpiRuntime::rank() == 0) {
    if (!hdf5) RETURN_IF_ERROR(raw_out.Open(options.output, options.overwrite));
    slab_bytes.resize(slab.Elements() * element);
  }
  // Workers decode (and inflate, for filtered datasets) the boxes; rank 0 places them.
  const TaskFunction decode_box = [&](uint64_t task) -> StatusOr<std::vector<uint8_t>> {
    const ArrayChunkRow& box = tables.chunks[boxes[task]];
    std::vector<uint8_t> raw;
    RETURN_IF_ERROR(session.Decode(box.chunk, &raw));
    RETURN_IF_ERROR(UnfilterBox(dataset, box, &raw)
                        .WithContext(reader.path() + ": chunk " + std::to_string(box.chunk)));
    return raw;
  };
  const ConsumeFunction place_box = [&](uint64_t task, std::vector<uint8_t>&& raw) {
    CopyIntersection(tables.chunks[boxes[task]], dataset.rank, element, raw, slab, slab_bytes);
    return Status::Ok();
  };
  RETURN_IF_ERROR(RunTaskFarm(FarmOptions(boxes.size(), options.threads), decode_box, place_box));
  if (MpiRuntime::rank() != 0) return Status::Ok();
  if (options.chunks_decoded != nullptr) *options.chunks_decoded = reader.chunks_decoded();
  if (hdf5) {
    const std::string name = tables.Name(dataset);
    return WriteSlabHdf5(options.output, options.overwrite, name.substr(name.rfind('/') + 1),
                         dataset, slab, slab_bytes);
  }
  RETURN_IF_ERROR(raw_out.Write(slab_bytes));
  return raw_out.Commit();
}

}  // namespace

Status ParallelDecompress(const DecompressOptions& options) {
  ASSIGN_OR_RETURN(auto session, ArchiveSession::Open(options.archive));
  ArchiveReader& reader = session->reader();
  const std::vector<FileEntry>& entries = reader.entries();
  RestoreOptions restore_options;
  restore_options.overwrite = options.overwrite;
  // Rank 0 creates the tree; then every compute thread writes through its own restorer.
  if (MpiRuntime::rank() == 0) {
    ASSIGN_OR_RETURN(TreeRestorer creator, TreeRestorer::Create(options.output_dir, restore_options));
    RETURN_IF_ERROR(creator.CreateEntries(entries).WithContext(options.archive));
  }
  Barrier();
  std::vector<TreeRestorer> restorers;
  for (int i = 0; i < options.threads; ++i) {
    ASSIGN_OR_RETURN(TreeRestorer restorer, TreeRestorer::Create(options.output_dir, restore_options));
    restorers.push_back(std::move(restorer));
  }
  Borrowed<TreeRestorer> borrowed(&restorers);

  // Writes a decoded chunk's bytes into the files it covers.
  const auto restore_chunk = [&](uint64_t chunk, const std::vector<uint8_t>& raw) -> Status {
    const ChunkRow& row = reader.chunks()[chunk];
    const uint64_t chunk_end = row.stream_offset + row.raw_size;
    return borrowed.With([&](TreeRestorer& restorer) -> Status {
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
      return Status::Ok();
    }).WithContext(options.archive + ": chunk " + std::to_string(chunk));
  };
  // A task restores a group of consecutive chunks, decoded together: small
  // chunks share transformer calls. Groups stay small enough to keep every
  // worker busy (at most 8 chunks, at least 4 groups per worker thread).
  const uint64_t chunk_count = reader.chunks().size();
  const uint64_t workers = static_cast<uint64_t>(MpiRuntime::size()) * options.threads;
  const uint64_t group = std::clamp<uint64_t>(chunk_count / (4 * workers), 1, 8);
  const auto group_chunks = [&](uint64_t task) {
    std::vector<uint64_t> chunks;
    for (uint64_t c = task * group; c < std::min(chunk_count, (task + 1) * group); ++c) chunks.push_back(c);
    return chunks;
  };
  const TaskFunction restore_group = [&](uint64_t task) -> StatusOr<std::vector<uint8_t>> {
    const std::vector<uint64_t> chunks = group_chunks(task);
    std::vector<std::vector<uint8_t>> raws;
    RETURN_IF_ERROR(session->DecodeMany(chunks, &raws));
    for (size_t g = 0; g < chunks.size(); ++g) {
      RETURN_IF_ERROR(restore_chunk(chunks[g], raws[g]));
    }
    return std::vector<uint8_t>();  // written here; rank 0 only counts progress
  };
  ProgressMeter progress(options.reporting, "decompress", reader.stream_size());
  const ConsumeFunction count_progress = [&](uint64_t task, std::vector<uint8_t>&&) {
    for (uint64_t chunk : group_chunks(task)) progress.Add(reader.chunks()[chunk].raw_size);
    return Status::Ok();
  };
  const uint64_t tasks = (chunk_count + group - 1) / group;
  RETURN_IF_ERROR(RunTaskFarm(FarmOptions(tasks, options.threads), restore_group, count_progress));
  if (MpiRuntime::rank() != 0) return Status::Ok();
  progress.Finish();
  // Every chunk has been written: results reach rank 0 only after their writes.
  return restorers.front().FinishEntries(entries).WithContext(options.archive);
}

Status ParallelExtract(const ExtractOptions& options) {
  ASSIGN_OR_RETURN(auto session, ArchiveSession::Open(options.archive));
  if (!options.dataset.empty()) return ExtractSlab(options, *session);
  ArchiveReader& reader = session->reader();
  ASSIGN_OR_RETURN(const ExtractPlan plan, PlanExtract(options, reader));
  ExtractOutput out;
  if (MpiRuntime::rank() == 0) RETURN_IF_ERROR(out.Open(options.output, options.overwrite));
  // Task i decodes plan.chunks[i] and returns the bytes of it that are wanted.
  const TaskFunction decode_wanted = [&](uint64_t task) -> StatusOr<std::vector<uint8_t>> {
    const uint64_t chunk = plan.chunks[task];
    std::vector<uint8_t> raw;
    RETURN_IF_ERROR(session->Decode(chunk, &raw));
    if (plan.whole_chunks) return raw;
    const ChunkRow& row = reader.chunks()[chunk];
    const uint64_t begin = std::max(plan.offset, row.stream_offset);
    const uint64_t end = std::min(plan.offset + plan.length, row.stream_offset + row.raw_size);
    return std::vector<uint8_t>(raw.begin() + (begin - row.stream_offset),
                                raw.begin() + (end - row.stream_offset));
  };
  const ConsumeFunction write_in_order = [&](uint64_t, std::vector<uint8_t>&& bytes) {
    return out.Write(bytes);
  };
  RETURN_IF_ERROR(RunTaskFarm(FarmOptions(plan.chunks.size(), options.threads), decode_wanted,
                              write_in_order));
  if (MpiRuntime::rank() != 0) return Status::Ok();
  if (options.chunks_decoded != nullptr) *options.chunks_decoded = reader.chunks_decoded();
  return out.Commit();
}

Status ParallelVerify(const VerifyOptions& options, VerifySummary* summary) {
  ASSIGN_OR_RETURN(auto session, ArchiveSession::Open(options.archive));
  ArchiveReader& reader = session->reader();
  const TaskFunction check_chunk = [&](uint64_t chunk) -> StatusOr<std::vector<uint8_t>> {
    std::vector<uint8_t> bytes;
    if (options.quick) {
      RETURN_IF_ERROR(session->Fetch(chunk, &bytes));  // checks payload checksum and header
    } else {
      RETURN_IF_ERROR(session->Decode(chunk, &bytes));
    }
    return std::vector<uint8_t>();
  };
  ProgressMeter progress(options.reporting, options.quick ? "verify --quick" : "verify",
                         reader.stream_size());
  const ConsumeFunction count_progress = [&](uint64_t chunk, std::vector<uint8_t>&&) {
    progress.Add(reader.chunks()[chunk].raw_size);
    return Status::Ok();
  };
  RETURN_IF_ERROR(RunTaskFarm(FarmOptions(reader.chunks().size(), options.threads), check_chunk,
                              count_progress));
  progress.Finish();
  summary->chunks = reader.chunks().size();
  summary->raw_bytes = reader.stream_size();
  return Status::Ok();
}

}  // namespace lmarc
