// Helpers of the typed-region tests (typed_archive_test, deflated_slab_test):
// HDF5 inputs written with the C API, compress/verify/decompress round trips
// through the array helper (LMARC_BINARY), slab extraction and the same slab
// read with the HDF5 API.
#pragma once

#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "io/dataset_slab.h"
#include "io/typed_regions.h"
#include "jobs/decompress_job.h"
#include "tests/archive_test_util.h"

namespace lmarc::testing {

inline size_t ChunksOf(const std::string& archive, CodecId codec) {
  size_t count = 0;
  for (const ChunkRow& row : ChunkRowsOf(archive)) count += row.codec == static_cast<uint16_t>(codec);
  return count;
}

inline size_t ArrayChunks(const std::string& archive) { return ChunksOf(archive, CodecId::kArray); }

// Compresses `root` with `options` adjustments, checks the round trip and
// returns the archive path.
inline std::string RoundTrip(const TempDir& tmp, const std::string& root, const std::string& name,
                             const std::function<void(CompressOptions&)>& adjust = {}) {
  const std::string archive = tmp / (name + ".lmarc.h5");
  CompressOptions options = QuietCompress({root}, archive, "cm", 16 << 10);
  options.array_scan.helper = LMARC_BINARY;
  if (adjust) adjust(options);
  const Status compressed = RunCompress(options);
  EXPECT_TRUE(compressed.ok()) << compressed.message();
  EXPECT_TRUE(Verify(archive, /*quick=*/false).ok());
  const std::string out = tmp / (name + ".out");
  const Status restored = Decompress(archive, out);
  EXPECT_TRUE(restored.ok()) << restored.message();
  ExpectSameTree(root, out + "/" + std::filesystem::path(root).filename().string());
  return archive;
}

// A field with smooth structure, noise in the low bits and, for floats,
// NaN, ±Inf, −0.0 and denormals at fixed places.
template <typename T>
std::vector<T> Field(size_t n) {
  std::vector<T> values(n);
  for (size_t i = 0; i < n; ++i) {
    const double smooth = 1000.0 * std::sin(0.01 * static_cast<double>(i)) + static_cast<double>(i % 7);
    if constexpr (std::is_floating_point_v<T>) {
      values[i] = static_cast<T>(smooth);
    } else {
      values[i] = static_cast<T>(static_cast<int64_t>(smooth) & static_cast<int64_t>(std::numeric_limits<T>::max()));
    }
  }
  if constexpr (std::is_floating_point_v<T>) {
    values[3] = std::numeric_limits<T>::quiet_NaN();
    values[5] = std::numeric_limits<T>::infinity();
    values[6] = -std::numeric_limits<T>::infinity();
    values[7] = static_cast<T>(-0.0);
    values[9] = std::numeric_limits<T>::denorm_min();
  }
  return values;
}

// A dataset `name` of `values` (extents `dims`); chunked when `chunk` is
// given, then through shuffle (when `shuffle`) and deflate at
// `deflate_level` (-1: no filters).
template <typename T>
void WriteValues(hid_t file, const std::string& name, hid_t file_type, hid_t memory_type,
                 std::vector<hsize_t> dims, const std::vector<T>& values,
                 const std::vector<hsize_t>& chunk = {}, int deflate_level = -1, bool shuffle = false) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (!chunk.empty()) {
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    if (shuffle) H5Pset_shuffle(dcpl);
    if (deflate_level >= 0) H5Pset_deflate(dcpl, static_cast<unsigned>(deflate_level));
  }
  const hid_t dataset = H5Dcreate2(file, name.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  ASSERT_GE(dataset, 0) << name;
  ASSERT_GE(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  H5Dclose(dataset);
  H5Pclose(dcpl);
  H5Sclose(space);
}

// WriteValues of a Field.
template <typename T>
void WriteDataset(hid_t file, const std::string& name, hid_t file_type, hid_t memory_type,
                  std::vector<hsize_t> dims, const std::vector<hsize_t>& chunk = {},
                  int deflate_level = -1, bool shuffle = false) {
  hsize_t n = 1;
  for (hsize_t d : dims) n *= d;
  WriteValues<T>(file, name, file_type, memory_type, dims, Field<T>(n), chunk, deflate_level, shuffle);
}

// Writes `bytes` to a file in `tmp` and scans it: LocateArraysInFile either
// fails cleanly or reports regions inside the file, in order, without
// overlaps (the check of the scanners' fuzz tests).
inline void ExpectSaneRegions(const TempDir& tmp, const std::string& bytes) {
  const std::string path = tmp / "scanned.bin";
  std::ofstream(path, std::ios::binary) << bytes;
  auto regions = LocateArraysInFile(path, bytes.size(), nullptr);
  if (!regions.ok()) return;
  uint64_t end = 0;
  for (const TypedRegion& r : *regions) {
    ASSERT_GE(r.offset, end);
    ASSERT_LE(r.offset + r.bytes(), bytes.size());
    end = r.offset + r.bytes();
  }
}

// `extract ARCHIVE --dataset --slab` to `output` (.h5: HDF5, else raw); the
// output's bytes.
inline StatusOr<std::string> ExtractSlabTo(const std::string& archive, const std::string& dataset,
                                           const std::string& slab, const std::string& output,
                                           uint64_t* decoded = nullptr) {
  ExtractOptions options;
  options.archive = archive;
  options.dataset = dataset;
  options.slab = slab;
  options.output = output;
  options.overwrite = true;
  options.reporting.quiet = true;
  options.chunks_decoded = decoded;
  RETURN_IF_ERROR(RunExtract(options));
  return ReadFile(output);
}

// The elements [start, start + count) of an HDF5 dataset, in its stored type.
inline std::string ReadHyperslab(const std::string& file, const std::string& name,
                                 const std::vector<hsize_t>& start, const std::vector<hsize_t>& count) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  const hid_t type = H5Dget_type(d);
  const hid_t space = H5Dget_space(d);
  H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  hsize_t n = 1;
  for (hsize_t c : count) n *= c;
  const hid_t memory = H5Screate_simple(1, &n, nullptr);
  std::string bytes(n * H5Tget_size(type), '\0');
  EXPECT_GE(H5Dread(d, type, memory, space, H5P_DEFAULT, bytes.data()), 0);
  H5Sclose(memory);
  H5Sclose(space);
  H5Tclose(type);
  H5Dclose(d);
  H5Fclose(f);
  return bytes;
}

// A slab (--slab text) of a dataset and the same elements as a hyperslab.
struct SlabCase {
  std::string dataset, slab;  // "/group/var", e.g. "0:10,:"
  std::vector<hsize_t> start, count;
};

// Extracts each case from `archive`, where `file` is stored as `member`, as
// raw bytes and as HDF5; both must hold what the HDF5 API reads from `file`.
inline void ExpectSlabsAsHdf5Reads(const std::string& archive, const std::string& member,
                                   const std::string& file, const std::vector<SlabCase>& cases,
                                   const TempDir& tmp) {
  for (const SlabCase& c : cases) {
    SCOPED_TRACE(c.dataset + " " + c.slab);
    const std::string expected = ReadHyperslab(file, c.dataset, c.start, c.count);
    auto raw = ExtractSlabTo(archive, member + ":" + c.dataset, c.slab, tmp / "slab.raw");
    ASSERT_TRUE(raw.ok()) << raw.status().message();
    EXPECT_TRUE(*raw == expected);
    // As HDF5: a dataset named after the variable, of the slab's extents and the stored type.
    ASSERT_TRUE(ExtractSlabTo(archive, member + ":" + c.dataset, c.slab, tmp / "slab.h5").ok());
    const std::string leaf = c.dataset.substr(c.dataset.rfind('/') + 1);
    const std::vector<hsize_t> zero(c.count.size(), 0);
    EXPECT_TRUE(ReadHyperslab(tmp / "slab.h5", leaf, zero, c.count) == expected);
  }
}

}  // namespace lmarc::testing
