// Locating the typed arrays of HDF5 files (io/hdf5_array_locator.h): files
// written with the HDF5 C API here (contiguous and chunked datasets, both
// byte orders, deflate + shuffle, types and layouts that are skipped), the
// stored bytes read back at the reported ranges, and damaged files.
#include "io/hdf5_array_locator.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>
#include <zlib.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "io/h5_handle.h"
#include "tests/io_test_util.h"

namespace lmarc {
namespace {

using ::lmarc::testing::ReadFile;
using ::lmarc::testing::TempDir;
using ::lmarc::testing::WriteFile;
using array::ByteOrder;
using array::DType;

// Element i of every test dataset of type `dtype`.
double Value(DType dtype, uint64_t i) {
  switch (dtype) {
    case DType::kF32: return i * 0.5 - 3.0;
    case DType::kF64: return i * 1.25 - 100.0 + i * 1e-9;
    case DType::kI16: return static_cast<double>(static_cast<int64_t>(i * 37 % 2000) - 1000);
    default: return static_cast<double>(i * 7 % 256);
  }
}

hid_t NativeType(DType dtype) {
  switch (dtype) {
    case DType::kF32: return H5T_NATIVE_FLOAT;
    case DType::kF64: return H5T_NATIVE_DOUBLE;
    case DType::kI16: return H5T_NATIVE_INT16;
    default: return H5T_NATIVE_UINT8;
  }
}

// Values [first, first + count) in the native layout of `dtype`.
std::vector<uint8_t> NativeValues(DType dtype, uint64_t first, uint64_t count) {
  std::vector<uint8_t> bytes;
  for (uint64_t i = first; i < first + count; ++i) {
    const double v = Value(dtype, i);
    uint8_t element[8];
    size_t size = 0;
    switch (dtype) {
      case DType::kF32: { const float f = static_cast<float>(v); std::memcpy(element, &f, size = 4); break; }
      case DType::kF64: std::memcpy(element, &v, size = 8); break;
      case DType::kI16: { const int16_t s = static_cast<int16_t>(v); std::memcpy(element, &s, size = 2); break; }
      default: element[0] = static_cast<uint8_t>(v); size = 1;
    }
    bytes.insert(bytes.end(), element, element + size);
  }
  return bytes;
}

// The element at `p` stored as `dtype` in `order`, as a double.
double Decode(const uint8_t* p, DType dtype, ByteOrder order) {
  const size_t size = dtype == DType::kF64 ? 8 : dtype == DType::kF32 ? 4 : dtype == DType::kI16 ? 2 : 1;
  uint64_t bits = 0;
  for (size_t i = 0; i < size; ++i) {
    const size_t byte = order == ByteOrder::kLittle ? size - 1 - i : i;
    bits = bits << 8 | p[byte];
  }
  switch (dtype) {
    case DType::kF32: return std::bit_cast<float>(static_cast<uint32_t>(bits));
    case DType::kF64: return std::bit_cast<double>(bits);
    case DType::kI16: return static_cast<int16_t>(bits);
    default: return static_cast<double>(bits);
  }
}

struct DatasetSpec {
  std::string path;
  hid_t file_type;
  DType dtype;
  std::vector<hsize_t> dims;
  std::vector<hsize_t> chunk;  // empty: contiguous
  bool shuffle = false;
  int deflate_level = -1;
  bool fletcher32 = false;
};

// Creates the dataset (and its groups) and writes Value(dtype, i) to every
// element.
void WriteDataset(hid_t file, const DatasetSpec& spec) {
  H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!spec.chunk.empty()) H5Pset_chunk(dcpl.get(), static_cast<int>(spec.chunk.size()), spec.chunk.data());
  if (spec.shuffle) H5Pset_shuffle(dcpl.get());
  if (spec.deflate_level >= 0) H5Pset_deflate(dcpl.get(), static_cast<unsigned>(spec.deflate_level));
  if (spec.fletcher32) H5Pset_fletcher32(dcpl.get());
  H5Id space(spec.dims.empty() ? H5Screate(H5S_SCALAR)
                               : H5Screate_simple(static_cast<int>(spec.dims.size()), spec.dims.data(), nullptr),
             H5Sclose);
  H5Id dataset(H5Dcreate2(file, spec.path.c_str(), spec.file_type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
               H5Dclose);
  ASSERT_TRUE(dataset.valid()) << spec.path;
  uint64_t count = 1;
  for (hsize_t extent : spec.dims) count *= extent;
  const std::vector<uint8_t> values = NativeValues(spec.dtype, 0, count);
  ASSERT_GE(H5Dwrite(dataset.get(), NativeType(spec.dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
}

// Undoes the shuffle filter: byte j of element i was stored at j * n + i.
std::vector<uint8_t> Unshuffle(const std::vector<uint8_t>& shuffled, size_t element_bytes) {
  const size_t n = shuffled.size() / element_bytes;
  std::vector<uint8_t> out(shuffled.size());
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < element_bytes; ++j) out[i * element_bytes + j] = shuffled[j * n + i];
  }
  return out;
}

// The stored bytes at the reported ranges, decoded (inflated and unshuffled
// first where the pipeline says so), equal the values written.
void ExpectStoredValues(const Hdf5Dataset& dataset, const std::string& file) {
  const auto stored = [&](uint64_t address, uint64_t bytes) {
    EXPECT_LE(address + bytes, file.size());
    return std::vector<uint8_t>(file.begin() + address, file.begin() + address + bytes);
  };
  const DType dtype = dataset.layout.dtype;
  const size_t element_bytes = dtype == DType::kF64 ? 8 : dtype == DType::kF32 ? 4 : dtype == DType::kI16 ? 2 : 1;
  if (dataset.storage == Hdf5Storage::kContiguous) {
    const std::vector<uint8_t> bytes = stored(dataset.address, dataset.bytes);
    for (uint64_t i = 0; i < dataset.bytes / element_bytes; ++i) {
      ASSERT_EQ(Decode(&bytes[i * element_bytes], dtype, dataset.layout.byte_order), Value(dtype, i))
          << dataset.path << " element " << i;
    }
    return;
  }
  const size_t rank = dataset.chunk_shape.size();
  uint64_t tile_elements = 1;
  for (uint64_t extent : dataset.chunk_shape) tile_elements *= extent;
  for (const Hdf5Chunk& chunk : dataset.chunks) {
    std::vector<uint8_t> tile = stored(chunk.address, chunk.bytes);
    if (dataset.deflate_level >= 0) {
      std::vector<uint8_t> inflated(tile_elements * element_bytes);
      uLongf inflated_bytes = inflated.size();
      ASSERT_EQ(uncompress(inflated.data(), &inflated_bytes, tile.data(), tile.size()), Z_OK) << dataset.path;
      ASSERT_EQ(inflated_bytes, inflated.size());
      tile = std::move(inflated);
    }
    if (dataset.shuffle) tile = Unshuffle(tile, element_bytes);
    ASSERT_EQ(tile.size(), tile_elements * element_bytes) << dataset.path;
    for (uint64_t t = 0; t < tile_elements; ++t) {
      // Dataset coordinates of tile element t, and its C-order index.
      uint64_t index = 0, rest = t, stride = tile_elements;
      bool inside = true;
      for (size_t d = 0; d < rank; ++d) {
        stride /= dataset.chunk_shape[d];
        const uint64_t coordinate = chunk.start[d] + rest / stride;
        rest %= stride;
        inside &= coordinate < dataset.layout.shape[d];
        index = index * dataset.layout.shape[d] + coordinate;
      }
      if (!inside) continue;
      ASSERT_EQ(Decode(&tile[t * element_bytes], dtype, dataset.layout.byte_order), Value(dtype, index))
          << dataset.path << " element " << index;
    }
  }
}

const std::vector<DatasetSpec>& TypedSpecs() {
  static const std::vector<DatasetSpec> kSpecs = {
      {"/a/b/f64_be", H5T_IEEE_F64BE, DType::kF64, {4, 6}, {}},
      {"/a/f32_le", H5T_IEEE_F32LE, DType::kF32, {5, 7}, {}},
      {"/chunked/f32_be_edge", H5T_IEEE_F32BE, DType::kF32, {10, 7}, {4, 3}},
      {"/chunked/f64_deflate", H5T_IEEE_F64LE, DType::kF64, {50}, {20}, false, 1},
      {"/chunked/fletcher", H5T_IEEE_F32LE, DType::kF32, {8}, {8}, false, -1, true},
      {"/chunked/i16_be_shuffle", H5T_STD_I16BE, DType::kI16, {9, 5}, {3, 5}, true, -1},
      {"/chunked/i16_deflate_shuffle", H5T_STD_I16LE, DType::kI16, {64, 33}, {16, 33}, true, 6},
      {"/chunked/u8", H5T_STD_U8LE, DType::kU8, {3, 4, 5}, {2, 2, 5}},
      {"/scalar_i16", H5T_STD_I16BE, DType::kI16, {}, {}},
  };
  return kSpecs;
}

// The typed datasets above, plus: a hard link, a soft link, a compound, a
// string, a compact, an unwritten and an empty dataset, and a chunked one
// with only two chunks written.
void WriteTestFile(const std::string& path, hsize_t userblock_bytes) {
  H5Id fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  if (userblock_bytes > 0) H5Pset_userblock(fcpl.get(), userblock_bytes);
  H5Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT), H5Fclose);
  ASSERT_TRUE(file.valid());
  for (const DatasetSpec& spec : TypedSpecs()) WriteDataset(file.get(), spec);
  ASSERT_GE(H5Lcreate_hard(file.get(), "/a/f32_le", file.get(), "/a/z_alias", H5P_DEFAULT, H5P_DEFAULT), 0);
  ASSERT_GE(H5Lcreate_soft("/a/b/f64_be", file.get(), "/soft", H5P_DEFAULT, H5P_DEFAULT), 0);

