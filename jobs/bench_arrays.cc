#include "jobs/bench_arrays.h"

#include <hdf5.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <span>

#include "io/array_scan.h"
#include "io/dataset_slab.h"
#include "jobs/bench_media.h"
#include "model/array/deflated_array_codec.h"
#include "io/h5_handle.h"
#include "jobs/bench_methods.h"
#include "jobs/bench_process.h"
#include "jobs/job_files.h"

namespace lmarc {
namespace fs = std::filesystem;
namespace {

struct ArrayInput {
  std::string file;
  TypedRegion region;
  std::string values_path;  // little-endian copy of the elements
  std::string hdf5_path;    // the same values as a contiguous HDF5 dataset "a"
  uint64_t hdf5_overhead = 0;  // bytes of that file beyond the values
  uint64_t values_bytes = 0;   // bytes of the values
};

// The peer tools found on this machine ("" = missing); xz -9e is the
// bench's own peer method.
struct PeerTools {
  std::string fpzip, zfp, h5repack, blosc;
  std::optional<BenchMethod> xz;
};

Status ReadRegion(const std::string& file, uint64_t offset, std::vector<uint8_t>* bytes) {
  std::ifstream in(file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  if (!in) return IoError(file + ": cannot read " + std::to_string(bytes->size()) + " bytes at " + std::to_string(offset));
  return Status::Ok();
}


// Writes the little-endian values and their HDF5 copy (a deflated tile's
// values inflated and unshuffled: the peers get the same values as lmarc).
Status PrepareArray(ArrayInput* array) {
  const TypedRegion& r = array->region;
  std::vector<uint8_t> bytes(r.bytes());
  RETURN_IF_ERROR(ReadRegion(array->file, r.offset, &bytes));
  const size_t element = array::ElementBytes(r.layout.dtype);
  if (r.deflated()) {
    uint64_t elements = 0;
    RETURN_IF_ERROR(array::CountElements(r.layout, &elements));
    std::vector<uint8_t> inflated(elements * element);
    uLongf size = static_cast<uLongf>(inflated.size());
    if (uncompress(inflated.data(), &size, bytes.data(), static_cast<uLong>(bytes.size())) != Z_OK ||
        size != inflated.size()) {
      return Corrupt(array->file + ":" + r.dataset + ": a deflated tile does not inflate to its layout");
    }
    bytes.assign(inflated.size(), 0);
    if (r.shuffle) {
      array::Unshuffle(inflated, element, bytes);
    } else {
      bytes = std::move(inflated);
    }
  }
  if (r.layout.byte_order == array::ByteOrder::kBig) {
    for (size_t i = 0; i < bytes.size(); i += element) std::reverse(&bytes[i], &bytes[i] + element);
  }
  array->values_bytes = bytes.size();
  std::ofstream(array->values_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  std::vector<hsize_t> dims(r.layout.shape.begin(), r.layout.shape.end());
  H5Id file(H5Fcreate(array->hdf5_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  H5Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  const H5Id type = Hdf5ElementType(r.layout.dtype, array::ByteOrder::kLittle);
  H5Id dataset(H5Dcreate2(file.get(), "a", type.get(), space.get(), H5P_DEFAULT,
                          H5P_DEFAULT, H5P_DEFAULT),
               H5Dclose);
  if (!dataset.valid() || H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL,
                                   H5P_DEFAULT, bytes.data()) < 0) {
    return IoError(array->hdf5_path + ": cannot write the HDF5 copy");
  }
  dataset.Reset();
  file.Reset();
  ASSIGN_OR_RETURN(const uint64_t hdf5_bytes, FileBytes(array->hdf5_path));
  array->hdf5_overhead = hdf5_bytes - std::min<uint64_t>(hdf5_bytes, bytes.size());
  return Status::Ok();
}

// Dataset "a" of an HDF5 file equals the bytes of `values_path`.
SameCheck SameHdf5Values(const std::string& values_path) {
  return [values_path](const std::string&, const std::string& restored) -> StatusOr<bool> {
    H5Id file(H5Fopen(restored.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    H5Id dataset(H5Dopen2(file.get(), "a", H5P_DEFAULT), H5Dclose);
    if (!dataset.valid()) return false;
    H5Id type(H5Dget_type(dataset.get()), H5Tclose);
    std::ifstream in(values_path, std::ios::binary);
    const std::string want((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string got(want.size(), '\0');
    return H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, got.data()) >= 0 &&
           got == want;
  };
}

// Extents fastest first (fpzip's and zfp's nx ny ...), at most `max`, the
// outermost merged into the last.
std::vector<std::string> FastestFirst(const std::vector<uint64_t>& shape, size_t max) {
  std::vector<uint64_t> dims(shape.rbegin(), shape.rend());
  while (dims.size() > max) {
    dims[dims.size() - 2] *= dims.back();
    dims.pop_back();
  }
  std::vector<std::string> text;
  for (uint64_t d : dims) text.push_back(std::to_string(d));
  return text;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The peers that apply to `array`, as bench methods on its value file (the
// h5repack peer on its HDF5 copy).
std::vector<BenchMethod> PeersFor(const ArrayInput& array, const PeerTools& tools) {
  const array::ArrayLayout& layout = array.region.layout;
  const bool is_float = array::IsFloat(layout.dtype);
  const size_t element = array::ElementBytes(layout.dtype);
  std::vector<BenchMethod> peers;
  if (!tools.fpzip.empty() && is_float) {
    const std::vector<std::string> dims = FastestFirst(layout.shape, 4);
    const std::vector<std::string> type = {"-t", element == 4 ? "float" : "double",
                                           "-" + std::to_string(dims.size())};
    peers.push_back({.name = "fpzip", .tool = "fpzip", .executable = tools.fpzip,
                     .compressed_suffix = ".fpz",
                     .compress = {Concat(Concat(type, dims), {"-q", "-i", "{in}", "-o", "{out}"})},
                     .decompress = {Concat(Concat(Concat({"-d"}, type), dims), {"-q", "-i", "{in}", "-o", "{out}"})}});
  }
  const bool zfp_type = is_float || layout.dtype == array::DType::kI32 || layout.dtype == array::DType::kI64;
  if (!tools.zfp.empty() && zfp_type) {
    const std::vector<std::string> dims = FastestFirst(layout.shape, 4);
    const std::string type = std::string(array::DTypeName(layout.dtype));
    const std::vector<std::string> head = {"-R", "-t", type, "-" + std::to_string(dims.size())};
    peers.push_back({.name = "zfp-R", .tool = "zfp", .executable = tools.zfp, .compressed_suffix = ".zfp",
                     .compress = {Concat(Concat(head, dims), {"-i", "{in}", "-z", "{out}"})},
                     .decompress = {Concat(Concat(head, dims), {"-z", "{in}", "-o", "{out}"})}});
  }
  if (!tools.blosc.empty()) {
    for (const std::string shuffle : {"shuffle", "bitshuffle"}) {
      peers.push_back({.name = "blosc-" + shuffle + "-zstd", .tool = "lmarc-blosc",
                       .executable = tools.blosc, .compressed_suffix = ".blosc",
                       .compress = {{"c", shuffle, std::to_string(element), "{in}", "{out}"}},
                       .decompress = {{"d", "{in}", "{out}"}}});
    }
  }
  if (!tools.h5repack.empty()) {
    peers.push_back({.name = "hdf5-gzip9-shuffle", .tool = "h5repack", .executable = tools.h5repack,
                     .compressed_suffix = ".h5",
                     .compress = {{"-f", "SHUF", "-f", "GZIP=9", "{in}", "{out}"}},
                     .decompress = {{"-f", "NONE", "{in}", "{out}"}}});
  }
  if (tools.xz) peers.push_back(*tools.xz);
  return peers;
}

StatusOr<PeerTools> FindTools(const std::string& lmarc_binary, const std::string& probe_dir) {
  const auto find = [](const char* name) { return FindExecutableOnPath(name).value_or(""); };
  PeerTools tools{find("fpzip"), find("zfp"), find("h5repack"), "", std::nullopt};
  const std::string blosc = (fs::path(lmarc_binary).parent_path() / "lmarc-blosc").string();
  if (IsExecutableFile(blosc)) tools.blosc = blosc;
  ASSIGN_OR_RETURN(MethodSelection xz, SelectMethods({"xz-9e"}, lmarc_binary, probe_dir));
  if (!xz.methods.empty()) tools.xz = xz.methods.front();
  return tools;
}

struct PeerSum {
  uint64_t arrays = 0, raw = 0, compressed = 0;
  double compress_seconds = 0, decompress_seconds = 0;
};

std::string Percent(double fraction) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(1) << 100.0 * fraction << " %";
  return text.str();
}

}  // namespace

Status RunArrayPeers(const std::vector<std::string>& files, const BenchOptions& options, int cpu,
                     const std::string& work_dir, const std::vector<BenchMeasurement>& totals,
                     const std::string& csv_path, std::ostream& table_out) {
  ScannedTree tree;
  for (const std::string& file : files) {
    ASSIGN_OR_RETURN(const uint64_t size, FileBytes(file));
    FileEntry entry;
    entry.path = file;
    entry.size = size;
    tree.entries.push_back(entry);
    SourceStamp source;
    source.source_path = file;
    source.size = size;
    tree.sources.push_back(source);
  }
  ArrayScanOptions scan;
  scan.helper = options.lmarc_binary;
  const std::vector<TypedRegion> regions = FindTypedRegions(tree, scan);
  if (regions.empty()) return Status::Ok();
  const std::string dir = work_dir + "/arrays";
  fs::create_directories(dir);
  ASSIGN_OR_RETURN(const PeerTools tools, FindTools(options.lmarc_binary, dir));
  const MediaTools media_tools = FindMediaTools();
  bool media_regions = false;

  std::map<std::string, PeerSum> sums;  // by peer name
  uint64_t best_total = 0, array_raw = 0;
  std::ofstream csv;
  if (!csv_path.empty()) {
    csv.open(csv_path);
    csv << "file,dataset,dtype,shape,peer,raw_bytes,compressed_bytes,compress_s,decompress_s\n";
  }
  for (size_t i = 0; i < regions.size(); ++i) {
    ArrayInput array{files[regions[i].entry], regions[i], dir + "/values.bin", dir + "/values.h5", 0};
    RETURN_IF_ERROR(PrepareArray(&array));
    const uint64_t raw = array.values_bytes;
    array_raw += raw;
    uint64_t best = UINT64_MAX;
    // Media peers read a WAV or PNM copy of the same values.
    const std::vector<BenchMethod> media_peers = MediaPeersFor(array.region, media_tools);
    std::string media_copy;
    if (!media_peers.empty()) {
      std::vector<uint8_t> values(array.values_bytes);
      RETURN_IF_ERROR(ReadRegion(array.values_path, 0, &values));
      ASSIGN_OR_RETURN(media_copy, WriteMediaCopy(array.region, values, dir));
      media_regions = true;
    }
    std::vector<BenchMethod> peers = PeersFor(array, tools);
    const size_t first_media_peer = peers.size();
    if (!media_copy.empty()) peers.insert(peers.end(), media_peers.begin(), media_peers.end());
    for (size_t p = 0; p < peers.size(); ++p) {
      const BenchMethod& peer = peers[p];
      const bool hdf5 = peer.tool == "h5repack";
      const bool media = p >= first_media_peer;
      const std::string& input = hdf5 ? array.hdf5_path : (media ? media_copy : array.values_path);
      const SameCheck same =
          hdf5 ? SameHdf5Values(array.values_path) : (media ? SameMediaContent() : SameCheck{});
      ASSIGN_OR_RETURN(BenchMeasurement m,
                       MeasureMethod(peer, input, raw, options.runs, cpu, dir, same));
      if (hdf5) m.compressed_bytes -= std::min(m.compressed_bytes, array.hdf5_overhead);
      best = std::min(best, m.compressed_bytes);
      PeerSum& sum = sums[peer.name];
      ++sum.arrays;
      sum.raw += raw;
      sum.compressed += m.compressed_bytes;
      sum.compress_seconds += m.compress_seconds;
      sum.decompress_seconds += m.decompress_seconds;
      if (csv.is_open()) {
        std::string shape;
        for (uint64_t d : array.region.layout.shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
        csv << array.file << ',' << array.region.dataset << ',' << array::DTypeName(array.region.layout.dtype)
            << ',' << shape << ',' << peer.name << ',' << raw << ',' << m.compressed_bytes << ','
            << m.compress_seconds << ',' << m.decompress_seconds << '\n';
      }
    }
    best_total += best;
    if (!options.quiet) {
      std::cerr << "bench: array " << i + 1 << '/' << regions.size() << ' ' << array.file << ':'
                << array.region.dataset << ' ' << raw << " bytes, best peer " << best << '\n';
    }
  }
  // Bytes outside the arrays, file by file, through xz -9e.
  uint64_t outside_raw = 0, outside_compressed = 0;
  if (tools.xz) {
    for (size_t entry = 0; entry < files.size(); ++entry) {
      std::vector<uint8_t> whole(tree.entries[entry].size), outside;
      RETURN_IF_ERROR(ReadRegion(files[entry], 0, &whole));
      uint64_t cursor = 0;
      for (const TypedRegion& r : regions) {
        if (r.entry != entry) continue;
        outside.insert(outside.end(), whole.begin() + static_cast<ptrdiff_t>(cursor),
                       whole.begin() + static_cast<ptrdiff_t>(r.offset));
        cursor = r.offset + r.bytes();
      }
      outside.insert(outside.end(), whole.begin() + static_cast<ptrdiff_t>(cursor), whole.end());
      if (outside.empty()) continue;
      const std::string path = dir + "/outside.bin";
      std::ofstream(path, std::ios::binary)
          .write(reinterpret_cast<const char*>(outside.data()), static_cast<std::streamsize>(outside.size()));
      ASSIGN_OR_RETURN(const BenchMeasurement m, MeasureMethod(*tools.xz, path, outside.size(), options.runs, cpu, dir));
      outside_raw += outside.size();
      outside_compressed += m.compressed_bytes;
    }
  }

  table_out << "\ntyped arrays: " << regions.size() << " arrays, " << array_raw << " bytes; "
            << outside_raw << " bytes outside them\n";
  table_out << "peer (on the arrays)        arrays      raw bytes  compressed bytes    ratio   compress MB/s   decompress MB/s\n";
  for (const auto& [name, sum] : sums) {
    table_out << std::left << std::setw(26) << name << std::right << std::setw(8) << sum.arrays
              << std::setw(15) << sum.raw << std::setw(18) << sum.compressed << std::setw(9)
              << std::fixed << std::setprecision(3)
              << static_cast<double>(sum.raw) / static_cast<double>(std::max<uint64_t>(sum.compressed, 1))
              << std::setw(16) << std::setprecision(2) << sum.raw / 1e6 / std::max(sum.compress_seconds, 1e-9)
              << std::setw(18) << sum.raw / 1e6 / std::max(sum.decompress_seconds, 1e-9) << '\n';
  }
  const uint64_t peer_total = best_total + outside_compressed;
  table_out << "best peer per array: " << best_total << " bytes; xz -9e outside the arrays: "
            << outside_compressed << " bytes; peer total: " << peer_total << " bytes\n";
  for (const BenchMeasurement& total : totals) {
    if (!total.method.starts_with("lmarc-")) continue;
    const double gain = 1.0 - static_cast<double>(total.compressed_bytes) / static_cast<double>(peer_total);
    table_out << "  " << std::left << std::setw(22) << total.method << std::right << std::setw(12)
              << total.compressed_bytes << " bytes: " << Percent(gain < 0 ? -gain : gain)
              << (gain < 0 ? " larger" : " smaller") << " than the peer total\n";
  }
  std::vector<std::string> missing;
  if (tools.fpzip.empty()) missing.push_back("fpzip");
  if (tools.zfp.empty()) missing.push_back("zfp");
  if (tools.blosc.empty()) missing.push_back("lmarc-blosc (libblosc)");
  if (tools.h5repack.empty()) missing.push_back("h5repack");
  if (!tools.xz) missing.push_back("xz");
  if (media_regions) {
    for (const std::string& name : MissingMediaTools(media_tools)) missing.push_back(name);
  }
  if (!missing.empty()) {
    table_out << "missing array peers:";
    for (const std::string& m : missing) table_out << ' ' << m;
    table_out << '\n';
  }
  return Status::Ok();
}

}  // namespace lmarc
