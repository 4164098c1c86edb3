#include "io/dataset_slab.h"

#include <hdf5.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "io/h5_handle.h"
#include "model/array/deflated_array_codec.h"

namespace lmarc {
namespace {

bool ParseIndex(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  *out = 0;
  for (char c : text) *out = *out * 10 + static_cast<uint64_t>(c - '0');
  return true;
}

// The HDF5 file type of a dataset's stored elements.
H5Id StoredType(const DatasetRow& dataset) {
  return Hdf5ElementType(static_cast<array::DType>(dataset.dtype),
                         static_cast<array::ByteOrder>(dataset.byte_order));
}

}  // namespace

H5Id Hdf5ElementType(array::DType dtype, array::ByteOrder order) {
  const bool big = order == array::ByteOrder::kBig;
  hid_t base = H5T_STD_U8LE;
  switch (dtype) {
    case array::DType::kF32: base = big ? H5T_IEEE_F32BE : H5T_IEEE_F32LE; break;
    case array::DType::kF64: base = big ? H5T_IEEE_F64BE : H5T_IEEE_F64LE; break;
    case array::DType::kI8: base = big ? H5T_STD_I8BE : H5T_STD_I8LE; break;
    case array::DType::kI16: base = big ? H5T_STD_I16BE : H5T_STD_I16LE; break;
    case array::DType::kI24:  // an I32 cut to 3 bytes of 24 bits below
    case array::DType::kI32: base = big ? H5T_STD_I32BE : H5T_STD_I32LE; break;
    case array::DType::kI64: base = big ? H5T_STD_I64BE : H5T_STD_I64LE; break;
    case array::DType::kU8: base = big ? H5T_STD_U8BE : H5T_STD_U8LE; break;
    case array::DType::kU16: base = big ? H5T_STD_U16BE : H5T_STD_U16LE; break;
    case array::DType::kU32: base = big ? H5T_STD_U32BE : H5T_STD_U32LE; break;
    case array::DType::kU64: base = big ? H5T_STD_U64BE : H5T_STD_U64LE; break;
  }
  H5Id type(H5Tcopy(base), H5Tclose);
  if (dtype == array::DType::kI24 && type.valid()) {
    H5Tset_precision(type.get(), 24);
    H5Tset_size(type.get(), 3);
  }
  return type;
}

uint64_t Slab::Elements() const {
  uint64_t elements = 1;
  for (uint64_t c : count) elements *= c;
  return elements;
}

StatusOr<Slab> ParseSlab(std::string_view text, std::span<const uint64_t> shape) {
  Slab slab;
  if (text.empty()) {
    slab.start.assign(shape.size(), 0);
    slab.count.assign(shape.begin(), shape.end());
    return slab;
  }
  size_t at = 0;
  for (size_t d = 0; at <= text.size(); ++d) {
    const size_t end = std::min(text.find(',', at), text.size());
    const std::string_view part = text.substr(at, end - at);
    at = end + 1;
    if (d >= shape.size()) {
      return InvalidArgument("--slab has more than the dataset's " + std::to_string(shape.size()) +
                             " dimensions");
    }
    uint64_t lo = 0, hi = shape[d];
    const size_t colon = part.find(':');
    bool ok = true;
    if (colon == std::string_view::npos) {
      ok = ParseIndex(part, &lo);
      hi = lo + 1;
    } else {
      const std::string_view a = part.substr(0, colon), b = part.substr(colon + 1);
      ok = (a.empty() || ParseIndex(a, &lo)) && (b.empty() || ParseIndex(b, &hi));
    }
    if (!ok || lo >= hi || hi > shape[d]) {
      return InvalidArgument("--slab part '" + std::string(part) + "' (dimension " +
                             std::to_string(d) + ") is not a non-empty interval of [0, " +
                             std::to_string(shape[d]) + ")");
    }
    slab.start.push_back(lo);
    slab.count.push_back(hi - lo);
  }
  if (slab.start.size() != shape.size()) {
    return InvalidArgument("--slab gives " + std::to_string(slab.start.size()) +
                           " dimensions, the dataset has " + std::to_string(shape.size()));
  }
  return slab;
}

StatusOr<uint64_t> FindDataset(const ArrayTables& tables, const std::vector<FileEntry>& entries,
                               std::string_view spec) {
  const size_t colon = spec.find(':');
  const std::string_view file = spec.substr(0, colon);
  const std::string_view name = colon == std::string_view::npos ? "" : spec.substr(colon + 1);
  std::string known;
  for (size_t i = 0; i < tables.datasets.size(); ++i) {
    const DatasetRow& row = tables.datasets[i];
    if (entries[row.entry].path != file) continue;
    const std::string row_name = tables.Name(row);
    if (row_name == name) return i;
    known += (known.empty() ? "" : ", ") + (row_name.empty() ? std::string("(raw array)") : row_name);
  }
  return NotFound("--dataset " + std::string(spec) + ": no such typed dataset in the archive" +
                  (known.empty() ? " (none in " + std::string(file) + ")"
                                 : " (" + std::string(file) + " has " + known + ")"));
}

StatusOr<std::vector<size_t>> ChunksForSlab(const ArrayTables& tables, uint64_t dataset,
                                            const Slab& slab) {
  const size_t rank = slab.start.size();
  std::vector<size_t> rows;
  uint64_t covered = 0;  // elements of the slab inside the boxes (boxes never overlap)
  for (size_t i = 0; i < tables.chunks.size(); ++i) {
    const ArrayChunkRow& box = tables.chunks[i];
    if (box.dataset != dataset) continue;
    uint64_t volume = 1;
    for (size_t d = 0; d < rank && volume > 0; ++d) {
      const uint64_t lo = std::max(box.start[d], slab.start[d]);
      const uint64_t hi = std::min(box.start[d] + box.count[d], slab.start[d] + slab.count[d]);
      volume = hi > lo ? volume * (hi - lo) : 0;
    }
    if (volume == 0) continue;
    rows.push_back(i);
    covered += volume;
  }
  if (covered != slab.Elements()) {
    return NotFound("--slab: " + std::to_string(slab.Elements() - std::min(covered, slab.Elements())) +
                    " of its elements are not in typed chunks (tiles through other filters, "
                    "unallocated or small parts of the dataset are stored as bytes; use decompress)");
  }
  return rows;
}

Status UnfilterBox(const DatasetRow& dataset, const ArrayChunkRow& box, std::vector<uint8_t>* bytes) {
  const auto filter = static_cast<ArrayFilter>(dataset.filter);
  if (filter == ArrayFilter::kNone) return Status::Ok();
  const uint64_t expected = BoxBytes(dataset, box);  // <= kMaxChunkSize (validated)
  std::vector<uint8_t> inflated(expected);
  uLongf size = static_cast<uLongf>(expected);
  const int result = uncompress(inflated.data(), &size, bytes->data(), static_cast<uLong>(bytes->size()));
  // Z_BUF_ERROR: the output buffer filled before the stream ended.
  if (result == Z_BUF_ERROR) {
    return Corrupt("deflate stream inflates to more than its box's " + std::to_string(expected) + " bytes");
  }
  if (result != Z_OK) {
    return Corrupt("deflate stream does not inflate (zlib error " + std::to_string(result) + ")");
  }
  if (size != expected) {
    return Corrupt("deflate stream inflates to " + std::to_string(size) + " bytes, not its box's " +
                   std::to_string(expected));
  }
  if (filter == ArrayFilter::kShuffleDeflate) {
    bytes->resize(inflated.size());
    array::Unshuffle(inflated, array::ElementBytes(static_cast<array::DType>(dataset.dtype)), *bytes);
  } else {
    *bytes = std::move(inflated);
  }
  return Status::Ok();
}

void CopyIntersection(const ArrayChunkRow& box, size_t rank, size_t element,
                      std::span<const uint8_t> box_bytes, const Slab& slab,
                      std::span<uint8_t> slab_bytes) {
  std::vector<uint64_t> lo(rank), hi(rank);
  for (size_t d = 0; d < rank; ++d) {
    lo[d] = std::max(box.start[d], slab.start[d]);
    hi[d] = std::min(box.start[d] + box.count[d], slab.start[d] + slab.count[d]);
    if (hi[d] <= lo[d]) return;
  }
  // Walk the intersection row by row (the last dimension is contiguous).
  std::vector<uint64_t> at = lo;
  const size_t row_bytes = static_cast<size_t>(hi[rank - 1] - lo[rank - 1]) * element;
  for (;;) {
    uint64_t box_index = 0, slab_index = 0;
    for (size_t d = 0; d < rank; ++d) {
      box_index = box_index * box.count[d] + (at[d] - box.start[d]);
      slab_index = slab_index * slab.count[d] + (at[d] - slab.start[d]);
    }
    std::copy_n(box_bytes.begin() + static_cast<ptrdiff_t>(box_index * element), row_bytes,
                slab_bytes.begin() + static_cast<ptrdiff_t>(slab_index * element));
    size_t d = rank - 1;
    while (d-- > 0) {
      if (++at[d] < hi[d]) break;
      at[d] = lo[d];
    }
    if (d == static_cast<size_t>(-1)) return;
  }
}

Status WriteSlabHdf5(const std::string& path, bool overwrite, const std::string& name,
                     const DatasetRow& dataset, const Slab& slab, std::span<const uint8_t> bytes) {
  struct stat st;
  if (!overwrite && lstat(path.c_str(), &st) == 0) {
    return AlreadyExists(path + ": already exists (use -f to overwrite)");
  }
  SilenceHdf5Errors();
  const std::string partial = path + ".partial";
  const std::string dataset_name = name.empty() ? "array" : name;
  {
    H5Id file(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) return IoError(partial + ": cannot create HDF5 file");
    std::vector<hsize_t> dims(slab.count.begin(), slab.count.end());
    H5Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    const H5Id type = StoredType(dataset);
    H5Id out(H5Dcreate2(file.get(), dataset_name.c_str(), type.get(), space.get(),
                        H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             H5Dclose);
    // Memory type = file type: the stored bytes go in unconverted.
    if (!out.valid() ||
        H5Dwrite(out.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0 ||
        H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) {
      std::remove(partial.c_str());
      return IoError(partial + ": cannot write dataset " + dataset_name);
    }
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    std::remove(partial.c_str());
    return ErrnoError(path + ": rename", errno);
  }
  return Status::Ok();
}

}  // namespace lmarc