  H5Id compound(H5Tcreate(H5T_COMPOUND, 16), H5Tclose);
  H5Tinsert(compound.get(), "count", 0, H5T_NATIVE_INT32);
  H5Tinsert(compound.get(), "value", 8, H5T_NATIVE_DOUBLE);
  H5Id string(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(string.get(), 5);
  const hsize_t four[1] = {4}, none[1] = {0}, hundred[1] = {100}, ten[1] = {10};
  H5Id space4(H5Screate_simple(1, four, nullptr), H5Sclose);
  H5Id space0(H5Screate_simple(1, none, nullptr), H5Sclose);
  H5Id compact(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_layout(compact.get(), H5D_COMPACT);
  const auto create = [&](const char* name, hid_t type, hid_t space, hid_t dcpl) {
    return H5Id(H5Dcreate2(file.get(), name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  };
  const std::vector<uint8_t> zeros(64, 0);
  H5Id compound_set = create("/compound", compound.get(), space4.get(), H5P_DEFAULT);
  H5Dwrite(compound_set.get(), compound.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
  H5Id string_set = create("/string", string.get(), space4.get(), H5P_DEFAULT);
  H5Dwrite(string_set.get(), string.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
  H5Id compact_set = create("/compact_f32", H5T_IEEE_F32LE, space4.get(), compact.get());
  H5Dwrite(compact_set.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
  create("/unwritten", H5T_IEEE_F32LE, space4.get(), H5P_DEFAULT);
  create("/empty", H5T_IEEE_F64LE, space0.get(), H5P_DEFAULT);

  // u8 {100} in chunks of 10, only elements [20, 40) written.
  H5Id sparse_dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(sparse_dcpl.get(), 1, ten);
  H5Id sparse_space(H5Screate_simple(1, hundred, nullptr), H5Sclose);
  H5Id sparse = create("/chunked/u8_sparse", H5T_STD_U8LE, sparse_space.get(), sparse_dcpl.get());
  const hsize_t start[1] = {20}, count[1] = {20};
  H5Sselect_hyperslab(sparse_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  H5Id memory_space(H5Screate_simple(1, count, nullptr), H5Sclose);
  const std::vector<uint8_t> values = NativeValues(DType::kU8, 20, 20);
  ASSERT_GE(H5Dwrite(sparse.get(), H5T_NATIVE_UINT8, memory_space.get(), sparse_space.get(), H5P_DEFAULT,
                     values.data()), 0);
}

std::vector<std::string> Paths(const Hdf5Arrays& arrays) {
  std::vector<std::string> paths;
  for (const Hdf5Dataset& dataset : arrays.datasets) paths.push_back(dataset.path);
  return paths;
}

const Hdf5Dataset& Find(const Hdf5Arrays& arrays, const std::string& path) {
  for (const Hdf5Dataset& dataset : arrays.datasets) {
    if (dataset.path == path) return dataset;
  }
  ADD_FAILURE() << path << " not located";
  return arrays.datasets.front();
}

class Hdf5ArrayLocatorTest : public ::testing::TestWithParam<hsize_t> {};

TEST_P(Hdf5ArrayLocatorTest, LocatesEveryTypedDatasetAndItsBytes) {
  TempDir tmp;
  WriteTestFile(tmp / "test.h5", GetParam());
  StatusOr<Hdf5Arrays> arrays = LocateHdf5Arrays(tmp / "test.h5");
  ASSERT_TRUE(arrays.ok()) << arrays.status().message();
  const std::string file = ReadFile(tmp / "test.h5");
  EXPECT_EQ(arrays->file_bytes, file.size());
  EXPECT_EQ(Paths(*arrays),
            (std::vector<std::string>{"/a/b/f64_be", "/a/f32_le", "/chunked/f32_be_edge", "/chunked/f64_deflate",
                                      "/chunked/fletcher", "/chunked/i16_be_shuffle", "/chunked/i16_deflate_shuffle",
                                      "/chunked/u8", "/chunked/u8_sparse", "/scalar_i16"}));
  std::vector<std::string> skipped;
  for (const Hdf5SkippedDataset& s : arrays->skipped) skipped.push_back(s.path + ": " + s.reason);
  EXPECT_EQ(skipped, (std::vector<std::string>{"/compact_f32: compact storage",
                                               "/compound: type class 6 is not integer or float",
                                               "/empty: no elements", "/string: type class 3 is not integer or float",
                                               "/unwritten: no storage allocated"}));

  for (const DatasetSpec& spec : TypedSpecs()) {
    const Hdf5Dataset& dataset = Find(*arrays, spec.path);
    EXPECT_EQ(dataset.layout.dtype, spec.dtype) << spec.path;
    EXPECT_EQ(dataset.layout.byte_order, H5Tget_order(spec.file_type) == H5T_ORDER_BE ? ByteOrder::kBig
                                                                                   : ByteOrder::kLittle);
    EXPECT_EQ(dataset.layout.shape, spec.dims.empty() ? std::vector<uint64_t>{1}
                                                      : std::vector<uint64_t>(spec.dims.begin(), spec.dims.end()));
    EXPECT_EQ(dataset.storage, spec.chunk.empty() ? Hdf5Storage::kContiguous : Hdf5Storage::kChunked);
    EXPECT_EQ(dataset.chunk_shape, std::vector<uint64_t>(spec.chunk.begin(), spec.chunk.end()));
    EXPECT_EQ(dataset.shuffle, spec.shuffle) << spec.path;
    EXPECT_EQ(dataset.deflate_level, spec.deflate_level) << spec.path;
    EXPECT_EQ(dataset.filters_modelable, !spec.fletcher32) << spec.path;
    for (const Hdf5Chunk& chunk : dataset.chunks) EXPECT_EQ(chunk.filter_mask, 0u);
    if (!spec.fletcher32) ExpectStoredValues(dataset, file);
  }
  EXPECT_EQ(Find(*arrays, "/chunked/f32_be_edge").chunks.size(), 9u);  // 3 x 3 tiles, the edges partial
  const Hdf5Dataset& shuffled = Find(*arrays, "/chunked/i16_deflate_shuffle");
  ASSERT_EQ(shuffled.filters.size(), 2u);
  EXPECT_EQ(shuffled.filters[0].id, kHdf5FilterShuffle);
  EXPECT_EQ(shuffled.filters[1].id, kHdf5FilterDeflate);
  EXPECT_EQ(shuffled.filters[1].parameters, std::vector<unsigned>{6});
  EXPECT_EQ(Find(*arrays, "/chunked/fletcher").chunks[0].bytes, 8 * 4 + 4u);  // data + checksum
  const Hdf5Dataset& sparse = Find(*arrays, "/chunked/u8_sparse");
  ASSERT_EQ(sparse.chunks.size(), 2u);
  EXPECT_EQ(sparse.chunks[0].start, std::vector<uint64_t>{20});
  EXPECT_EQ(sparse.chunks[1].start, std::vector<uint64_t>{30});
  for (const Hdf5Chunk& chunk : sparse.chunks) {
    for (uint64_t i = 0; i < 10; ++i) {
      EXPECT_EQ(static_cast<uint8_t>(file[chunk.address + i]), Value(DType::kU8, chunk.start[0] + i));
    }
  }
}

// Addresses are file offsets also when the file starts with a user block.
INSTANTIATE_TEST_SUITE_P(UserBlock, Hdf5ArrayLocatorTest, ::testing::Values(0, 1024));

void AppendLe(uint64_t value, size_t width, std::string* out) {
  for (size_t i = 0; i < width; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void PatchLe64(std::string* file, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) (*file)[at + i] = static_cast<char>(value >> (8 * i));
}

// Offset of the only occurrence of `pattern` in `file`.
size_t FindUnique(const std::string& file, const std::string& pattern) {
  const size_t at = file.find(pattern);
  EXPECT_NE(at, std::string::npos);
  EXPECT_EQ(file.find(pattern, at + 1), std::string::npos) << "pattern is not unique";
  return at;
}

// Storage addresses rewritten in the file's metadata: ranges beyond the
// file or overlapping another dataset are kCorrupt.
TEST(Hdf5ArrayLocatorHostileTest, RangesOutsideTheFileOrOverlappingAreCorrupt) {
  TempDir tmp;
  {
    H5Id file(H5Fcreate((tmp / "small.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    WriteDataset(file.get(), {"/contiguous", H5T_IEEE_F64LE, DType::kF64, {1000}, {}});
    WriteDataset(file.get(), {"/other", H5T_IEEE_F64LE, DType::kF64, {600}, {}});
    WriteDataset(file.get(), {"/chunked", H5T_STD_I16LE, DType::kI16, {1000}, {1000}});
  }
  const std::string original = ReadFile(tmp / "small.h5");
  StatusOr<Hdf5Arrays> arrays = LocateHdf5Arrays(tmp / "small.h5");
  ASSERT_TRUE(arrays.ok()) << arrays.status().message();
  // Where the addresses are stored: a contiguous layout message holds the
  // address followed by the size; a v1 B-tree chunk record holds the key
  // (u32 size, u32 filter mask, u64 offset per dimension and one more)
  // followed by the chunk address.
  const auto contiguous_message = [&](const std::string& path) {
    std::string pattern;
    AppendLe(Find(*arrays, path).address, 8, &pattern);
    AppendLe(Find(*arrays, path).bytes, 8, &pattern);
    return FindUnique(original, pattern);
  };
  const size_t contiguous_at = contiguous_message("/contiguous");
  const size_t other_at = contiguous_message("/other");
  std::string chunk_record;
  AppendLe(2000, 4, &chunk_record);
  chunk_record.append(4 + 8 + 8, '\0');  // filter mask, offsets 0 and 0
  AppendLe(Find(*arrays, "/chunked").chunks.at(0).address, 8, &chunk_record);
  const size_t chunk_at = FindUnique(original, chunk_record) + 24;
  const struct {
    size_t at;
    uint64_t new_address;
    std::string cause;
  } kCases[] = {
      {contiguous_at, original.size() - 100, "dataset '/contiguous': its data claims bytes"},
      {contiguous_at, UINT64_MAX - 16, "outside the file"},
      {chunk_at, original.size() - 10, "dataset '/chunked': chunk 0 claims bytes"},
      {other_at, Find(*arrays, "/contiguous").address + 8, "overlap"},
  };
  for (const auto& c : kCases) {
    std::string damaged = original;
    PatchLe64(&damaged, c.at, c.new_address);
    WriteFile(tmp / "damaged.h5", damaged);
    StatusOr<Hdf5Arrays> result = LocateHdf5Arrays(tmp / "damaged.h5");
    ASSERT_FALSE(result.ok()) << c.cause;
    EXPECT_EQ(result.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(result.status().message().find(c.cause), std::string::npos) << result.status().message();
  }
}

TEST(Hdf5ArrayLocatorHostileTest, NotHdf5OrTruncatedIsCorrupt) {
  TempDir tmp;
  WriteFile(tmp / "text.h5", "not an HDF5 file at all");
  EXPECT_EQ(LocateHdf5Arrays(tmp / "text.h5").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(LocateHdf5Arrays(tmp / "missing.h5").status().code(), StatusCode::kIoError);
  WriteTestFile(tmp / "full.h5", 0);
  const std::string full = ReadFile(tmp / "full.h5");
  for (size_t length = 0; length < full.size(); length += 997) {
    WriteFile(tmp / "cut.h5", full.substr(0, length));
    EXPECT_FALSE(LocateHdf5Arrays(tmp / "cut.h5").ok()) << length;
  }
}

// A NetCDF-4 file written by the netCDF library (ncgen), when installed:
// a contiguous variable and a deflated, shuffled record variable.
TEST(Hdf5ArrayLocatorNetcdf4Test, FileWrittenByNcgen) {
  if (access("/usr/bin/ncgen", X_OK) != 0) GTEST_SKIP() << "ncgen not installed (netcdf-bin)";
  TempDir tmp;
  WriteFile(tmp / "t.cdl",
            "netcdf t {\n dimensions:\n  time = UNLIMITED ;\n  x = 3 ;\n variables:\n  float a(x) ;\n"
            "  short r(time, x) ;\n  r:_DeflateLevel = 4 ;\n  r:_Shuffle = \"true\" ;\n  r:_ChunkSizes = 2, 3 ;\n"
            " data:\n  a = 1.5, 2.5, -3 ;\n  r = 1, 2, 3, 4, 5, 6, 7, 8, 9 ;\n}\n");
  const std::string nc = tmp / "t.nc";
  ASSERT_EQ(std::system(("ncgen -k nc4 -o " + nc + " " + (tmp / "t.cdl")).c_str()), 0);
  StatusOr<Hdf5Arrays> arrays = LocateHdf5Arrays(nc);
  ASSERT_TRUE(arrays.ok()) << arrays.status().message();
  const std::string file = ReadFile(nc);
  const Hdf5Dataset& a = Find(*arrays, "/a");
  ASSERT_EQ(a.storage, Hdf5Storage::kContiguous);
  EXPECT_EQ(Describe(a.layout), "f32 little 3");
  EXPECT_EQ(Decode(reinterpret_cast<const uint8_t*>(file.data()) + a.address + 8, DType::kF32, a.layout.byte_order), -3.0);
  const Hdf5Dataset& r = Find(*arrays, "/r");
  EXPECT_EQ(Describe(r.layout), "i16 little 3x3");
  EXPECT_TRUE(r.shuffle);
  EXPECT_EQ(r.deflate_level, 4);
  EXPECT_TRUE(r.filters_modelable);
  ASSERT_EQ(r.chunks.size(), 2u);
  std::vector<uint8_t> tile(12);
  uLongf tile_bytes = tile.size();
  ASSERT_EQ(uncompress(tile.data(), &tile_bytes, reinterpret_cast<const uint8_t*>(file.data()) + r.chunks[1].address,
                       r.chunks[1].bytes), Z_OK);
  tile = Unshuffle(tile, 2);
  EXPECT_EQ(Decode(&tile[0], DType::kI16, r.layout.byte_order), 7.0);  // r[2][0]
}

}  // namespace
}  // namespace lmarc
