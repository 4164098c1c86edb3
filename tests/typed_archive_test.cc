// Typed regions end to end (issue: simulation output): HDF5 files with
// contiguous and chunked datasets of every element type in both byte orders,
// special float values and extents of 1, NetCDF-3 files of all three formats
// (ncgen), NetCDF-4 with deflate+shuffle, raw arrays described by the user;
// each archive restores byte-exact and codes its arrays with the `array`
// codec. Hostile inputs and failing helper processes leave files as bytes
// without failing the job.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <zlib.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "io/array_scan.h"
#include "io/netcdf3_header.h"
#include "tests/typed_test_util.h"

namespace lmarc::testing {
namespace {

void WriteHdf5Inputs(const std::string& path) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  WriteDataset<float>(file, "f32_le", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {80, 64});
  WriteDataset<double>(file, "f64_be", H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, {40, 64});
  WriteDataset<int8_t>(file, "i8", H5T_STD_I8LE, H5T_NATIVE_INT8, {80, 64});
  WriteDataset<uint8_t>(file, "u8", H5T_STD_U8LE, H5T_NATIVE_UINT8, {80, 64});
  WriteDataset<int16_t>(file, "i16_be", H5T_STD_I16BE, H5T_NATIVE_INT16, {80, 64});
  WriteDataset<uint16_t>(file, "u16", H5T_STD_U16LE, H5T_NATIVE_UINT16, {80, 64});
  WriteDataset<int32_t>(file, "i32", H5T_STD_I32LE, H5T_NATIVE_INT32, {80, 64});
  WriteDataset<uint32_t>(file, "u32_be", H5T_STD_U32BE, H5T_NATIVE_UINT32, {80, 64});
  WriteDataset<int64_t>(file, "i64", H5T_STD_I64LE, H5T_NATIVE_INT64, {40, 64});
  WriteDataset<uint64_t>(file, "u64_be", H5T_STD_U64BE, H5T_NATIVE_UINT64, {40, 64});
  WriteDataset<float>(file, "ones", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {1, 4096, 1});
  // Tiles of 32x32 over 100x70: edge tiles hold padding beyond the extent.
  WriteDataset<float>(file, "tiled", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {100, 70}, {32, 32});
  WriteDataset<double>(file, "deflated", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {64, 64}, {32, 32}, 4, true);
  // A big one that the 16 KiB chunk size splits into boxes of whole rows.
  WriteDataset<float>(file, "big", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {6, 50, 40});
  H5Fclose(file);
}

TEST(TypedArchiveTest, Hdf5DatasetsOfEveryTypeRoundTripThroughTheArrayCodec) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  WriteHdf5Inputs(tmp / "in/fields.h5");
  std::ofstream(tmp / "in/notes.txt") << "run 7: fields.h5 written by the test\n";
  const std::string archive = RoundTrip(tmp, tmp / "in", "helper");
  // Contiguous datasets (each >= 4 KiB), 12 tiles, the big one in boxes.
  EXPECT_GE(ArrayChunks(archive), 10u + 12u + 3u);
  // In process or through the helper: the same archive.
  const std::string in_process =
      RoundTrip(tmp, tmp / "in", "in-process", [](CompressOptions& o) { o.array_scan.helper.clear(); });
  EXPECT_TRUE(ReadFile(archive) == ReadFile(in_process));
  // --arrays off: no array chunks, still the same files.
  const std::string off =
      RoundTrip(tmp, tmp / "in", "off", [](CompressOptions& o) { o.type_arrays = false; });
  EXPECT_EQ(ArrayChunks(off), 0u);
  EXPECT_LT(std::filesystem::file_size(archive), std::filesystem::file_size(off));
}

TEST(TypedArchiveTest, FailingHelpersLeaveTheFileAsBytes) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  WriteHdf5Inputs(tmp / "in/fields.h5");
  const std::string bytes_only =
      RoundTrip(tmp, tmp / "in", "off", [](CompressOptions& o) { o.type_arrays = false; });
  for (const std::string mode : {"crash", "hang", "garbage", "huge-region"}) {
    SCOPED_TRACE(mode);
    const std::string helper = tmp / ("helper-" + mode);
    std::filesystem::create_symlink(LMARC_FAKE_HELPER, helper);
    const std::string archive = RoundTrip(tmp, tmp / "in", mode, [&](CompressOptions& o) {
      o.array_scan.helper = helper;
      o.array_scan.timeout_seconds = 1;
    });
    EXPECT_EQ(ArrayChunks(archive), 0u);
    EXPECT_TRUE(ReadFile(archive) == ReadFile(bytes_only));
  }
}

