#include "io/archive_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "src/version.h"

namespace lmarc {
namespace {

// Payload bytes kept in memory before /payload is created. An archive whose
// whole payload fits is written as a single HDF5 chunk of exactly its size
// of fixed extent (no padding, no chunk index); larger payloads grow in
// kLargePayloadChunkBytes HDF5 chunks.
constexpr uint64_t kPayloadBufferBytes = uint64_t{64} << 20;
constexpr uint64_t kLargePayloadChunkBytes = uint64_t{1} << 20;
// Datasets up to this size are stored compact, inside their object header.
constexpr uint64_t kCompactLimitBytes = 32 << 10;

H5Id CreationProperties(hid_t cls) {
  H5Id plist(H5Pcreate(cls), H5Pclose);
  H5Pset_obj_track_times(plist.get(), false);  // reproducible bytes
  // lmarc's datasets carry no attributes: minimal object headers.
  if (cls == H5P_DATASET_CREATE) H5Pset_dset_no_attrs_hint(plist.get(), true);
  return plist;
}

Status H5Error(const std::string& what) { return IoError("HDF5: cannot " + what); }

Status WriteScalarAttribute(hid_t object, const char* name, hid_t file_type, hid_t mem_type,
                            const void* value) {
  H5Id space(H5Screate(H5S_SCALAR), H5Sclose);
  H5Id attr(H5Acreate2(object, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), mem_type, value) < 0) {
    return H5Error(std::string("write attribute ") + name);
  }
  return Status::Ok();
}

Status WriteStringAttribute(hid_t object, const char* name, const std::string& value) {
  H5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), value.size() + 1);
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  return WriteScalarAttribute(object, name, type.get(), type.get(), value.c_str());
}

// Writes a 1-D dataset of `count` elements, compact when small.
Status WriteTableDataset(hid_t file, const char* name, hid_t file_type, hid_t mem_type,
                         uint64_t count, const void* data) {
  const hsize_t dims[1] = {count};
  H5Id space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  H5Id dcpl = CreationProperties(H5P_DATASET_CREATE);
  const bool compact = count * H5Tget_size(file_type) <= kCompactLimitBytes;
  H5Pset_layout(dcpl.get(), compact ? H5D_COMPACT : H5D_CONTIGUOUS);
  H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
  H5Id dataset(H5Dcreate2(file, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(),
                          H5P_DEFAULT),
               H5Dclose);
  if (!dataset.valid()) return H5Error(std::string("create dataset ") + name);
  if (count > 0 && H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    return H5Error(std::string("write dataset ") + name);
  }
  return Status::Ok();
}

}  // namespace

ArchiveWriter::ArchiveWriter(std::string path, H5Id file)
    : path_(std::move(path)), partial_path_(path_ + ".partial"), file_(std::move(file)) {}

ArchiveWriter::~ArchiveWriter() {
  if (!finished_) {
    payload_.Reset();
    file_.Reset();
    std::remove(partial_path_.c_str());
  }
}

StatusOr<std::unique_ptr<ArchiveWriter>> ArchiveWriter::Create(const std::string& path,
                                                               bool overwrite) {
  SilenceHdf5Errors();
  struct stat st;
  if (!overwrite && lstat(path.c_str(), &st) == 0) {
    return AlreadyExists(path + ": already exists (use -f to overwrite)");
  }
  H5Id fcpl = CreationProperties(H5P_FILE_CREATE);
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  // Pinned format bounds: the bytes must not change with the library version.
  H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110);
  H5Pset_file_locking(fapl.get(), false, true);  // Lustre/NFS without flock
  // No 2 KiB aggregation blocks: small archives stay small.
  H5Pset_meta_block_size(fapl.get(), 0);
  H5Pset_small_data_block_size(fapl.get(), 0);
  const std::string partial = path + ".partial";
  H5Id file(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose);
  if (!file.valid()) return IoError(partial + ": cannot create archive");
  return std::unique_ptr<ArchiveWriter>(new ArchiveWriter(path, std::move(file)));
}

Status ArchiveWriter::CreatePayloadDataset(uint64_t chunk_bytes, bool extendible) {
  // A payload written in one go is a single chunk of fixed extent: HDF5 then
  // needs no chunk index (saves about 2 KiB per archive).
  const hsize_t dims[1] = {extendible ? 0 : chunk_bytes};
  const hsize_t max_dims[1] = {extendible ? H5S_UNLIMITED : chunk_bytes};
  H5Id space(H5Screate_simple(1, dims, max_dims), H5Sclose);
  H5Id dcpl = CreationProperties(H5P_DATASET_CREATE);
  const hsize_t chunk_dims[1] = {chunk_bytes};
  H5Pset_chunk(dcpl.get(), 1, chunk_dims);
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
  // A chunk cache that holds the whole chunk: libhdf5 1.10 silently drops
  // the write of a single-chunk dataset's chunk when it is larger than the
  // cache (1 MiB by default).
  H5Id dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, chunk_bytes + 1, 1.0);
  payload_ = H5Id(H5Dcreate2(file_.get(), "payload", H5T_STD_U8LE, space.get(), H5P_DEFAULT,
                             dcpl.get(), dapl.get()),
                  H5Dclose);
  if (!payload_.valid()) return H5Error("create /payload");
  return Status::Ok();
}

