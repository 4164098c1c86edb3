#include "io/typed_regions.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "io/hdf5_array_locator.h"
#include "io/image_file.h"
#include "io/lammps_dump.h"
#include "io/netcdf3_header.h"
#include "io/openfoam_field.h"
#include "io/wave_file.h"
#include "io/unique_fd.h"
#include "src/byte_order.h"
#include "src/byte_reader.h"

namespace lmarc {
namespace {

uint64_t Product(std::span<const uint64_t> extents) {
  uint64_t product = 1;
  for (uint64_t extent : extents) product *= extent;
  return product;
}

// How an element region is cut (docs/format.md §3): a unit is the trailing
// dimensions from `level` on (the fewest leading dimensions left out so that
// it fits the chunk size), `bytes` long.
struct Units {
  size_t level = 0;
  uint64_t bytes = 0;
};

Units UnitsOf(const array::ArrayLayout& layout, uint64_t chunk_size) {
  const std::vector<uint64_t>& shape = layout.shape;
  const uint64_t element = array::ElementBytes(layout.dtype);
  size_t level = 1;
  while (level < shape.size() && element * Product(std::span(shape).subspan(level)) > chunk_size) ++level;
  return {level, element * Product(std::span(shape).subspan(level))};
}

void AddHdf5Regions(const Hdf5Arrays& arrays, std::vector<TypedRegion>* out) {
  for (const Hdf5Dataset& dataset : arrays.datasets) {
    const size_t rank = dataset.layout.shape.size();
    if (dataset.storage == Hdf5Storage::kContiguous) {
      if (dataset.bytes == 0) continue;
      out->push_back({0, dataset.address, dataset.layout, dataset.path,
                      std::vector<uint64_t>(rank, 0), dataset.layout.shape});
      continue;
    }
    // Unfiltered tiles are elements; deflate(+shuffle) tiles are typed
    // through the deflated-array codec; other pipelines stay bytes.
    const bool deflated = !dataset.filters.empty();
    if (deflated && (!dataset.filters_modelable || dataset.deflate_level < 0)) continue;
    array::ArrayLayout tile = dataset.layout;
    tile.shape = dataset.chunk_shape;
    for (const Hdf5Chunk& chunk : dataset.chunks) {
      if (deflated && chunk.filter_mask != 0) continue;  // a filter was skipped: bytes
      TypedRegion region{0, chunk.address, tile, dataset.path, chunk.start, dataset.layout.shape};
      if (deflated) {
        region.deflate_level = dataset.deflate_level;
        region.shuffle = dataset.shuffle;
        region.stored_bytes = chunk.bytes;
      }
      out->push_back(std::move(region));
    }
  }
}

void AddNetcdf3Regions(const Netcdf3Header& header, std::vector<TypedRegion>* out) {
  for (const Netcdf3Variable& variable : header.variables) {
    if (variable.type == NcType::kChar || variable.shape.size() > array::kMaxRank) continue;
    const Netcdf3Regions regions = VariableRegions(header, variable);
    const size_t rank = regions.layout.shape.size();
    const std::vector<uint64_t> shape =
        variable.shape.empty() ? std::vector<uint64_t>{1} : variable.shape;
    for (uint64_t i = 0; i < regions.count; ++i) {
      std::vector<uint64_t> start(rank, 0);
      if (variable.is_record) start[0] = i;
      out->push_back({0, regions.Offset(i), regions.layout, "/" + variable.name, std::move(start), shape});
    }
  }
}

}  // namespace

uint64_t TypedRegion::bytes() const {
  return deflated() ? stored_bytes : Product(layout.shape) * array::ElementBytes(layout.dtype);
}

bool HasHdf5Signature(const std::string& path, uint64_t file_bytes) {
  static constexpr uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return false;
  // The superblock is at 0 or at a power of two from 512 on (after a user block).
  for (uint64_t offset = 0; offset + 8 <= file_bytes; offset = offset == 0 ? 512 : 2 * offset) {
    uint8_t head[8];
    if (PreadFull(fd.get(), offset, head) != 8) return false;
    if (std::equal(head, head + 8, kSignature)) return true;
  }
  return false;
}

StatusOr<std::vector<TypedRegion>> LocateArraysInFile(const std::string& path,
                                                      uint64_t file_bytes,
                                                      const RawArraySpec* raw) {
  std::vector<TypedRegion> found;
  if (raw != nullptr) {
    TypedRegion region{0, raw->offset, raw->layout, "",
                       std::vector<uint64_t>(raw->layout.shape.size(), 0), raw->layout.shape};
    uint64_t elements = 0;
    RETURN_IF_ERROR(array::CountElements(raw->layout, &elements));
    const uint64_t element = array::ElementBytes(raw->layout.dtype);
    if (raw->offset > file_bytes || elements > (file_bytes - raw->offset) / element) {
      return InvalidArgument("smaller than --offset plus the array (" +
                             std::to_string(raw->offset) + " + " + std::to_string(elements) +
                             " x " + std::to_string(element) + " bytes)");
    }
    found.push_back(std::move(region));
  } else {
    uint8_t magic[4096] = {};
    size_t head_bytes = 0;
    {
      UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!fd.valid()) return IoError("cannot open for array scanning");
      head_bytes = PreadFull(fd.get(), 0, magic);
    }
    const std::span<const uint8_t> head(magic, head_bytes);
    if (HasLammpsDumpMagic(head)) {
      ASSIGN_OR_RETURN(found, LocateLammpsDump(path, file_bytes));
    } else if (head_bytes >= 4 && HasNetcdf3Magic(head)) {
      ASSIGN_OR_RETURN(const Netcdf3Header header, ReadNetcdf3Header(path));
      if (header.file_bytes != file_bytes) return Corrupt("file changed during the array scan");
      AddNetcdf3Regions(header, &found);
    } else if (HasHdf5Signature(path, file_bytes)) {
      ASSIGN_OR_RETURN(const Hdf5Arrays arrays, LocateHdf5Arrays(path));
      if (arrays.file_bytes != file_bytes) return Corrupt("file changed during the array scan");
      AddHdf5Regions(arrays, &found);
    } else if (HasOpenFoamHeader(head)) {
      ASSIGN_OR_RETURN(found, LocateOpenFoamLists(path, file_bytes));
    } else if (HasWaveMagic(head)) {
      ASSIGN_OR_RETURN(found, LocateWaveSamples(path, file_bytes));
    } else if (HasImageMagic(head)) {
      ASSIGN_OR_RETURN(found, LocateImagePixels(path, file_bytes));
    }
  }
  // Small ones out; sorted; the locators exclude overlaps, checked again here.
  std::erase_if(found, [](const TypedRegion& r) { return r.bytes() < kMinTypedRegionBytes; });
  std::sort(found.begin(), found.end(),
            [](const TypedRegion& a, const TypedRegion& b) { return a.offset < b.offset; });
  RETURN_IF_ERROR(CheckRegions(found, file_bytes));
  return found;
}

