// Deflated datasets extracted by slab (docs/format.md §2.5, filters 1 and
// 2): NetCDF-4-like HDF5 files whose tiles go through deflate and
// shuffle+deflate, edge tiles included, give the slabs the HDF5 API reads;
// a tile larger than the chunk size is one deflated-array chunk; a stream
// that does not inflate to its box is a clear one-line error.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include "io/archive_reader.h"
#include "io/archive_tables.h"
#include "model/codecs.h"
#include "tests/cli_test_util.h"
#include "tests/typed_test_util.h"

namespace lmarc::testing {
namespace {

// Smooth values with pseudo-random low bits (14 of a float's mantissa, 12
// of an int's): deflate leaves every tile, edge tiles too, above the typed
// region minimum.
template <typename T>
std::vector<T> NoisyField(size_t n) {
  std::vector<T> values(n);
  uint32_t state = 12345;
  for (size_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    const float smooth = 100.0f + 50.0f * std::sin(0.002f * static_cast<float>(i));
    if constexpr (std::is_floating_point_v<T>) {
      uint32_t bits = 0;
      std::memcpy(&bits, &smooth, 4);
      bits ^= state >> 18;
      std::memcpy(&values[i], &bits, 4);
    } else {
      values[i] = static_cast<T>(static_cast<int32_t>(100 * smooth) ^ static_cast<int32_t>(state >> 20));
    }
  }
  return values;
}

// NetCDF-4 output as a model writes it: /temp (time, lat, lon) f32 in tiles
// of 2x32x64 through shuffle+deflate, /grid/count (lat, lon) i32 in tiles of
// 64x64 through deflate alone; lat and lon are not multiples of the tiles.
void WriteNetcdf4Like(const std::string& path) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  WriteValues<float>(file, "temp", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4, 60, 120},
                     NoisyField<float>(4 * 60 * 120), {2, 32, 64}, 4, true);
  const hid_t group = H5Gcreate2(file, "grid", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  WriteValues<int32_t>(group, "count", H5T_STD_I32LE, H5T_NATIVE_INT32, {120, 120},
                       NoisyField<int32_t>(120 * 120), {64, 64}, 6, false);
  H5Gclose(group);
  H5Fclose(file);
}

// The archive's /datasets row for `name` in `file`.
DatasetRow DatasetOf(const std::string& archive, const std::string& file, const std::string& name) {
  auto reader = ArchiveReader::Open(archive, &BuiltinCodecs());
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  const ArrayTables& tables = (*reader)->arrays();
  auto row = FindDataset(tables, (*reader)->entries(), file + ":" + name);
  EXPECT_TRUE(row.ok()) << row.status().message();
  return tables.datasets[*row];
}

TEST(DeflatedSlabTest, SlabsOfDeflatedTilesEqualTheHdf5ApiRead) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  const std::string file = tmp / "in/ocean.nc";
  WriteNetcdf4Like(file);
  const std::string archive = RoundTrip(tmp, tmp / "in", "nc4");
  EXPECT_GT(ChunksOf(archive, CodecId::kDeflatedArray), 0u);
  EXPECT_EQ(DatasetOf(archive, "in/ocean.nc", "/temp").filter,
            static_cast<uint8_t>(ArrayFilter::kShuffleDeflate));
  EXPECT_EQ(DatasetOf(archive, "in/ocean.nc", "/grid/count").filter,
            static_cast<uint8_t>(ArrayFilter::kDeflate));
  ExpectSlabsAsHdf5Reads(archive, "in/ocean.nc", file, {
      {"/temp", "", {0, 0, 0}, {4, 60, 120}},
      {"/temp", "1:4,10:40,20:119", {1, 10, 20}, {3, 30, 99}},  // across tiles in every dimension
      {"/temp", "3,59,119", {3, 59, 119}, {1, 1, 1}},           // the last element, in an edge tile
      {"/grid/count", "", {0, 0}, {120, 120}},
      {"/grid/count", "63:120,:", {63, 0}, {57, 120}}}, tmp);
  // One tile's worth of slab decodes one chunk.
  uint64_t decoded = 0;
  ASSERT_TRUE(ExtractSlabTo(archive, "in/ocean.nc:/temp", "2:4,32:60,64:120", tmp / "t.raw", &decoded).ok());
  EXPECT_EQ(decoded, 1u);
  // Writers give /datasets the `filter` field (88 packed bytes).
  RawArchive raw(archive, /*writable=*/false);
  H5Id datasets(H5Dopen2(raw.root(), "datasets", H5P_DEFAULT), H5Dclose);
  H5Id type(H5Dget_type(datasets.get()), H5Tclose);
  EXPECT_GE(H5Tget_member_index(type.get(), "filter"), 0);
  EXPECT_EQ(H5Tget_size(type.get()), 88u);
}

