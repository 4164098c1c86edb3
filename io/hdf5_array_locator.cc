#include "io/hdf5_array_locator.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

#include "io/h5_handle.h"

namespace lmarc {
namespace {

// Capacity for a filter's client data values and name; longer ones are
// truncated (they only describe filters lmarc does not model).
constexpr size_t kMaxFilterParameters = 16;
constexpr size_t kMaxFilterNameBytes = 64;

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

// IEEE 754 binary32/binary64 bit fields as H5Tget_fields reports them.
struct FloatFields {
  size_t sign_position, exponent_position, exponent_bits, mantissa_position, mantissa_bits;
  bool operator==(const FloatFields&) const = default;
};
constexpr FloatFields kIeeeBinary32 = {31, 23, 8, 0, 23};
constexpr FloatFields kIeeeBinary64 = {63, 52, 11, 0, 52};

// Sets layout->dtype and byte_order from the HDF5 datatype `type`; returns
// why it is not a plain integer or IEEE float ("" when it is).
std::string DescribeElementType(hid_t type, array::ArrayLayout* layout) {
  const H5T_class_t type_class = H5Tget_class(type);
  const size_t bytes = H5Tget_size(type);
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT) {
    return "type class " + std::to_string(static_cast<int>(type_class)) +
           " is not integer or float";
  }
  const H5T_order_t order = H5Tget_order(type);
  if (order == H5T_ORDER_LE || (order == H5T_ORDER_NONE && bytes == 1)) {
    layout->byte_order = array::ByteOrder::kLittle;
  } else if (order == H5T_ORDER_BE) {
    layout->byte_order = array::ByteOrder::kBig;
  } else {
    return "byte order " + std::to_string(static_cast<int>(order)) + " is not little or big";
  }
  if (type_class == H5T_FLOAT) {
    FloatFields fields{};
    if (H5Tget_fields(type, &fields.sign_position, &fields.exponent_position,
                      &fields.exponent_bits, &fields.mantissa_position,
                      &fields.mantissa_bits) < 0 ||
        H5Tget_offset(type) != 0 || H5Tget_precision(type) != 8 * bytes) {
      return "float type cannot be inspected";
    }
    if (bytes == 4 && fields == kIeeeBinary32) {
      layout->dtype = array::DType::kF32;
    } else if (bytes == 8 && fields == kIeeeBinary64) {
      layout->dtype = array::DType::kF64;
    } else {
      return std::to_string(bytes) + "-byte float is not IEEE binary32/binary64";
    }
    return "";
  }
  // Integers of any precision: the codec keeps every bit of the container.
  const H5T_sign_t sign = H5Tget_sign(type);
  if (sign != H5T_SGN_NONE && sign != H5T_SGN_2) return "integer sign cannot be inspected";
  const bool is_signed = sign == H5T_SGN_2;
  switch (bytes) {
    case 1: layout->dtype = is_signed ? array::DType::kI8 : array::DType::kU8; return "";
    case 2: layout->dtype = is_signed ? array::DType::kI16 : array::DType::kU16; return "";
    case 4: layout->dtype = is_signed ? array::DType::kI32 : array::DType::kU32; return "";
    case 8: layout->dtype = is_signed ? array::DType::kI64 : array::DType::kU64; return "";
    default: return std::to_string(bytes) + "-byte integer";
  }
}

// Reads the filter pipeline of a chunked dataset's creation property list.
Status ReadFilters(hid_t dcpl, Hdf5Dataset* dataset) {
  const int count = H5Pget_nfilters(dcpl);
  if (count < 0) return Corrupt("cannot read the filter pipeline");
  for (int i = 0; i < count; ++i) {
    unsigned flags = 0;
    size_t parameter_count = kMaxFilterParameters;
    unsigned parameters[kMaxFilterParameters] = {};
    char name[kMaxFilterNameBytes] = {};
    unsigned config = 0;
    const H5Z_filter_t id = H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &parameter_count,
                                           parameters, sizeof(name), name, &config);
    if (id < 0) return Corrupt("cannot read filter " + std::to_string(i));
    Hdf5Filter filter;
    filter.id = id;
    filter.name.assign(name, strnlen(name, sizeof(name)));
    filter.parameters.assign(parameters, parameters + std::min(parameter_count, kMaxFilterParameters));
    filter.optional = (flags & H5Z_FLAG_OPTIONAL) != 0;
    dataset->filters.push_back(std::move(filter));
  }
  std::vector<int> ids;
  for (const Hdf5Filter& filter : dataset->filters) ids.push_back(filter.id);
  dataset->shuffle = std::find(ids.begin(), ids.end(), kHdf5FilterShuffle) != ids.end();
  for (const Hdf5Filter& filter : dataset->filters) {
    if (filter.id == kHdf5FilterDeflate && !filter.parameters.empty()) {
      dataset->deflate_level = static_cast<int>(filter.parameters[0]);
    }
  }
  static const std::vector<std::vector<int>> kModelable = {
      {}, {kHdf5FilterShuffle}, {kHdf5FilterDeflate}, {kHdf5FilterShuffle, kHdf5FilterDeflate}};
  dataset->filters_modelable = std::find(kModelable.begin(), kModelable.end(), ids) != kModelable.end();
  return Status::Ok();
}

