#include "io/archive_reader.h"

#include <sys/stat.h>

#include <algorithm>

#include "io/archive_tables.h"

namespace lmarc {
namespace {

// Upper bound on rows read from a table: a hostile extent must not make us
// allocate more than the file could hold.
Status CheckTableExtent(hsize_t rows, size_t row_bytes, uint64_t file_bytes, const char* name) {
  if (rows > file_bytes / std::max<size_t>(row_bytes, 1) + 1) {
    return Corrupt(std::string("/") + name + " claims more rows than the file holds");
  }
  return Status::Ok();
}

StatusOr<H5Id> OpenDataset(hid_t file, const char* name, int expected_rank, hsize_t* extent) {
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
    return Corrupt(std::string("missing dataset /") + name);
  }
  H5Id dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) return Corrupt(std::string("cannot open /") + name);
  H5Id space(H5Dget_space(dataset.get()), H5Sclose);
  if (H5Sget_simple_extent_ndims(space.get()) != expected_rank) {
    return Corrupt(std::string("/") + name + " has the wrong rank");
  }
  H5Sget_simple_extent_dims(space.get(), extent, nullptr);
  return dataset;
}

template <typename Row>
Status ReadTable(hid_t file, const char* name, hid_t mem_type, uint64_t file_bytes,
                 std::vector<Row>* rows) {
  hsize_t extent = 0;
  ASSIGN_OR_RETURN(H5Id dataset, OpenDataset(file, name, 1, &extent));
  H5Id file_type(H5Dget_type(dataset.get()), H5Tclose);
  RETURN_IF_ERROR(CheckTableExtent(extent, H5Tget_size(file_type.get()), file_bytes, name));
  rows->resize(extent);
  if (extent > 0 &&
      H5Dread(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows->data()) < 0) {
    return Corrupt(std::string("cannot read /") + name);
  }
  return Status::Ok();
}

// Whether /datasets has the `filter` member (§2.5): archives written before
// it lack it.
StatusOr<bool> DatasetsHaveFilter(hid_t file) {
  hsize_t extent = 0;
  ASSIGN_OR_RETURN(H5Id dataset, OpenDataset(file, "datasets", 1, &extent));
  H5Id type(H5Dget_type(dataset.get()), H5Tclose);
  return H5Tget_class(type.get()) == H5T_COMPOUND && H5Tget_member_index(type.get(), "filter") >= 0;
}

bool HasAttribute(hid_t object, const char* name) { return H5Aexists(object, name) > 0; }

Status ReadUintAttribute(hid_t object, const char* name, hid_t mem_type, void* value) {
  if (!HasAttribute(object, name)) return Corrupt(std::string("missing attribute ") + name);
  H5Id attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Aread(attr.get(), mem_type, value) < 0) {
    return Corrupt(std::string("unreadable attribute ") + name);
  }
  return Status::Ok();
}

Status ReadStringAttribute(hid_t object, const char* name, std::string* value) {
  if (!HasAttribute(object, name)) return Corrupt(std::string("missing attribute ") + name);
  H5Id attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) {
    return Corrupt(std::string("attribute ") + name + " is not a fixed string");
  }
  const size_t size = H5Tget_size(type.get());
  if (size > (1u << 20)) return Corrupt(std::string("attribute ") + name + " too long");
  std::string buffer(size, '\0');
  if (H5Aread(attr.get(), type.get(), buffer.data()) < 0) {
    return Corrupt(std::string("unreadable attribute ") + name);
  }
  buffer.resize(std::find(buffer.begin(), buffer.end(), '\0') - buffer.begin());
  *value = std::move(buffer);
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(const std::string& path,
                                                             const CodecRegistry* registry) {
  SilenceHdf5Errors();
  std::unique_ptr<ArchiveReader> reader(new ArchiveReader(path, registry));
  RETURN_IF_ERROR(reader->Load().WithContext(path));
  return reader;
}