// A 64 KiB tile of noisy values: its deflate stream exceeds a 4 KiB chunk
// size, yet it is one chunk, coded as its values.
TEST(DeflatedSlabTest, TileLargerThanTheChunkSizeIsOneDeflatedArrayChunk) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  const std::string file = tmp / "in/noisy.h5";
  const std::vector<float> values = NoisyField<float>(16384);
  const hid_t h5 = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  WriteValues<float>(h5, "noisy", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {16384}, values, {16384}, 1, false);
  H5Fclose(h5);
  const std::string archive =
      RoundTrip(tmp, tmp / "in", "large", [](CompressOptions& o) { o.chunk_size = 4 << 10; });
  size_t large = 0;
  for (const ChunkRow& row : ChunkRowsOf(archive)) {
    large += row.codec == static_cast<uint16_t>(CodecId::kDeflatedArray) && row.raw_size > (4u << 10);
  }
  EXPECT_EQ(large, 1u);
  auto raw = ExtractSlabTo(archive, "in/noisy.h5:/noisy", "1000:9000", tmp / "noisy.raw");
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_TRUE(*raw == std::string(reinterpret_cast<const char*>(values.data() + 1000), 8000 * 4));
}

// A hostile archive whose /datasets row says the deflated tiles hold f64
// (they hold f32): the streams inflate to half their boxes. The table
// checksum is made to match, so only the inflation catches it.
TEST(DeflatedSlabTest, StreamNotInflatingToItsBoxIsAClearError) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  WriteNetcdf4Like(tmp / "in/ocean.nc");
  const std::string archive = RoundTrip(tmp, tmp / "in", "hostile");
  {
    RawArchive raw(archive);
    FileTable files;
    files.rows = raw.ReadTable<FileRow>("files", FileRowMemType().get());
    files.names = raw.ReadTable<uint8_t>("names", H5T_NATIVE_UINT8);
    const auto chunks = raw.ReadTable<ChunkRow>("chunks", ChunkRowMemType().get());
    ArrayTables arrays;
    arrays.datasets = raw.ReadTable<DatasetRow>("datasets", DatasetRowMemType().get());
    arrays.names = raw.ReadTable<uint8_t>("dataset_names", H5T_NATIVE_UINT8);
    arrays.chunks = raw.ReadTable<ArrayChunkRow>("array_chunks", ArrayChunkRowMemType().get());
    for (DatasetRow& row : arrays.datasets) {
      if (row.dtype == static_cast<uint8_t>(array::DType::kF32)) row.dtype = static_cast<uint8_t>(array::DType::kF64);
    }
    raw.WriteTable("datasets", DatasetRowMemType().get(), arrays.datasets);
    raw.SetUintAttribute("table_checksum", TableChecksum(files, chunks, arrays));
  }
  LMARC_ASSERT_OK(Verify(archive, /*quick=*/false));  // every chunk still decodes
  ExpectErrorMentions(ExtractSlabTo(archive, "in/ocean.nc:/temp", "0,0,0", tmp / "x.raw").status(),
                      {"hostile.lmarc.h5", "chunk ", "inflates to 16384 bytes, not its box's 32768"});
  EXPECT_FALSE(Exists(tmp / "x.raw"));
  const CliResult cli = RunLmarc(tmp.path(), {"extract", archive, "--dataset", "in/ocean.nc:/temp",
                                              "--slab", "0,0,0", "-o", tmp / "x.h5"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_EQ(cli.err.find("lmarc: error: " + archive + ": chunk "), 0u) << cli.err;
  EXPECT_EQ(std::count(cli.err.begin(), cli.err.end(), '\n'), 1) << cli.err;
  EXPECT_FALSE(Exists(tmp / "x.h5"));
}

}  // namespace
}  // namespace lmarc::testing