// Many HDF5 files share helper processes (64 per helper); a damaged one
// among them stays bytes, the others are typed.
TEST(TypedArchiveTest, ManyHdf5FilesShareHelpers) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  for (int i = 0; i < 70; ++i) {
    const std::string path = tmp / ("in/step" + std::to_string(100 + i) + ".h5");
    const hid_t h5 = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    WriteDataset<float>(h5, "t", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {40, 40});
    H5Fclose(h5);
  }
  // Step 140 keeps its signature but loses its end.
  const std::string damaged = tmp / "in/step140.h5";
  std::filesystem::resize_file(damaged, std::filesystem::file_size(damaged) / 2);
  const std::string archive = RoundTrip(tmp, tmp / "in", "many");
  EXPECT_EQ(ArrayChunks(archive), 69u);
  // A crashing helper: every file is retried alone, fails alone, stays bytes.
  const std::string helper = tmp / "helper-crash";
  std::filesystem::create_symlink(LMARC_FAKE_HELPER, helper);
  const std::string crashed =
      RoundTrip(tmp, tmp / "in", "crashed", [&](CompressOptions& o) { o.array_scan.helper = helper; });
  EXPECT_EQ(ArrayChunks(crashed), 0u);
}

TEST(TypedArchiveTest, RawArrayAfterAHeader) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  const std::vector<double> values = Field<double>(64 * 64);
  std::string bytes(100, 'h');
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
  bytes += "trailer";
  std::ofstream(tmp / "in/dump.bin", std::ios::binary) << bytes;
  const std::string archive = RoundTrip(tmp, tmp / "in", "raw", [](CompressOptions& o) {
    RawArraySpec raw;
    raw.layout = {array::DType::kF64, array::ByteOrder::kLittle, {64, 64}};
    raw.offset = 100;
    o.array_scan.raw = raw;
  });
  EXPECT_EQ(ArrayChunks(archive), 2u);  // 32 KiB of rows in 16 KiB boxes
  // A file shorter than the array it is said to hold stays bytes.
  const std::string short_file = RoundTrip(tmp, tmp / "in", "short", [](CompressOptions& o) {
    RawArraySpec raw;
    raw.layout = {array::DType::kF64, array::ByteOrder::kLittle, {65, 64}};
    raw.offset = 100;
    o.array_scan.raw = raw;
  });
  EXPECT_EQ(ArrayChunks(short_file), 0u);
}

// Deflate(+shuffle) tiles: typed through the deflated-array codec when
// re-deflating reproduces them; a tile deflated with other parameters than
// its filter's (written directly with H5Dwrite_chunk) stays bytes.
TEST(TypedArchiveTest, DeflatedTilesAreTypedOnlyWhenReproducible) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  const std::string file = tmp / "in/deflated.h5";
  {
    const hid_t h5 = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    WriteDataset<double>(h5, "shuffled", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {128, 128}, {64, 64}, 4, true);
    // Filter says deflate level 9; the tile is a level-1 zlib stream.
    const hsize_t dims[2] = {64, 64};
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, dims);
    H5Pset_deflate(dcpl, 9);
    const hid_t d = H5Dcreate2(h5, "foreign", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    const std::vector<double> values = Field<double>(64 * 64);
    uLongf size = compressBound(values.size() * 8);
    std::vector<uint8_t> stream(size);
    ASSERT_EQ(compress2(stream.data(), &size, reinterpret_cast<const Bytef*>(values.data()),
                        values.size() * 8, 1), Z_OK);
    const hsize_t offset[2] = {0, 0};
    ASSERT_GE(H5Dwrite_chunk(d, H5P_DEFAULT, 0, offset, size, stream.data()), 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(h5);
  }
  // A deflated tile is one chunk, even beyond the 16 KiB chunk size.
  const std::string archive = RoundTrip(tmp, tmp / "in", "deflated");
  EXPECT_EQ(ChunksOf(archive, CodecId::kDeflatedArray), 4u);  // the four shuffled tiles
  const std::string off =
      RoundTrip(tmp, tmp / "in", "off", [&](CompressOptions& o) { o.type_arrays = false; });
  EXPECT_LT(std::filesystem::file_size(archive), std::filesystem::file_size(off));
  // Both are listed in the array tables: the foreign tile's chunk (bytes) too.
  ExpectSlabsAsHdf5Reads(archive, "in/deflated.h5", file,
                         {{"/foreign", "", {0, 0}, {64, 64}},
                          {"/shuffled", "60:70,1:127", {60, 1}, {10, 126}}}, tmp);
}