Status ArchiveWriter::FlushPayload() {
  if (pending_.empty()) return Status::Ok();
  const hsize_t new_size[1] = {written_size_ + pending_.size()};
  H5Id current_space(H5Dget_space(payload_.get()), H5Sclose);
  hsize_t current_size[1] = {0};
  H5Sget_simple_extent_dims(current_space.get(), current_size, nullptr);
  if (current_size[0] != new_size[0] && H5Dset_extent(payload_.get(), new_size) < 0) {
    return H5Error("extend /payload");
  }
  H5Id file_space(H5Dget_space(payload_.get()), H5Sclose);
  const hsize_t start[1] = {written_size_};
  const hsize_t count[1] = {pending_.size()};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  H5Id mem_space(H5Screate_simple(1, count, nullptr), H5Sclose);
  if (H5Dwrite(payload_.get(), H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT,
               pending_.data()) < 0) {
    return H5Error("write /payload");
  }
  written_size_ += pending_.size();
  pending_.clear();
  return Status::Ok();
}

StatusOr<uint64_t> ArchiveWriter::AppendRecord(std::span<const uint8_t> record) {
  const uint64_t offset = payload_size_;
  pending_.insert(pending_.end(), record.begin(), record.end());
  payload_size_ += record.size();
  if (pending_.size() >= kPayloadBufferBytes) {
    if (!payload_.valid()) {
      RETURN_IF_ERROR(CreatePayloadDataset(kLargePayloadChunkBytes, /*extendible=*/true));
    }
    RETURN_IF_ERROR(FlushPayload());
  }
  return offset;
}

Status ArchiveWriter::Finish(const std::vector<FileEntry>& entries,
                             const std::vector<ChunkRow>& chunks,
                             const ArchiveAttributes& attributes, const ArrayTables& arrays) {
  if (!payload_.valid()) {
    RETURN_IF_ERROR(
        CreatePayloadDataset(std::max<uint64_t>(payload_size_, 1), /*extendible=*/payload_size_ == 0));
  }
  RETURN_IF_ERROR(FlushPayload());
  payload_.Reset();

  const FileTable files = EntriesToTable(entries);
  const hid_t root = file_.get();
  RETURN_IF_ERROR(WriteTableDataset(root, "files", FileRowFileType().get(),
                                    FileRowMemType().get(), files.rows.size(), files.rows.data()));
  RETURN_IF_ERROR(WriteTableDataset(root, "names", H5T_STD_U8LE, H5T_NATIVE_UINT8,
                                    files.names.size(), files.names.data()));
  RETURN_IF_ERROR(WriteTableDataset(root, "chunks", ChunkRowFileType().get(),
                                    ChunkRowMemType().get(), chunks.size(), chunks.data()));
  if (!arrays.empty()) {
    RETURN_IF_ERROR(WriteTableDataset(root, "datasets", DatasetRowFileType().get(),
                                      DatasetRowMemType().get(), arrays.datasets.size(),
                                      arrays.datasets.data()));
    RETURN_IF_ERROR(WriteTableDataset(root, "dataset_names", H5T_STD_U8LE, H5T_NATIVE_UINT8,
                                      arrays.names.size(), arrays.names.data()));
    RETURN_IF_ERROR(WriteTableDataset(root, "array_chunks", ArrayChunkRowFileType().get(),
                                      ArrayChunkRowMemType().get(), arrays.chunks.size(),
                                      arrays.chunks.data()));
  }

  const uint32_t format_version = 1;
  RETURN_IF_ERROR(WriteScalarAttribute(root, "lmarc_format_version", H5T_STD_U32LE,
                                       H5T_NATIVE_UINT32, &format_version));
  RETURN_IF_ERROR(WriteStringAttribute(root, "lmarc_version", kLmarcVersion));
  RETURN_IF_ERROR(WriteStringAttribute(root, "codecs", attributes.codecs));
  RETURN_IF_ERROR(WriteStringAttribute(root, "models", attributes.models));
  RETURN_IF_ERROR(WriteScalarAttribute(root, "chunk_size", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                                       &attributes.chunk_size));
  const uint64_t checksum = TableChecksum(files, chunks, arrays);
  RETURN_IF_ERROR(WriteScalarAttribute(root, "table_checksum", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                                       &checksum));
  const uint8_t complete = 1;  // completion marker: always the last object written
  RETURN_IF_ERROR(
      WriteScalarAttribute(root, "complete", H5T_STD_U8LE, H5T_NATIVE_UINT8, &complete));

  if (H5Fflush(root, H5F_SCOPE_GLOBAL) < 0) return H5Error("flush " + partial_path_);
  file_.Reset();
  if (std::rename(partial_path_.c_str(), path_.c_str()) != 0) {
    return ErrnoError(path_ + ": rename", errno);
  }
  finished_ = true;
  return Status::Ok();
}

}  // namespace lmarc
