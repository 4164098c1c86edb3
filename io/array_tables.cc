#include "io/array_tables.h"

#include <cstddef>
#include <map>
#include <utility>

#include "src/byte_order.h"
#include "src/chunk_plan.h"

namespace lmarc {
namespace {

H5Id ExtentsFileType() {
  const hsize_t dims[1] = {array::kMaxRank};
  return H5Id(H5Tarray_create2(H5T_STD_U64LE, 1, dims), H5Tclose);
}

H5Id ExtentsMemType() {
  const hsize_t dims[1] = {array::kMaxRank};
  return H5Id(H5Tarray_create2(H5T_NATIVE_UINT64, 1, dims), H5Tclose);
}

Status RowError(const char* table, size_t row, const std::string& what) {
  return Corrupt(std::string("/") + table + " row " + std::to_string(row) + ": " + what);
}

ArrayFilter FilterOf(const TypedRegion& region) {
  if (!region.deflated()) return ArrayFilter::kNone;
  return region.shuffle ? ArrayFilter::kShuffleDeflate : ArrayFilter::kDeflate;
}

}  // namespace

std::string ArrayTables::Name(const DatasetRow& row) const {
  return std::string(reinterpret_cast<const char*>(names.data() + row.name_offset), row.name_size);
}

ArrayTables BuildArrayTables(const ChunkSource& source) {
  ArrayTables tables;
  std::map<std::pair<uint64_t, std::string>, uint64_t> dataset_rows;
  std::vector<uint64_t> start, count;
  for (uint64_t chunk = 0; chunk < source.plan.size(); ++chunk) {
    const TypedRegion* region = source.Region(chunk);
    if (region == nullptr) continue;
    const PlannedChunk& planned = source.plan[chunk];
    ChunkBox(*region, source.chunk_size, planned.first_unit, planned.raw_size, &start, &count);
    const uint8_t filter = static_cast<uint8_t>(FilterOf(*region));
    // A deflated chunk is one whole tile, its inflated bytes bounded like a
    // chunk's (the region's layout is validated: no overflow).
    uint64_t box_bytes = array::ElementBytes(region->layout.dtype);
    for (uint64_t extent : count) box_bytes *= extent;
    if (filter != 0 && box_bytes > kMaxChunkSize) continue;
    const auto key = std::make_pair(region->entry, region->dataset);
    auto [found, inserted] = dataset_rows.emplace(key, tables.datasets.size());
    if (inserted) {
      DatasetRow row;
      row.entry = region->entry;
      row.name_offset = tables.names.size();
      row.name_size = static_cast<uint32_t>(region->dataset.size());
      tables.names.insert(tables.names.end(), region->dataset.begin(), region->dataset.end());
      row.dtype = static_cast<uint8_t>(region->layout.dtype);
      row.byte_order = static_cast<uint8_t>(region->layout.byte_order);
      row.rank = static_cast<uint8_t>(region->dataset_shape.size());
      for (size_t d = 0; d < region->dataset_shape.size(); ++d) row.shape[d] = region->dataset_shape[d];
      row.filter = filter;
      tables.datasets.push_back(row);
    }
    if (tables.datasets[found->second].filter != filter) continue;  // one filter per row
    ArrayChunkRow row;
    row.chunk = chunk;
    row.dataset = found->second;
    for (size_t d = 0; d < start.size(); ++d) {
      row.start[d] = start[d];
      row.count[d] = count[d];
    }
    tables.chunks.push_back(row);
  }
  return tables;
}

uint64_t BoxBytes(const DatasetRow& dataset, const ArrayChunkRow& box) {
  uint64_t bytes = array::ElementBytes(static_cast<array::DType>(dataset.dtype));
  for (size_t d = 0; d < dataset.rank; ++d) bytes *= box.count[d];
  return bytes;
}

Status ValidateArrayTables(const ArrayTables& tables, const std::vector<FileEntry>& entries,
                           const std::vector<ChunkRow>& chunks) {
  for (size_t i = 0; i < tables.datasets.size(); ++i) {
    const DatasetRow& row = tables.datasets[i];
    if (row.entry >= entries.size() || entries[row.entry].kind != EntryKind::kRegular) {
      return RowError("datasets", i, "entry is not a regular file of /files");
    }
    if (row.name_offset > tables.names.size() || row.name_size > tables.names.size() - row.name_offset) {
      return RowError("datasets", i, "name lies outside /dataset_names");
    }
    if (row.dtype >= array::kDTypeCount || row.byte_order > 1 || row.filter >= kArrayFilterCount) {
      return RowError("datasets", i, "unknown element type, byte order or filter");
    }
    if (row.rank < 1 || row.rank > array::kMaxRank) return RowError("datasets", i, "rank outside 1..8");
    for (size_t d = 0; d < array::kMaxRank; ++d) {
      if ((d < row.rank) != (row.shape[d] > 0)) {
        return RowError("datasets", i, "extents must be >= 1 within the rank and 0 beyond");
      }
    }
  }
  for (size_t i = 0; i < tables.chunks.size(); ++i) {
    const ArrayChunkRow& row = tables.chunks[i];
    if (row.chunk >= chunks.size() || (i > 0 && row.chunk <= tables.chunks[i - 1].chunk)) {
      return RowError("array_chunks", i, "chunk ids must be increasing chunks of /chunks");
    }
    if (row.dataset >= tables.datasets.size()) return RowError("array_chunks", i, "unknown dataset");
    const DatasetRow& dataset = tables.datasets[row.dataset];
    // Element count of the box, without overflow: the chunk's raw size bounds
    // it, or for a filtered (deflated) chunk the largest chunk.
    const bool filtered = dataset.filter != static_cast<uint8_t>(ArrayFilter::kNone);
    const uint64_t element = array::ElementBytes(static_cast<array::DType>(dataset.dtype));
    uint64_t elements = 1;
    const uint64_t limit = (filtered ? kMaxChunkSize : chunks[row.chunk].raw_size) / element;
    for (size_t d = 0; d < array::kMaxRank; ++d) {
      const bool inside = d < dataset.rank;
      if (inside ? (row.count[d] == 0 || row.start[d] >= dataset.shape[d] || row.count[d] > limit)
                 : (row.count[d] != 0 || row.start[d] != 0)) {
        return RowError("array_chunks", i, "box outside its dataset's rank or extents");
      }
      if (inside) {
        if (elements > limit / row.count[d]) return RowError("array_chunks", i, "box larger than its chunk");
        elements *= row.count[d];
      }
    }
    if (!filtered && elements * element != chunks[row.chunk].raw_size) {
      return RowError("array_chunks", i, "box does not match its chunk's raw size");
    }
  }
  return Status::Ok();
}

void AppendArrayTables(const ArrayTables& tables, std::vector<uint8_t>* out) {
  for (const DatasetRow& row : tables.datasets) {
    AppendLe64(row.entry, out);
    AppendLe64(row.name_offset, out);
    AppendLe32(row.name_size, out);
    out->push_back(row.dtype);
    out->push_back(row.byte_order);
    out->push_back(row.rank);
    for (uint64_t extent : row.shape) AppendLe64(extent, out);
    if (tables.has_filter) out->push_back(row.filter);
  }
  out->insert(out->end(), tables.names.begin(), tables.names.end());
  for (const ArrayChunkRow& row : tables.chunks) {
    AppendLe64(row.chunk, out);
    AppendLe64(row.dataset, out);
    for (uint64_t v : row.start) AppendLe64(v, out);
    for (uint64_t v : row.count) AppendLe64(v, out);
  }
}

H5Id DatasetRowFileType() {
  H5Id extents = ExtentsFileType();
  return CompoundBuilder(8 + 8 + 4 + 3 + 8 * array::kMaxRank + 1)  // the packed fields
      .Next("entry", H5T_STD_U64LE)
      .Next("name_offset", H5T_STD_U64LE)
      .Next("name_size", H5T_STD_U32LE)
      .Next("dtype", H5T_STD_U8LE)
      .Next("byte_order", H5T_STD_U8LE)
      .Next("rank", H5T_STD_U8LE)
      .Next("shape", extents.get())
      .Next("filter", H5T_STD_U8LE)
      .Build();
}

H5Id DatasetRowMemType(bool with_filter) {
  H5Id extents = ExtentsMemType();
  CompoundBuilder builder(sizeof(DatasetRow));
  builder.Add("entry", offsetof(DatasetRow, entry), H5T_NATIVE_UINT64)
      .Add("name_offset", offsetof(DatasetRow, name_offset), H5T_NATIVE_UINT64)
      .Add("name_size", offsetof(DatasetRow, name_size), H5T_NATIVE_UINT32)
      .Add("dtype", offsetof(DatasetRow, dtype), H5T_NATIVE_UINT8)
      .Add("byte_order", offsetof(DatasetRow, byte_order), H5T_NATIVE_UINT8)
      .Add("rank", offsetof(DatasetRow, rank), H5T_NATIVE_UINT8)
      .Add("shape", offsetof(DatasetRow, shape), extents.get());
  if (with_filter) builder.Add("filter", offsetof(DatasetRow, filter), H5T_NATIVE_UINT8);
  return builder.Build();
}

H5Id ArrayChunkRowFileType() {
  H5Id extents = ExtentsFileType();
  return CompoundBuilder(8 + 8 + 2 * 8 * array::kMaxRank)
      .Next("chunk", H5T_STD_U64LE)
      .Next("dataset", H5T_STD_U64LE)
      .Next("start", extents.get())
      .Next("count", extents.get())
      .Build();
}

H5Id ArrayChunkRowMemType() {
  H5Id extents = ExtentsMemType();
  return CompoundBuilder(sizeof(ArrayChunkRow))
      .Add("chunk", offsetof(ArrayChunkRow, chunk), H5T_NATIVE_UINT64)
      .Add("dataset", offsetof(ArrayChunkRow, dataset), H5T_NATIVE_UINT64)
      .Add("start", offsetof(ArrayChunkRow, start), extents.get())
      .Add("count", offsetof(ArrayChunkRow, count), extents.get())
      .Build();
}

}  // namespace lmarc