// Checks that [address, address + bytes) is a non-empty range of the file.
Status CheckRange(uint64_t address, uint64_t bytes, uint64_t file_bytes, const std::string& what) {
  if (bytes == 0 || address > file_bytes || bytes > file_bytes - address) {
    return Corrupt(what + " claims bytes [" + std::to_string(address) + ", +" +
                   std::to_string(bytes) + ") outside the file's " + std::to_string(file_bytes) +
                   " bytes");
  }
  return Status::Ok();
}

// What to add to H5Dget_chunk_info's addresses to make them file offsets:
// before HDF5 1.14.4 they are relative to the superblock, i.e. omit the user
// block (HDFGroup/hdf5 issue 3003), unlike H5Dget_offset's.
StatusOr<uint64_t> ChunkAddressBase(hid_t file) {
  unsigned major = 0, minor = 0, release = 0;
  if (H5get_libversion(&major, &minor, &release) < 0) return Internal("no HDF5 library version");
  if (std::tuple(major, minor, release) >= std::tuple(1u, 14u, 4u)) return uint64_t{0};
  H5Id fcpl(H5Fget_create_plist(file), H5Pclose);
  hsize_t userblock_bytes = 0;
  if (!fcpl.valid() || H5Pget_userblock(fcpl.get(), &userblock_bytes) < 0) {
    return Corrupt("cannot read the user block size");
  }
  return uint64_t{userblock_bytes};
}

// Lists the allocated chunks of a chunked dataset (layout, chunk_shape and
// filters set); sets *skip_reason instead when there are too many.
Status ReadChunks(hid_t dataset_id, hid_t space, size_t element_bytes, const Hdf5Arrays& arrays,
                  Hdf5Dataset* dataset, std::string* skip_reason) {
  hsize_t count = 0;
  if (H5Dget_num_chunks(dataset_id, space, &count) < 0) return Corrupt("cannot count its chunks");
  if (count > kMaxHdf5ChunksPerDataset) {
    *skip_reason = std::to_string(count) + " chunks (more than " +
                   std::to_string(kMaxHdf5ChunksPerDataset) + ")";
    return Status::Ok();
  }
  const size_t rank = dataset->layout.shape.size();
  uint64_t tile_bytes = element_bytes;
  for (const uint64_t extent : dataset->chunk_shape) {
    if (extent == 0 || __builtin_mul_overflow(tile_bytes, extent, &tile_bytes)) {
      return Corrupt("chunk shape is empty or overflows 64 bits");
    }
  }
  dataset->chunks.resize(count);
  for (hsize_t i = 0; i < count; ++i) {
    Hdf5Chunk& chunk = dataset->chunks[i];
    std::vector<hsize_t> start(rank);
    unsigned filter_mask = 0;
    haddr_t address = HADDR_UNDEF;
    hsize_t bytes = 0;
    if (H5Dget_chunk_info(dataset_id, space, i, start.data(), &filter_mask, &address, &bytes) < 0) {
      return Corrupt("cannot read chunk " + std::to_string(i));
    }
    if (address == HADDR_UNDEF || __builtin_add_overflow(address, arrays.chunk_address_base, &address)) {
      return Corrupt("chunk " + std::to_string(i) + " has no valid address");
    }
    RETURN_IF_ERROR(CheckRange(address, bytes, arrays.file_bytes, "chunk " + std::to_string(i)));
    for (size_t d = 0; d < rank; ++d) {
      if (start[d] % dataset->chunk_shape[d] != 0 || start[d] >= dataset->layout.shape[d]) {
        return Corrupt("chunk " + std::to_string(i) + " starts at " + std::to_string(start[d]) +
                       " in dimension " + std::to_string(d) + ", not a tile of the dataset");
      }
    }
    if (dataset->filters.empty() && bytes != tile_bytes) {
      return Corrupt("unfiltered chunk " + std::to_string(i) + " has " + std::to_string(bytes) +
                     " bytes, its tile " + std::to_string(tile_bytes));
    }
    chunk.start.assign(start.begin(), start.end());
    chunk.filter_mask = filter_mask;
    chunk.address = address;
    chunk.bytes = bytes;
  }
  std::sort(dataset->chunks.begin(), dataset->chunks.end(),
            [](const Hdf5Chunk& a, const Hdf5Chunk& b) { return a.start < b.start; });
  return Status::Ok();
}