TEST(TypedArchiveTest, ExtractedSlabsEqualTheHdf5ApiRead) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  const std::string file = tmp / "in/fields.h5";
  WriteHdf5Inputs(file);
  const std::string archive = RoundTrip(tmp, tmp / "in", "slabs");
  ExpectSlabsAsHdf5Reads(archive, "in/fields.h5", file, {
      {"/f64_be", "3:17,:", {3, 0}, {14, 64}},
      {"/f64_be", "", {0, 0}, {40, 64}},
      {"/tiled", "30:99,5:69", {30, 5}, {69, 64}},  // across tiles, edge tiles included
      {"/tiled", "99,69", {99, 69}, {1, 1}},
      {"/big", "1:5,7:49,:", {1, 7, 0}, {4, 42, 40}},  // across boxes of whole rows
      {"/ones", "0,100:300,0", {0, 100, 0}, {1, 200, 1}},
      {"/u8", ":,63", {0, 63}, {80, 1}}}, tmp);
  // Only the chunks the slab meets are decoded: one 32x32 tile.
  uint64_t decoded = 0;
  ASSERT_TRUE(ExtractSlabTo(archive, "in/fields.h5:/tiled", "40:50,40:50", tmp / "t.raw", &decoded).ok());
  EXPECT_EQ(decoded, 1u);
}

TEST(TypedArchiveTest, BadDatasetOrSlabIsAClearError) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  WriteHdf5Inputs(tmp / "in/fields.h5");
  const std::string archive = RoundTrip(tmp, tmp / "in", "bad");
  ExpectErrorMentions(ExtractSlabTo(archive, "in/fields.h5:/nope", "", tmp / "x").status(),
                      {"bad.lmarc.h5", "/nope", "no such typed dataset", "/f64_be"});
  ExpectErrorMentions(ExtractSlabTo(archive, "in/fields.h5:/f64_be", "0:41,:", tmp / "x").status(),
                      {"'0:41'", "dimension 0", "[0, 40)"});
  ExpectErrorMentions(ExtractSlabTo(archive, "in/fields.h5:/f64_be", "1,2,3", tmp / "x").status(),
                      {"more than the dataset's 2 dimensions"});
  ExpectErrorMentions(ExtractSlabTo(archive, "in/fields.h5:/f64_be", "5:3,:", tmp / "x").status(),
                      {"'5:3'"});
  EXPECT_FALSE(std::filesystem::exists(tmp / "x"));
}

void AppendLe(uint64_t value, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void AppendDoubles(const std::vector<double>& values, std::string* out) {
  out->append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
}

// A LAMMPS binary dump snapshot (revision 2): `chunks` chunks of rows of
// `columns` doubles.
std::string LammpsSnapshot(int64_t step, const std::vector<std::vector<double>>& chunks, int columns) {
  std::string out;
  const std::string magic = "DUMPCUSTOM";
  AppendLe(static_cast<uint64_t>(-static_cast<int64_t>(magic.size())), 8, &out);
  out += magic;
  AppendLe(1, 4, &out);  // endian
  AppendLe(2, 4, &out);  // revision
  uint64_t atoms = 0;
  for (const auto& chunk : chunks) atoms += chunk.size() / static_cast<size_t>(columns);
  AppendLe(static_cast<uint64_t>(step), 8, &out);
  AppendLe(atoms, 8, &out);
  AppendLe(0, 4, &out);  // triclinic
  for (int i = 0; i < 6; ++i) AppendLe(1, 4, &out);
  AppendDoubles({0, 10, 0, 10, 0, 10}, &out);
  AppendLe(static_cast<uint64_t>(columns), 4, &out);
  AppendLe(2, 4, &out);
  out += "lj";
  out.push_back(0);  // no time
  const std::string names = "id x y z vx";
  AppendLe(names.size(), 4, &out);
  out += names;
  AppendLe(chunks.size(), 4, &out);
  for (const auto& chunk : chunks) {
    AppendLe(chunk.size(), 4, &out);
    AppendDoubles(chunk, &out);
  }
  return out;
}

std::vector<double> Rows(size_t first, size_t rows, int columns) {
  std::vector<double> values;
  for (size_t r = first; r < first + rows; ++r) {
    values.push_back(static_cast<double>(r + 1));
    for (int c = 1; c < columns; ++c) values.push_back(std::sin(0.01 * static_cast<double>(r) + c) * 3.0);
  }
  return values;
}

TEST(TypedArchiveTest, LammpsBinaryDumpSnapshotsAreArrays) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  const int columns = 5;
  const std::string dump = LammpsSnapshot(0, {Rows(0, 1000, columns)}, columns) +
                           LammpsSnapshot(100, {Rows(0, 600, columns), Rows(600, 400, columns)}, columns);
  std::ofstream(tmp / "in/melt.bin", std::ios::binary) << dump;
  // The same dump cut short: its last chunk runs past the end, so it stays bytes.
  std::ofstream(tmp / "in/cut.bin", std::ios::binary) << dump.substr(0, dump.size() - 100);
  const std::string archive = RoundTrip(tmp, tmp / "in", "lammps");
  // Rows of 40 bytes in 16 KiB boxes of 409 rows: 1000 rows -> 3, 600 -> 2, 400 -> 1.
  EXPECT_EQ(ArrayChunks(archive), 3u + 2u + 1u);
  const std::vector<double> expected = Rows(550, 100, columns);  // across the two chunks of snapshot 1
  auto raw = ExtractSlabTo(archive, "in/melt.bin:/snapshot1_step100", "550:650,:", tmp / "rows.raw");
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_TRUE(*raw == std::string(reinterpret_cast<const char*>(expected.data()), expected.size() * 8));
}