Status CheckRegions(std::span<const TypedRegion> regions, uint64_t file_bytes) {
  for (size_t i = 0; i < regions.size(); ++i) {
    const TypedRegion& r = regions[i];
    if (r.bytes() < kMinTypedRegionBytes || r.offset > file_bytes ||
        r.bytes() > file_bytes - r.offset ||
        (i > 0 && regions[i - 1].offset + regions[i - 1].bytes() > r.offset)) {
      return Corrupt("array regions overlap, run past the end of the file or are too small");
    }
  }
  return Status::Ok();
}

TypedSpan SpanOf(const TypedRegion& region, uint64_t file, uint64_t chunk_size) {
  if (region.deflated()) {
    return {.file = file, .offset = region.offset, .unit_bytes = region.stored_bytes, .run_units = 1, .runs = 1};
  }
  const std::vector<uint64_t>& shape = region.layout.shape;
  const Units units = UnitsOf(region.layout, chunk_size);
  return {.file = file, .offset = region.offset, .unit_bytes = units.bytes,
          .run_units = shape[units.level - 1], .runs = Product(std::span(shape).first(units.level - 1))};
}

array::ArrayLayout ChunkLayout(const TypedRegion& region, uint64_t chunk_size, uint64_t raw_size) {
  if (region.deflated()) return region.layout;
  const std::vector<uint64_t>& shape = region.layout.shape;
  const Units units = UnitsOf(region.layout, chunk_size);
  array::ArrayLayout layout = region.layout;
  layout.shape.assign(1, raw_size / units.bytes);
  layout.shape.insert(layout.shape.end(), shape.begin() + static_cast<ptrdiff_t>(units.level), shape.end());
  return layout;
}