// Examines the dataset at `path`: appends it to out->datasets, or to
// out->skipped with the reason it holds no locatable array.
Status LocateDataset(hid_t file, const std::string& path, Hdf5Arrays* out) {
  H5Id dataset_id(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset_id.valid()) return Corrupt("cannot open dataset");
  Hdf5Dataset dataset;
  dataset.path = path;
  const auto skip = [&](std::string reason) {
    out->skipped.push_back({path, std::move(reason)});
    return Status::Ok();
  };

  H5Id type(H5Dget_type(dataset_id.get()), H5Tclose);
  if (!type.valid()) return Corrupt("cannot read its datatype");
  if (std::string reason = DescribeElementType(type.get(), &dataset.layout); !reason.empty()) {
    return skip(reason);
  }

  H5Id space(H5Dget_space(dataset_id.get()), H5Sclose);
  if (!space.valid()) return Corrupt("cannot read its dataspace");
  const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
  if (space_class == H5S_NULL) return skip("null dataspace");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (space_class != H5S_SCALAR && space_class != H5S_SIMPLE) return Corrupt("unknown dataspace");
  if (rank < 0 || rank > H5S_MAX_RANK) return Corrupt("invalid rank");
  if (rank > array::kMaxRank) return skip("rank " + std::to_string(rank) + " > 8");
  std::vector<hsize_t> extents(static_cast<size_t>(rank));
  if (H5Sget_simple_extent_dims(space.get(), extents.data(), nullptr) < 0) {
    return Corrupt("cannot read its extents");
  }
  dataset.layout.shape.assign(extents.begin(), extents.end());
  if (dataset.layout.shape.empty()) dataset.layout.shape.push_back(1);  // scalar
  const size_t element_bytes = H5Tget_size(type.get());  // 1, 2, 4 or 8 after DescribeElementType
  uint64_t data_bytes = element_bytes;
  for (const uint64_t extent : dataset.layout.shape) {
    if (__builtin_mul_overflow(data_bytes, extent, &data_bytes)) return Corrupt("size overflows 64 bits");
  }
  if (data_bytes == 0) return skip("no elements");

  H5Id dcpl(H5Dget_create_plist(dataset_id.get()), H5Pclose);
  if (!dcpl.valid()) return Corrupt("cannot read its creation properties");
  const int external_files = H5Pget_external_count(dcpl.get());
  if (external_files != 0) return skip("external storage");
  switch (H5Pget_layout(dcpl.get())) {
    case H5D_COMPACT: return skip("compact storage");
    case H5D_VIRTUAL: return skip("virtual dataset");
    case H5D_CONTIGUOUS: {
      // Unallocated storage has size 0; its offset is HADDR_UNDEF, or with
      // a user block HADDR_UNDEF + the block's size (HDF5 1.10.8).
      const haddr_t address = H5Dget_offset(dataset_id.get());
      dataset.bytes = H5Dget_storage_size(dataset_id.get());
      if (address == HADDR_UNDEF || dataset.bytes == 0) return skip("no storage allocated");
      dataset.storage = Hdf5Storage::kContiguous;
      dataset.address = address;
      if (dataset.bytes != data_bytes) {
        return Corrupt("contiguous storage of " + std::to_string(dataset.bytes) +
                       " bytes for data of " + std::to_string(data_bytes) + " bytes");
      }
      RETURN_IF_ERROR(CheckRange(dataset.address, dataset.bytes, out->file_bytes, "its data"));
      break;
    }
    case H5D_CHUNKED: {
      dataset.storage = Hdf5Storage::kChunked;
      std::vector<hsize_t> chunk_shape(static_cast<size_t>(rank));
      if (rank == 0 || H5Pget_chunk(dcpl.get(), rank, chunk_shape.data()) != rank) {
        return Corrupt("cannot read its chunk shape");
      }
      dataset.chunk_shape.assign(chunk_shape.begin(), chunk_shape.end());
      RETURN_IF_ERROR(ReadFilters(dcpl.get(), &dataset));
      std::string reason;
      RETURN_IF_ERROR(ReadChunks(dataset_id.get(), space.get(), element_bytes, *out, &dataset, &reason));
      if (!reason.empty()) return skip(reason);
      if (dataset.chunks.empty()) return skip("no chunks allocated");
      break;
    }
    default: return Corrupt("unknown storage layout");
  }
  out->datasets.push_back(std::move(dataset));
  return Status::Ok();
}