Status ArchiveReader::Load() {
  uint64_t file_bytes = 0;
  ASSIGN_OR_RETURN(file_, OpenHdf5ReadOnly(path_, &file_bytes));
  const hid_t root = file_.get();
  if (!HasAttribute(root, "lmarc_format_version")) return Corrupt("not an lmarc archive");
  uint32_t version = 0;
  RETURN_IF_ERROR(ReadUintAttribute(root, "lmarc_format_version", H5T_NATIVE_UINT32, &version));
  if (version > kFormatVersion) {
    return Unsupported("archive format version " + std::to_string(version) +
                       " is newer than this lmarc reads (" + std::to_string(kFormatVersion) + ")");
  }
  if (version == 0) return Corrupt("invalid format version 0");
  uint8_t complete = 0;
  if (!HasAttribute(root, "complete")) return Corrupt("archive is incomplete (no completion marker)");
  RETURN_IF_ERROR(ReadUintAttribute(root, "complete", H5T_NATIVE_UINT8, &complete));
  if (complete != 1) return Corrupt("archive is incomplete");
  RETURN_IF_ERROR(ReadStringAttribute(root, "codecs", &attributes_.codecs));
  RETURN_IF_ERROR(ReadStringAttribute(root, "models", &attributes_.models));
  RETURN_IF_ERROR(ReadUintAttribute(root, "chunk_size", H5T_NATIVE_UINT64, &attributes_.chunk_size));
  uint64_t stored_checksum = 0;
  RETURN_IF_ERROR(ReadUintAttribute(root, "table_checksum", H5T_NATIVE_UINT64, &stored_checksum));

  FileTable files;
  RETURN_IF_ERROR(ReadTable(root, "files", FileRowMemType().get(), file_bytes, &files.rows));
  RETURN_IF_ERROR(ReadTable(root, "names", H5T_NATIVE_UINT8, file_bytes, &files.names));
  RETURN_IF_ERROR(ReadTable(root, "chunks", ChunkRowMemType().get(), file_bytes, &chunks_));
  if (H5Lexists(root, "array_chunks", H5P_DEFAULT) > 0) {  // §2.5: all three or none
    ASSIGN_OR_RETURN(arrays_.has_filter, DatasetsHaveFilter(root));
    RETURN_IF_ERROR(ReadTable(root, "datasets", DatasetRowMemType(arrays_.has_filter).get(), file_bytes,
                              &arrays_.datasets));
    RETURN_IF_ERROR(ReadTable(root, "dataset_names", H5T_NATIVE_UINT8, file_bytes, &arrays_.names));
    RETURN_IF_ERROR(ReadTable(root, "array_chunks", ArrayChunkRowMemType().get(), file_bytes, &arrays_.chunks));
    if (arrays_.chunks.empty()) return Corrupt("/array_chunks is empty");
  }
  if (TableChecksum(files, chunks_, arrays_) != stored_checksum) return Corrupt("table checksum mismatch");
  ASSIGN_OR_RETURN(entries_, TableToEntries(files));
  RETURN_IF_ERROR(ValidateArrayTables(arrays_, entries_, chunks_));
  stream_size_ = StreamSize(entries_);

  hsize_t payload_extent = 0;
  ASSIGN_OR_RETURN(payload_, OpenDataset(root, "payload", 1, &payload_extent));
  payload_size_ = payload_extent;
  uint64_t model_count = 0;  // space-separated ids
  for (size_t at = 0; at < attributes_.models.size();) {
    const size_t end = std::min(attributes_.models.find(' ', at), attributes_.models.size());
    model_count += end > at ? 1 : 0;
    at = end + 1;
  }
  return ValidateChunkTable(chunks_, stream_size_, payload_size_, entries_.size(), model_count);
}

Status ArchiveReader::ChunkError(uint64_t chunk, const Status& status) const {
  return status.WithContext(path_ + ": chunk " + std::to_string(chunk));
}

Status ArchiveReader::ReadRecord(uint64_t chunk, std::vector<uint8_t>* record) {
  if (chunk >= chunks_.size()) {
    return NotFound(path_ + ": chunk " + std::to_string(chunk) + ": no such chunk (archive has " +
                    std::to_string(chunks_.size()) + ")");
  }
  const ChunkRow& row = chunks_[chunk];
  record->resize(row.payload_size);
  H5Id file_space(H5Dget_space(payload_.get()), H5Sclose);
  const hsize_t start[1] = {row.payload_offset};
  const hsize_t count[1] = {row.payload_size};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  H5Id mem_space(H5Screate_simple(1, count, nullptr), H5Sclose);
  if (H5Dread(payload_.get(), H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT,
              record->data()) < 0) {
    return ChunkError(chunk, IoError("cannot read payload (truncated or damaged file)"));
  }
  return ChunkError(chunk, CheckChunkRecord(chunk, row, *record));
}

Status ArchiveReader::DecodeRecord(uint64_t chunk, const std::vector<uint8_t>& record,
                                   std::vector<uint8_t>* raw) const {
  ++chunks_decoded_;
  // ReadRecord checked the record: only decode and check the raw bytes.
  return ChunkError(chunk, DecodeCheckedRecord(*registry_, chunks_[chunk], record, raw));
}


Status ArchiveReader::DecodeRecords(std::span<const uint64_t> chunks,
                                    std::span<const std::vector<uint8_t>> records,
                                    std::vector<std::vector<uint8_t>>* raws) const {
  chunks_decoded_ += chunks.size();
  std::vector<ChunkRow> rows;
  for (uint64_t chunk : chunks) rows.push_back(chunks_[chunk]);
  size_t failed = 0;
  const Status status = DecodeCheckedRecords(*registry_, rows, records, raws, &failed);
  return status.ok() ? status : ChunkError(chunks[failed], status);
}

std::pair<uint64_t, uint64_t> ArchiveReader::ChunksForRange(uint64_t offset,
                                                            uint64_t length) const {
  if (length == 0) return {0, 0};
  const auto by_end = [](const ChunkRow& c, uint64_t pos) {
    return c.stream_offset + c.raw_size <= pos;
  };
  const auto first = std::lower_bound(chunks_.begin(), chunks_.end(), offset, by_end);
  // The chunk holding the range's last byte ends after it.
  const auto last = std::lower_bound(first, chunks_.end(), offset + length - 1, by_end);
  const uint64_t first_index = first - chunks_.begin();
  const uint64_t end_index = std::min<uint64_t>(last - chunks_.begin() + 1, chunks_.size());
  return {first_index, std::max(first_index, end_index)};
}

}  // namespace lmarc