void ChunkBox(const TypedRegion& region, uint64_t chunk_size, uint64_t first_unit,
              uint64_t raw_size, std::vector<uint64_t>* start, std::vector<uint64_t>* count) {
  const std::vector<uint64_t>& shape = region.layout.shape;
  if (region.deflated()) {
    *start = region.start;
    *count = shape;
    return;
  }
  const auto [level, unit_bytes] = UnitsOf(region.layout, chunk_size);
  // Unit u: run u / d[L-1] (over dimensions 0..L-2, C order), index u % d[L-1] along L-1.
  *start = region.start;
  count->assign(shape.size(), 1);
  uint64_t run = first_unit / shape[level - 1];
  (*start)[level - 1] += first_unit % shape[level - 1];
  for (size_t d = level - 1; d-- > 0;) {
    (*start)[d] += run % shape[d];
    run /= shape[d];
  }
  (*count)[level - 1] = raw_size / unit_bytes;
  for (size_t d = level; d < shape.size(); ++d) (*count)[d] = shape[d];
}

void AppendRegions(std::span<const TypedRegion> regions, std::vector<uint8_t>* out) {
  AppendLe64(regions.size(), out);
  for (const TypedRegion& region : regions) {
    AppendLe64(region.entry, out);
    AppendLe64(region.offset, out);
    array::AppendLayoutRecord(region.layout, out);
    AppendLe32(static_cast<uint32_t>(region.dataset.size()), out);
    out->insert(out->end(), region.dataset.begin(), region.dataset.end());
    for (uint64_t coordinate : region.start) AppendLe64(coordinate, out);
    for (uint64_t extent : region.dataset_shape) AppendLe64(extent, out);
    out->push_back(region.deflated() ? static_cast<uint8_t>(region.deflate_level + 1) : 0);
    out->push_back(region.shuffle ? 1 : 0);
    AppendLe64(region.stored_bytes, out);
  }
}

StatusOr<std::vector<TypedRegion>> ParseRegions(std::span<const uint8_t> bytes) {
  ByteReader in(bytes, "array regions");
  uint64_t count = 0;
  RETURN_IF_ERROR(in.U64("region count", &count));
  if (count > bytes.size()) return Corrupt("array regions: bad count");
  std::vector<TypedRegion> regions(count);
  for (TypedRegion& region : regions) {
    RETURN_IF_ERROR(in.U64("entry", &region.entry));
    RETURN_IF_ERROR(in.U64("offset", &region.offset));
    RETURN_IF_ERROR(array::ReadLayoutRecord(&in, &region.layout));
    uint64_t elements = 0;
    RETURN_IF_ERROR(array::CountElements(region.layout, &elements));
    if (elements > (uint64_t{1} << 60) / array::ElementBytes(region.layout.dtype)) {
      return Corrupt("array regions: region too large");
    }
    uint32_t name_size = 0;
    const uint8_t* name = nullptr;
    RETURN_IF_ERROR(in.U32("dataset name size", &name_size));
    RETURN_IF_ERROR(in.Bytes(name_size, "dataset name", &name));
    region.dataset.assign(reinterpret_cast<const char*>(name), name_size);
    region.start.resize(region.layout.shape.size());
    for (uint64_t& coordinate : region.start) RETURN_IF_ERROR(in.U64("start", &coordinate));
    region.dataset_shape.resize(region.layout.shape.size());
    for (uint64_t& extent : region.dataset_shape) RETURN_IF_ERROR(in.U64("dataset extent", &extent));
    uint8_t deflate = 0, shuffle = 0;
    RETURN_IF_ERROR(in.U8("deflate level", &deflate));
    RETURN_IF_ERROR(in.U8("shuffle", &shuffle));
    RETURN_IF_ERROR(in.U64("stored bytes", &region.stored_bytes));
    if (deflate > 10 || shuffle > 1 || (deflate > 0) != (region.stored_bytes > 0)) {
      return Corrupt("array regions: bad filter fields");
    }
    region.deflate_level = static_cast<int>(deflate) - 1;
    region.shuffle = shuffle == 1;
  }
  if (in.position() != bytes.size()) return Corrupt("array regions: trailing bytes");
  return regions;
}

}  // namespace lmarc