// H5Ovisit2 callback: collects the paths of datasets.
herr_t CollectDataset(hid_t, const char* name, const H5O_info_t* info, void* paths) {
  if (info->type == H5O_TYPE_DATASET) {
    static_cast<std::vector<std::string>*>(paths)->push_back(std::string("/") + name);
  }
  return 0;
}

// Fails when the stored ranges of two datasets (or chunks) overlap.
Status CheckDisjoint(const Hdf5Arrays& arrays) {
  struct Range {
    uint64_t begin, end;
    const std::string* path;
  };
  std::vector<Range> ranges;
  for (const Hdf5Dataset& dataset : arrays.datasets) {
    if (dataset.storage == Hdf5Storage::kContiguous) {
      ranges.push_back({dataset.address, dataset.address + dataset.bytes, &dataset.path});
    }
    for (const Hdf5Chunk& chunk : dataset.chunks) {
      ranges.push_back({chunk.address, chunk.address + chunk.bytes, &dataset.path});
    }
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].begin < ranges[i - 1].end) {
      return Corrupt("stored bytes of " + Quoted(*ranges[i - 1].path) + " and " +
                     Quoted(*ranges[i].path) + " overlap at offset " + std::to_string(ranges[i].begin));
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Hdf5Arrays> LocateHdf5Arrays(const std::string& path) {
  SilenceHdf5Errors();
  uint64_t file_bytes = 0;
  ASSIGN_OR_RETURN(const H5Id file, OpenHdf5ReadOnly(path, &file_bytes));

  Hdf5Arrays arrays;
  arrays.file_bytes = file_bytes;
  ASSIGN_OR_RETURN(arrays.chunk_address_base, ChunkAddressBase(file.get()));
  std::vector<std::string> paths;
  if (H5Ovisit2(file.get(), H5_INDEX_NAME, H5_ITER_INC, CollectDataset, &paths,
                H5O_INFO_BASIC) < 0) {
    return Corrupt("cannot walk the groups of the file");
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& dataset_path : paths) {
    RETURN_IF_ERROR(LocateDataset(file.get(), dataset_path, &arrays)
                        .WithContext("dataset " + Quoted(dataset_path)));
  }
  RETURN_IF_ERROR(CheckDisjoint(arrays));
  return arrays;
}

}  // namespace lmarc
