// NetCDF-3 header parsing and variable regions (io/netcdf3_header.h): files
// written byte by byte from the format specification (classic, 64-bit
// offset, CDF-5), hostile variants of them, and files from ncgen when it is
// installed.
#include "io/netcdf3_header.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "tests/io_test_util.h"

namespace lmarc {
namespace {

using ::lmarc::testing::ReadFile;
using ::lmarc::testing::TempDir;
using ::lmarc::testing::WriteFile;
using Bytes = std::vector<uint8_t>;

struct Dim {
  std::string name;
  uint64_t length;  // 0: the record dimension
};
struct Var {
  std::string name;
  NcType type;
  std::vector<uint64_t> dims;
};
struct FileSpec {
  Netcdf3Format format;
  std::vector<Dim> dims;
  std::vector<Var> vars;
  uint64_t numrecs = 0;
};

// A file built from a FileSpec, with the offsets of its header fields (for
// patching) and each variable's data bytes per record (one entry for a
// fixed-size variable).
struct Built {
  Bytes bytes;
  std::map<std::string, size_t> at;
  std::vector<std::vector<Bytes>> data;
};

constexpr uint8_t kPadding = 0xAA;  // data padding: visible if a region is off

void AppendBigEndian(uint64_t value, size_t width, Bytes* out) {
  for (size_t i = width; i-- > 0;) out->push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// Element k of record r of variable v: distinct per variable, record and index.
void AppendValue(NcType type, size_t v, uint64_t r, uint64_t k, Bytes* out) {
  const double value = (v + 1) * 1000.0 + r * 100.0 + k;
  switch (type) {
    case NcType::kFloat: AppendBigEndian(std::bit_cast<uint32_t>(static_cast<float>(value + 0.25)), 4, out); break;
    case NcType::kDouble: AppendBigEndian(std::bit_cast<uint64_t>(-(value + 0.125)), 8, out); break;
    case NcType::kChar: out->push_back(static_cast<uint8_t>('a' + (k + r) % 26)); break;
    case NcType::kByte: out->push_back(static_cast<uint8_t>(static_cast<int8_t>(k % 200) - 100)); break;
    default: {
      const uint64_t bytes = NcTypeBytes(type);
      const uint64_t integer = static_cast<uint64_t>(value) * (bytes == 8 ? 0x100000001ull : 1);
      AppendBigEndian(static_cast<uint64_t>(-static_cast<int64_t>(integer)), bytes, out);
    }
  }
}

class HeaderWriter {
 public:
  HeaderWriter(Netcdf3Format format, Built* built) : format_(format), built_(built) {}
  void Mark(const std::string& key) { built_->at[key] = built_->bytes.size(); }
  void U32(uint64_t value) { AppendBigEndian(value, 4, &built_->bytes); }
  void NonNeg(uint64_t value) {
    AppendBigEndian(value, format_ == Netcdf3Format::kData64 ? 8 : 4, &built_->bytes);
  }
  void Offset(uint64_t value) {
    AppendBigEndian(value, format_ == Netcdf3Format::kClassic ? 4 : 8, &built_->bytes);
  }
  void Name(const std::string& name) {
    NonNeg(name.size());
    built_->bytes.insert(built_->bytes.end(), name.begin(), name.end());
    while (built_->bytes.size() % 4 != 0) built_->bytes.push_back(0);
  }
  void TextAttribute(const std::string& name, const std::string& text) {
    Name(name);
    U32(static_cast<uint64_t>(NcType::kChar));
    Name(text);  // nelems + chars + padding: the same bytes as a name
  }

 private:
  Netcdf3Format format_;
  Built* built_;
};

uint64_t SlabBytes(const FileSpec& spec, const Var& var) {
  uint64_t bytes = NcTypeBytes(var.type);
  for (uint64_t id : var.dims) bytes *= spec.dims[id].length == 0 ? 1 : spec.dims[id].length;
  return bytes;
}
bool IsRecord(const FileSpec& spec, const Var& var) {
  return !var.dims.empty() && spec.dims[var.dims[0]].length == 0;
}
uint64_t Padded(uint64_t bytes) { return (bytes + 3) / 4 * 4; }

void WriteHeader(const FileSpec& spec, const std::vector<uint64_t>& begins, Built* built) {
  built->bytes = {'C', 'D', 'F', static_cast<uint8_t>(spec.format)};
  HeaderWriter w(spec.format, built);
  w.Mark("numrecs");
  w.NonNeg(spec.numrecs);
  w.U32(spec.dims.empty() ? 0 : 0x0A);
  w.Mark("dim_count");
  w.NonNeg(spec.dims.size());
  for (size_t i = 0; i < spec.dims.size(); ++i) {
    w.Mark("dim_name_length." + std::to_string(i));
    w.Name(spec.dims[i].name);
    w.Mark("dim_length." + std::to_string(i));
    w.NonNeg(spec.dims[i].length);
  }
  w.U32(0x0C);  // global attributes: a text and two doubles
  w.Mark("gatt_count");
  w.NonNeg(2);
  w.TextAttribute("title", "written by netcdf3_header_test");
  w.Name("scale");
  w.U32(static_cast<uint64_t>(NcType::kDouble));
  w.Mark("gatt_nelems.1");
  w.NonNeg(2);
  AppendBigEndian(std::bit_cast<uint64_t>(1.5), 8, &built->bytes);
  AppendBigEndian(std::bit_cast<uint64_t>(-2.5), 8, &built->bytes);
  w.U32(spec.vars.empty() ? 0 : 0x0B);
  w.Mark("var_count");
  w.NonNeg(spec.vars.size());
  for (size_t i = 0; i < spec.vars.size(); ++i) {
    const Var& var = spec.vars[i];
    const std::string index = std::to_string(i);
    w.Name(var.name);
    w.Mark("var_rank." + index);
    w.NonNeg(var.dims.size());
    for (size_t d = 0; d < var.dims.size(); ++d) {
      w.Mark("var_dimid." + index + "." + std::to_string(d));
      w.NonNeg(var.dims[d]);
    }
    if (i % 2 == 0) {  // ABSENT attributes, or one
      w.U32(0);
      w.NonNeg(0);
    } else {
      w.U32(0x0C);
      w.NonNeg(1);
      w.TextAttribute("units", "m/s");
    }
    w.Mark("var_type." + index);
    w.U32(static_cast<uint64_t>(var.type));
    w.Mark("var_vsize." + index);
    w.NonNeg(Padded(SlabBytes(spec, var)));
    w.Mark("var_begin." + index);
    w.Offset(begins[i]);
  }
}

// Header, fixed-size variables in header order (each padded to vsize), then
// the records (each record variable's slab padded to vsize, except when it
// is the only record variable).
Built Build(const FileSpec& spec) {
  Built built;
  std::vector<uint64_t> begins(spec.vars.size(), 0);
  WriteHeader(spec, begins, &built);  // sizes the header
  uint64_t offset = built.bytes.size();
  size_t record_variables = 0;
  for (size_t i = 0; i < spec.vars.size(); ++i) {
    if (IsRecord(spec, spec.vars[i])) {
      ++record_variables;
      continue;
    }
    begins[i] = offset;
    offset += Padded(SlabBytes(spec, spec.vars[i]));
  }
  const uint64_t record_begin = offset;
  for (size_t i = 0; i < spec.vars.size(); ++i) {
    if (!IsRecord(spec, spec.vars[i])) continue;
    begins[i] = offset;
    offset += record_variables == 1 ? SlabBytes(spec, spec.vars[i]) : Padded(SlabBytes(spec, spec.vars[i]));
  }
  const uint64_t record_bytes = offset - record_begin;
  WriteHeader(spec, begins, &built);
  built.bytes.resize(record_begin + spec.numrecs * record_bytes, kPadding);
  built.data.resize(spec.vars.size());
  for (size_t i = 0; i < spec.vars.size(); ++i) {
    const Var& var = spec.vars[i];
    const bool record = IsRecord(spec, var);
    for (uint64_t r = 0; r < (record ? spec.numrecs : 1); ++r) {
      Bytes slab;
      for (uint64_t k = 0; k < SlabBytes(spec, var) / NcTypeBytes(var.type); ++k) {
        AppendValue(var.type, i, r, k, &slab);
      }
      std::copy(slab.begin(), slab.end(), built.bytes.begin() + begins[i] + r * record_bytes);
      built.data[i].push_back(std::move(slab));
    }
  }
  return built;
}

void Patch(Built* built, const std::string& key, uint64_t value, size_t width) {
  ASSERT_TRUE(built->at.count(key)) << key;
  Bytes encoded;
  AppendBigEndian(value, width, &encoded);
  std::copy(encoded.begin(), encoded.end(), built->bytes.begin() + built->at[key]);
}

// Bytes of a header field named as in Built::at.
size_t FieldWidth(Netcdf3Format format, const std::string& field) {
  if (field.rfind("var_type", 0) == 0) return 4;
  if (field.rfind("var_begin", 0) == 0) return format == Netcdf3Format::kClassic ? 4 : 8;
  return format == Netcdf3Format::kData64 ? 8 : 4;
}

StatusOr<Netcdf3Header> Parse(const Bytes& bytes) { return ParseNetcdf3Header(bytes, bytes.size()); }

// Every variable's regions hold exactly the bytes written for it; returns
// the end of the last region.
uint64_t ExpectRegionsHoldData(const Netcdf3Header& header, const Built& built) {
  uint64_t end = header.header_bytes;
  EXPECT_EQ(header.variables.size(), built.data.size());
  for (size_t i = 0; i < header.variables.size(); ++i) {
    const Netcdf3Variable& variable = header.variables[i];
    const Netcdf3Regions regions = VariableRegions(header, variable);
    EXPECT_TRUE(array::ValidateLayout(regions.layout, regions.region_bytes).ok()) << variable.name;
    EXPECT_EQ(regions.layout.byte_order, array::ByteOrder::kBig);
    EXPECT_EQ(regions.layout.dtype, NcTypeDType(variable.type));
    EXPECT_EQ(regions.count, built.data[i].size()) << variable.name;
    if (regions.count != built.data[i].size()) continue;
    for (uint64_t r = 0; r < regions.count; ++r) {
      const auto first = built.bytes.begin() + static_cast<std::ptrdiff_t>(regions.Offset(r));
      EXPECT_EQ(Bytes(first, first + static_cast<std::ptrdiff_t>(regions.region_bytes)), built.data[i][r])
          << variable.name << " record " << r;
      end = std::max(end, regions.Offset(r) + regions.region_bytes);
    }
  }
  return end;
}

FileSpec MixedSpec(Netcdf3Format format, uint64_t numrecs) {
  FileSpec spec{format, {{"time", 0}, {"y", 3}, {"x", 5}, {"one", 1}}, {}, numrecs};
  spec.vars = {{"temp", NcType::kFloat, {1, 2}},   {"mask", NcType::kByte, {2}},
               {"level", NcType::kDouble, {}},      {"grid", NcType::kShort, {3, 2}},
               {"label", NcType::kChar, {2}},       {"rec_f", NcType::kFloat, {0, 2}},
               {"rec_s", NcType::kShort, {0, 1}},   {"count", NcType::kInt, {1}},
               {"rec_d", NcType::kDouble, {0, 3}},  {"rec_c", NcType::kChar, {0}}};
  if (format == Netcdf3Format::kData64) {
    spec.vars.push_back({"u8", NcType::kUByte, {2}});
    spec.vars.push_back({"u16", NcType::kUShort, {1}});
    spec.vars.push_back({"u32", NcType::kUInt, {3, 1}});
    spec.vars.push_back({"i64", NcType::kInt64, {0, 1}});
    spec.vars.push_back({"u64", NcType::kUInt64, {3}});
  }
  return spec;
}

const Netcdf3Variable* Find(const Netcdf3Header& header, const std::string& name) {
  for (const Netcdf3Variable& variable : header.variables) {
    if (variable.name == name) return &variable;
  }
  return nullptr;
}

class Netcdf3FormatTest : public ::testing::TestWithParam<Netcdf3Format> {};

TEST_P(Netcdf3FormatTest, FixedAndRecordVariablesOfEveryType) {
  const Built built = Build(MixedSpec(GetParam(), 4));
  StatusOr<Netcdf3Header> header = Parse(built.bytes);
  ASSERT_TRUE(header.ok()) << header.status().message();
  EXPECT_EQ(header->format, GetParam());
  EXPECT_EQ(header->numrecs, 4u);
  EXPECT_FALSE(header->streaming);
  ASSERT_EQ(header->dimensions.size(), 4u);
  EXPECT_TRUE(header->dimensions[0].is_record);
  EXPECT_EQ(header->dimensions[0].length, 4u);
  EXPECT_EQ(header->dimensions[3].name, "one");
  EXPECT_EQ(header->dimensions[3].length, 1u);
  // rec_f: 20 bytes, rec_s: 6 padded to 8, rec_d: 8, rec_c: 1 padded to 4 (+ i64: 24).
  EXPECT_EQ(header->record_bytes, GetParam() == Netcdf3Format::kData64 ? 64u : 40u);
  // The last record ends with rec_c's padding (3 bytes) except in CDF-5, where i64 follows.
  EXPECT_EQ(ExpectRegionsHoldData(*header, built),
            built.bytes.size() - (GetParam() == Netcdf3Format::kData64 ? 0 : 3));

  const Netcdf3Variable* temp = Find(*header, "temp");
  ASSERT_NE(temp, nullptr);
  EXPECT_EQ(temp->shape, (std::vector<uint64_t>{3, 5}));
  EXPECT_FALSE(temp->is_record);
  EXPECT_EQ(temp->begin, header->header_bytes);
  EXPECT_EQ(Describe(VariableRegions(*header, *temp).layout), "f32 big 3x5");
  const Netcdf3Variable* level = Find(*header, "level");
  EXPECT_TRUE(level->shape.empty());
  EXPECT_EQ(Describe(VariableRegions(*header, *level).layout), "f64 big 1");
  const Netcdf3Variable* mask = Find(*header, "mask");
  EXPECT_EQ(mask->data_bytes, 5u);
  EXPECT_EQ(mask->vsize, 8u);
  const Netcdf3Variable* rec_s = Find(*header, "rec_s");
  EXPECT_TRUE(rec_s->is_record);
  EXPECT_EQ(rec_s->shape, (std::vector<uint64_t>{4, 3}));
  EXPECT_EQ(rec_s->dimension_ids, (std::vector<uint64_t>{0, 1}));
  const Netcdf3Regions rec_regions = VariableRegions(*header, *rec_s);
  EXPECT_EQ(Describe(rec_regions.layout), "i16 big 1x3");
  EXPECT_EQ(rec_regions.stride, header->record_bytes);
  EXPECT_EQ(Describe(VariableRegions(*header, *Find(*header, "rec_c")).layout), "u8 big 1");
  if (GetParam() == Netcdf3Format::kData64) {
    EXPECT_EQ(Describe(VariableRegions(*header, *Find(*header, "u32")).layout), "u32 big 1x3");
    EXPECT_EQ(Describe(VariableRegions(*header, *Find(*header, "i64")).layout), "i64 big 1x3");
  }
}

TEST_P(Netcdf3FormatTest, ZeroRecords) {
  const Built built = Build(MixedSpec(GetParam(), 0));
  StatusOr<Netcdf3Header> header = Parse(built.bytes);
  ASSERT_TRUE(header.ok()) << header.status().message();
  EXPECT_EQ(header->numrecs, 0u);
  const Netcdf3Variable* rec_f = Find(*header, "rec_f");
  EXPECT_EQ(rec_f->shape, (std::vector<uint64_t>{0, 5}));
  EXPECT_EQ(rec_f->begin, built.bytes.size());  // records would start at the end of the file
  EXPECT_EQ(VariableRegions(*header, *rec_f).count, 0u);
  ExpectRegionsHoldData(*header, built);
}

TEST_P(Netcdf3FormatTest, StreamingRecordCountComesFromTheFileSize) {
  Built built = Build(MixedSpec(GetParam(), 3));
  Patch(&built, "numrecs", UINT64_MAX, GetParam() == Netcdf3Format::kData64 ? 8 : 4);
  StatusOr<Netcdf3Header> header = Parse(built.bytes);
  ASSERT_TRUE(header.ok()) << header.status().message();
  EXPECT_TRUE(header->streaming);
  EXPECT_EQ(header->numrecs, 3u);
  ExpectRegionsHoldData(*header, built);
}

// Every prefix of the file: a prefix that ends in the header is kCorrupt as
// a file and kResourceLimit as the head of the longer file; in the data it
// is kCorrupt exactly when some region is cut.
TEST_P(Netcdf3FormatTest, TruncatedAtEveryByte) {
  const Built built = Build(MixedSpec(GetParam(), 2));
  StatusOr<Netcdf3Header> full = Parse(built.bytes);
  ASSERT_TRUE(full.ok());
  const uint64_t data_end = ExpectRegionsHoldData(*full, built);
  for (size_t length = 0; length < built.bytes.size(); ++length) {
    const std::span<const uint8_t> prefix(built.bytes.data(), length);
    StatusOr<Netcdf3Header> header = ParseNetcdf3Header(prefix, length);
    if (length >= data_end) {
      EXPECT_TRUE(header.ok()) << length << ": " << header.status().message();
    } else {
      EXPECT_EQ(header.status().code(), StatusCode::kCorrupt) << length;
    }
    if (length < full->header_bytes) {
      EXPECT_EQ(ParseNetcdf3Header(prefix, built.bytes.size()).status().code(),
                StatusCode::kResourceLimit) << length;
    }
  }
}

// Each header byte set to other values: never a crash, and a header that
// still parses describes regions inside the file.
TEST_P(Netcdf3FormatTest, MutatedHeaderBytesNeverEscapeTheFile) {
  const Built built = Build(MixedSpec(GetParam(), 2));
  const size_t header_bytes = Parse(built.bytes)->header_bytes;
  for (size_t i = 0; i < header_bytes; ++i) {
    for (const uint8_t value : {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x7F}, uint8_t{0x80},
                                static_cast<uint8_t>(built.bytes[i] ^ 1), static_cast<uint8_t>(built.bytes[i] + 8)}) {
      Bytes mutated = built.bytes;
      mutated[i] = value;
      StatusOr<Netcdf3Header> header = Parse(mutated);
      if (!header.ok()) {
        EXPECT_EQ(header.status().code(), StatusCode::kCorrupt) << i << ": " << header.status().message();
        EXPECT_EQ(header.status().message().find('\n'), std::string::npos);
        continue;
      }
      for (const Netcdf3Variable& variable : header->variables) {
        const Netcdf3Regions regions = VariableRegions(*header, variable);
        if (regions.count > 0) {
          EXPECT_LE(regions.Offset(regions.count - 1) + regions.region_bytes, mutated.size());
          EXPECT_GE(regions.first_offset, header->header_bytes);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllFormats, Netcdf3FormatTest,
                         ::testing::Values(Netcdf3Format::kClassic, Netcdf3Format::kOffset64,
                                           Netcdf3Format::kData64));

// The 92-byte example of the specification: short vx(dim = 5) = 3, 1, 4, 1, 5.
TEST(Netcdf3HeaderTest, SpecificationExample) {
  const Bytes tiny = {
      'C', 'D', 'F', 1, 0, 0, 0, 0, 0, 0, 0, 0x0A, 0, 0, 0, 1,     // magic, 0 records, dims: 1
      0, 0, 0, 3, 'd', 'i', 'm', 0, 0, 0, 0, 5, 0, 0, 0, 0,       // "dim" = 5, no global atts
      0, 0, 0, 0, 0, 0, 0, 0x0B, 0, 0, 0, 1, 0, 0, 0, 2,          // 1 variable, name length 2
      'v', 'x', 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,         // "vx", rank 1, dim 0, no atts
      0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 12, 0, 0, 0, 80,           // short, vsize 12, begin 80
      0, 3, 0, 1, 0, 4, 0, 1, 0, 5, 0x80, 0x01};                  // data, fill
  StatusOr<Netcdf3Header> header = Parse(tiny);
  ASSERT_TRUE(header.ok()) << header.status().message();
  EXPECT_EQ(header->header_bytes, 80u);
  ASSERT_EQ(header->variables.size(), 1u);
  const Netcdf3Variable& vx = header->variables[0];
  EXPECT_EQ(vx.name, "vx");
  EXPECT_EQ(vx.type, NcType::kShort);
  EXPECT_EQ(vx.vsize, 12u);
  const Netcdf3Regions regions = VariableRegions(*header, vx);
  EXPECT_EQ(Describe(regions.layout), "i16 big 5");
  EXPECT_EQ(Bytes(tiny.begin() + 80, tiny.begin() + 80 + regions.region_bytes),
            (Bytes{0, 3, 0, 1, 0, 4, 0, 1, 0, 5}));

  const Bytes empty = {'C', 'D', 'F', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  StatusOr<Netcdf3Header> empty_header = Parse(empty);
  ASSERT_TRUE(empty_header.ok()) << empty_header.status().message();
  EXPECT_TRUE(empty_header->variables.empty());
  EXPECT_EQ(empty_header->header_bytes, 32u);
}

// A single record variable's slabs follow each other unpadded.
TEST(Netcdf3HeaderTest, OnlyRecordVariableIsNotPadded) {
  const FileSpec spec{Netcdf3Format::kClassic, {{"t", 0}, {"x", 3}}, {{"s", NcType::kShort, {0, 1}}}, 5};
  const Built built = Build(spec);
  StatusOr<Netcdf3Header> header = Parse(built.bytes);
  ASSERT_TRUE(header.ok()) << header.status().message();
  EXPECT_EQ(header->record_bytes, 6u);
  EXPECT_EQ(header->variables[0].vsize, 8u);
  EXPECT_EQ(ExpectRegionsHoldData(*header, built), built.bytes.size());
}

TEST(Netcdf3HeaderTest, RankAboveEightMergesOuterExtents) {
  FileSpec spec{Netcdf3Format::kOffset64, {{"a", 2}, {"b", 3}, {"one", 1}, {"c", 2}}, {}, 0};
  spec.vars.push_back({"deep", NcType::kInt, {0, 1, 2, 2, 2, 2, 2, 2, 2, 3}});
  const Built built = Build(spec);
  StatusOr<Netcdf3Header> header = Parse(built.bytes);
  ASSERT_TRUE(header.ok()) << header.status().message();
  EXPECT_EQ(Describe(VariableRegions(*header, header->variables[0]).layout), "i32 big 6x1x1x1x1x1x1x2");
  ExpectRegionsHoldData(*header, built);
}

// One header field at a time made hostile: a one-line kCorrupt naming the cause.
TEST(Netcdf3HeaderTest, HostileFieldsAreCorrupt) {
  const struct {
    Netcdf3Format format;
    std::string field;
    uint64_t value;
    std::string cause;
  } kCases[] = {
      {Netcdf3Format::kClassic, "dim_count", 0x7FFFFFFF, "dimension count 2147483647 exceeds"},
      {Netcdf3Format::kData64, "dim_count", UINT64_MAX, "dimension count"},
      {Netcdf3Format::kClassic, "dim_name_length.1", 0xFFFFFFF0, "name length"},
      {Netcdf3Format::kClassic, "dim_name_length.1", 0, "empty name"},
      {Netcdf3Format::kClassic, "dim_length.1", 0, "more than one record dimension"},
      {Netcdf3Format::kClassic, "gatt_count", 100000, "global attribute count"},
      {Netcdf3Format::kClassic, "gatt_nelems.1", 0x10000000, "claims 268435456 values"},
      {Netcdf3Format::kData64, "gatt_nelems.1", uint64_t{1} << 62, "claims"},  // * 8 overflows
      {Netcdf3Format::kOffset64, "var_count", 0x40000000, "variable count"},
      {Netcdf3Format::kClassic, "var_rank.0", 0x7FFFFFFF, "dimension id count"},
      {Netcdf3Format::kClassic, "var_dimid.0.1", 4, "uses dimension id 4 of 4"},
      {Netcdf3Format::kClassic, "var_dimid.0.1", 0, "record dimension in position 1"},
      {Netcdf3Format::kClassic, "var_type.0", 7, "nc_type 7"},
      {Netcdf3Format::kData64, "var_type.0", 12, "nc_type 12"},
      {Netcdf3Format::kClassic, "var_type.0", 6, "vsize 60"},
      {Netcdf3Format::kClassic, "var_vsize.1", 12, "vsize 12 but"},
      {Netcdf3Format::kClassic, "var_begin.0", 0, "outside the data part"},
      {Netcdf3Format::kOffset64, "var_begin.0", UINT64_MAX - 3, "outside the data part"},
      {Netcdf3Format::kClassic, "var_begin.2", 1u << 20, "outside the data part"},
      {Netcdf3Format::kClassic, "numrecs", 1000, "claims 1000 records"},
      {Netcdf3Format::kData64, "numrecs", UINT64_MAX - 1, "claims 18446744073709551614 records"},
      {Netcdf3Format::kOffset64, "var_begin.5", 8, "outside the header's record"},
  };
  for (const auto& c : kCases) {
    Built built = Build(MixedSpec(c.format, 2));
    Patch(&built, c.field, c.value, FieldWidth(c.format, c.field));
    StatusOr<Netcdf3Header> header = Parse(built.bytes);
    ASSERT_EQ(header.status().code(), StatusCode::kCorrupt) << c.field << " = " << c.value;
    EXPECT_NE(header.status().message().find(c.cause), std::string::npos)
        << c.field << ": " << header.status().message();
  }
}

TEST(Netcdf3HeaderTest, OverlapsAndOverflowingSizesAreCorrupt) {
  // mask (5 bytes) moved into temp (60 bytes).
  Built overlap = Build(MixedSpec(Netcdf3Format::kClassic, 2));
  const uint64_t temp_begin = Parse(overlap.bytes)->variables[0].begin;
  Patch(&overlap, "var_begin.1", temp_begin + 4, 4);
  EXPECT_NE(Parse(overlap.bytes).status().message().find("overlap"), std::string::npos);

  // 2^40 x 2^40 floats: the variable's size overflows 64 bits.
  Built huge = Build(MixedSpec(Netcdf3Format::kData64, 2));
  Patch(&huge, "dim_length.1", uint64_t{1} << 40, 8);
  Patch(&huge, "dim_length.2", uint64_t{1} << 40, 8);
  EXPECT_NE(Parse(huge.bytes).status().message().find("size overflows 64 bits"), std::string::npos);

  Bytes not_netcdf = {'C', 'D', 'F', 3, 0, 0, 0, 0};
  EXPECT_EQ(Parse(not_netcdf).status().code(), StatusCode::kCorrupt);
  EXPECT_FALSE(HasNetcdf3Magic(not_netcdf));
}

TEST(Netcdf3HeaderTest, ReadsHeadersLongerThanTheFirstRead) {
  TempDir tmp;
  FileSpec spec = MixedSpec(Netcdf3Format::kClassic, 3);
  for (int i = 0; i < 9000; ++i) spec.dims.push_back({"padding_dimension_" + std::to_string(i), 7});
  const Built built = Build(spec);
  ASSERT_GT(built.bytes.size(), 4 * 64 * 1024u);
  WriteFile(tmp / "long.nc", std::string(built.bytes.begin(), built.bytes.end()));
  StatusOr<Netcdf3Header> header = ReadNetcdf3Header(tmp / "long.nc");
  ASSERT_TRUE(header.ok()) << header.status().message();
  EXPECT_EQ(header->dimensions.size(), 9004u);
  ExpectRegionsHoldData(*header, built);
  EXPECT_EQ(ReadNetcdf3Header(tmp / "missing.nc").status().code(), StatusCode::kIoError);
  WriteFile(tmp / "cut.nc", std::string(built.bytes.begin(), built.bytes.begin() + 100000));
  EXPECT_EQ(ReadNetcdf3Header(tmp / "cut.nc").status().code(), StatusCode::kCorrupt);
}

// Files written by the netCDF library (ncgen), when it is installed.
TEST(Netcdf3HeaderTest, FilesWrittenByNcgen) {
  if (access("/usr/bin/ncgen", X_OK) != 0) GTEST_SKIP() << "ncgen not installed (netcdf-bin)";
  TempDir tmp;
  WriteFile(tmp / "t.cdl",
            "netcdf t {\n dimensions:\n  time = UNLIMITED ;\n  x = 3 ;\n  one = 1 ;\n"
            " variables:\n  float a(x) ;\n  short r(time, x) ;\n  double s(time, one) ;\n"
            "  int i ;\n  a:units = \"m\" ;\n"
            " data:\n  a = 1.5, 2.5, -3 ;\n  r = 1, 2, 3, 4, 5, 6 ;\n  s = 0.5, 0.25 ;\n  i = -7 ;\n}\n");
  for (const char* kind : {"classic", "'64-bit offset'", "cdf5"}) {
    const std::string nc = tmp / "t.nc";
    ASSERT_EQ(std::system(("ncgen -k " + std::string(kind) + " -o " + nc + " " + (tmp / "t.cdl")).c_str()), 0);
    StatusOr<Netcdf3Header> header = ReadNetcdf3Header(nc);
    ASSERT_TRUE(header.ok()) << kind << ": " << header.status().message();
    const std::string file = ReadFile(nc);
    const auto region = [&](const char* name, uint64_t record) {
      const Netcdf3Regions regions = VariableRegions(*header, *Find(*header, name));
      return Bytes(file.begin() + regions.Offset(record),
                   file.begin() + regions.Offset(record) + regions.region_bytes);
    };
    EXPECT_EQ(header->numrecs, 2u) << kind;
    EXPECT_EQ(region("a", 0), (Bytes{0x3F, 0xC0, 0, 0, 0x40, 0x20, 0, 0, 0xC0, 0x40, 0, 0})) << kind;
    EXPECT_EQ(region("r", 1), (Bytes{0, 4, 0, 5, 0, 6})) << kind;
    EXPECT_EQ(region("s", 1), (Bytes{0x3F, 0xD0, 0, 0, 0, 0, 0, 0})) << kind;
    EXPECT_EQ(region("i", 0), (Bytes{0xFF, 0xFF, 0xFF, 0xF9})) << kind;
  }
}

}  // namespace
}  // namespace lmarc