// An OpenFOAM binary field: internal field List<vector>, a boundary patch's
// List<scalar>, and one list whose count lies (stays bytes).
TEST(TypedArchiveTest, OpenFoamBinaryListsAreArrays) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in/0.1");
  std::string field =
      "FoamFile\n{\n    version     2.0;\n    format      binary;\n    class       volVectorField;\n"
      "    arch        \"LSB;label=32;scalar=64\";\n    object      U;\n}\n\n"
      "internalField   nonuniform List<vector> \n1000\n(";
  std::vector<double> u;
  for (int i = 0; i < 3000; ++i) u.push_back(std::cos(0.003 * i));
  AppendDoubles(u, &field);
  field += ")\n;\nboundaryField\n{\n    top\n    {\n        type calculated;\n"
           "        value           nonuniform List<scalar> \n600\n(";
  AppendDoubles(std::vector<double>(u.begin(), u.begin() + 600), &field);
  field += ")\n;\n    }\n    liar\n    {\n        value nonuniform List<scalar> \n900000\n(";
  AppendDoubles(std::vector<double>(u.begin(), u.begin() + 700), &field);
  field += ")\n;\n    }\n}\n";
  std::ofstream(tmp / "in/0.1/U", std::ios::binary) << field;
  const std::string archive = RoundTrip(tmp, tmp / "in", "foam");
  EXPECT_EQ(ArrayChunks(archive), 2u + 1u);  // 24 KB internal field in 16 KiB boxes, 4.8 KB patch
  auto raw = ExtractSlabTo(archive, "in/0.1/U:/U/0", "10:20,:", tmp / "u.raw");
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_TRUE(*raw == std::string(reinterpret_cast<const char*>(u.data() + 30), 30 * 8));
}

// The in-process scanners (LAMMPS, OpenFOAM) on hostile variants of valid
// files: truncated at many lengths and with bytes replaced; they either fail
// cleanly or report regions inside the file without overlaps.
TEST(TypedArchiveTest, ScannersSurviveTruncationAndMutation) {
  TempDir tmp;
  const int columns = 3;
  std::string foam =
      "FoamFile\n{\n    format      binary;\n    class       volScalarField;\n"
      "    arch        \"LSB;label=32;scalar=64\";\n    object      p;\n}\n"
      "internalField   nonuniform List<scalar> \n600\n(";
  AppendDoubles(Rows(0, 200, columns), &foam);
  foam += ")\n;\n";
  const std::vector<std::string> originals = {
      LammpsSnapshot(5, {Rows(0, 200, columns), Rows(200, 100, columns)}, columns), foam};
  uint64_t state = 99;
  const auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (const std::string& original : originals) {
    std::vector<std::string> variants;
    for (size_t cut = 0; cut < original.size(); cut += 1 + original.size() / 97) {
      variants.push_back(original.substr(0, cut));
    }
    for (int i = 0; i < 300; ++i) {
      std::string mutated = original;
      const size_t at = next() % std::min<size_t>(mutated.size(), 400);  // headers and counts
      mutated[at] = static_cast<char>(next());
      variants.push_back(mutated);
    }
    for (const std::string& bytes : variants) ExpectSaneRegions(tmp, bytes);
  }
}

// NetCDF files written by the netCDF library (netcdf-bin's ncgen).
class NetcdfTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NetcdfTest, EveryFormatRoundTrips) {
  if (access("/usr/bin/ncgen", X_OK) != 0) GTEST_SKIP() << "ncgen not installed (netcdf-bin)";
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  const std::string kind = GetParam();
  std::ofstream cdl(tmp / "t.cdl");
  cdl << "netcdf t {\ndimensions:\n  time = UNLIMITED ;\n  y = 40 ;\n  x = 64 ;\n"
      << "variables:\n  float temp(time, y, x) ;\n";
  if (kind == "netCDF-4") {  // storage attributes exist in netCDF-4 only
    cdl << "    temp:_Storage = \"chunked\" ;\n    temp:_ChunkSizes = 1, 40, 64 ;\n"
        << "    temp:_DeflateLevel = 4 ;\n    temp:_Shuffle = \"true\" ;\n";
  }
  cdl << "  double height(y, x) ;\n  short mask(y, x) ;\n  char label(x) ;\n"
      << "data:\n  temp = ";
  for (int i = 0; i < 3 * 40 * 64; ++i) cdl << (i ? ", " : "") << 280.0 + 0.01 * (i % 640) + (i % 3);
  cdl << " ;\n  height = ";
  for (int i = 0; i < 40 * 64; ++i) cdl << (i ? ", " : "") << 0.5 * i;
  cdl << " ;\n  mask = ";
  for (int i = 0; i < 40 * 64; ++i) cdl << (i ? ", " : "") << (i / 100) % 3;
  cdl << " ;\n  label = \"a label\" ;\n}\n";
  cdl.close();
  ASSERT_EQ(std::system(("ncgen -k '" + kind + "' -o " + std::string(tmp / "in/t.nc") + " " +
                         std::string(tmp / "t.cdl") + " 2>/dev/null").c_str()), 0);
  const std::string archive = RoundTrip(tmp, tmp / "in", "nc");
  if (kind == "netCDF-4") return;  // its tiles deflate below the typed minimum (deflated_slab_test)
  EXPECT_GE(ArrayChunks(archive), 3u);  // three temp records, height, mask
  // Slabs across the record slabs and of a fixed variable equal the file's bytes.
  auto header = ReadNetcdf3Header(tmp / "in/t.nc");
  ASSERT_TRUE(header.ok());
  const std::string bytes = ReadFile(tmp / "in/t.nc");
  for (const Netcdf3Variable& v : header->variables) {
    if (v.name != "temp" && v.name != "height") continue;
    const Netcdf3Regions regions = VariableRegions(*header, v);
    std::string expected;
    const std::string slab = v.name == "temp" ? "1:3,:,:" : "";
    for (uint64_t i = v.name == "temp" ? 1 : 0; i < regions.count; ++i) {
      expected += bytes.substr(regions.Offset(i), regions.region_bytes);
    }
    auto raw = ExtractSlabTo(archive, "in/t.nc:/" + v.name, slab, tmp / "slab.raw");
    ASSERT_TRUE(raw.ok()) << raw.status().message();
    EXPECT_TRUE(*raw == expected) << v.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, NetcdfTest,
                         ::testing::Values("classic", "64-bit offset", "64-bit data", "netCDF-4"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase_if(name, [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); });
                           return name;
                         });

// A NetCDF-3 header whose variables claim more bytes than the file holds:
// the file is stored as bytes and the job succeeds.
TEST(TypedArchiveTest, HeaderClaimingMoreThanTheFileIsStoredAsBytes) {
  if (access("/usr/bin/ncgen", X_OK) != 0) GTEST_SKIP() << "ncgen not installed (netcdf-bin)";
  TempDir tmp;
  std::filesystem::create_directories(tmp / "in");
  std::ofstream(tmp / "t.cdl") << "netcdf t {\ndimensions:\n  x = 4000 ;\nvariables:\n  double v(x) ;\n}\n";
  ASSERT_EQ(std::system(("ncgen -k classic -o " + std::string(tmp / "full.nc") + " " +
                         std::string(tmp / "t.cdl")).c_str()), 0);
  std::string bytes = ReadFile(tmp / "full.nc");
  ASSERT_GT(bytes.size(), 8000u);
  bytes.resize(bytes.size() - 5000);  // the header still says 4000 doubles
  std::ofstream(tmp / "in/truncated.nc", std::ios::binary) << bytes;
  const std::string archive = RoundTrip(tmp, tmp / "in", "truncated");
  EXPECT_EQ(ArrayChunks(archive), 0u);
}

}  // namespace
}  // namespace lmarc::testing
