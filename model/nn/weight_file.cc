#include "model/nn/weight_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "src/byte_order.h"
#include "src/byte_reader.h"
#include "src/sha256.h"

namespace lmarc::nn {
namespace {

// Byte sizes of the fixed parts (docs/model.md has the field tables).
constexpr size_t kMagicSize = sizeof(kWeightFileMagic);
constexpr size_t kHyperParameterCount = 6;
// Tensor table entry without the name bytes and dims: name length u16,
// dtype u8, rank u8, data offset u64, data size u64, multiplier s32, shift u8.
constexpr size_t kEntryFixedSize = 2 + 1 + 1 + 8 + 8 + 4 + 1;

uint64_t AlignUp(uint64_t offset) {
  return (offset + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
}

bool IsValidDType(uint8_t value) {
  return value >= static_cast<uint8_t>(DType::kS8) && value <= static_cast<uint8_t>(DType::kS32);
}

bool IsValidNameChar(char c) { return c >= 0x21 && c <= 0x7e; }

// A table entry as read, before its data is copied out of the file.
struct TableEntry {
  Tensor tensor;  // data still empty
  uint64_t data_offset = 0;
  uint64_t data_size = 0;
};

std::string TensorContext(const std::string& name) { return "tensor '" + name + "'"; }

std::string DimsText(const std::vector<uint32_t>& dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? "x" : "") + std::to_string(dims[i]);
  return text;
}

[[nodiscard]] Status ReadName(ByteReader& reader, std::string* name) {
  uint16_t length = 0;
  RETURN_IF_ERROR(reader.U16("tensor name length", &length));
  if (length == 0 || length > kMaxTensorNameLength) {
    return Corrupt("bad tensor name: length " + std::to_string(length) + " is outside [1, " +
                   std::to_string(kMaxTensorNameLength) + "]");
  }
  const uint8_t* chars = nullptr;
  RETURN_IF_ERROR(reader.Bytes(length, "tensor name", &chars));
  name->assign(reinterpret_cast<const char*>(chars), length);
  for (size_t i = 0; i < name->size(); ++i) {
    if (!IsValidNameChar((*name)[i])) {
      return Corrupt("bad tensor name: byte " + std::to_string(i) + " is " +
                     std::to_string(chars[i]) + ", not printable ASCII (0x21..0x7E)");
    }
  }
  return Status::Ok();
}

// Reads one table entry and checks everything that does not depend on other
// entries: name, dtype, rank, dims, requantiser, dims product vs data size,
// alignment and bounds of the data within the file.
[[nodiscard]] Status ReadEntry(ByteReader& reader, uint64_t file_size, TableEntry* entry) {
  Tensor& tensor = entry->tensor;
  RETURN_IF_ERROR(ReadName(reader, &tensor.name));
  const std::string context = TensorContext(tensor.name);
  uint8_t dtype = 0;
  uint8_t rank = 0;
  RETURN_IF_ERROR(reader.U8("tensor dtype", &dtype));
  if (!IsValidDType(dtype)) {
    return Corrupt(context + ": unknown dtype " + std::to_string(dtype));
  }
  tensor.dtype = static_cast<DType>(dtype);
  RETURN_IF_ERROR(reader.U8("tensor rank", &rank));
  if (rank < 1 || rank > kMaxTensorRank) {
    return Corrupt(context + ": rank " + std::to_string(rank) + " is outside [1, " +
                   std::to_string(kMaxTensorRank) + "]");
  }
  tensor.dims.resize(rank);  // rank <= 4: bounded allocation
  for (uint32_t& dim : tensor.dims) RETURN_IF_ERROR(reader.U32("tensor dims", &dim));
  RETURN_IF_ERROR(reader.U64("tensor data offset", &entry->data_offset));
  RETURN_IF_ERROR(reader.U64("tensor data size", &entry->data_size));
  uint32_t multiplier = 0;
  uint8_t shift = 0;
  RETURN_IF_ERROR(reader.U32("tensor requantisation multiplier", &multiplier));
  RETURN_IF_ERROR(reader.U8("tensor requantisation shift", &shift));
  tensor.requantizer = {static_cast<int32_t>(multiplier), shift};
  if (!IsValid(tensor.requantizer)) {
    return Corrupt(context + ": invalid requantiser (multiplier " +
                   std::to_string(tensor.requantizer.multiplier) + ", shift " +
                   std::to_string(shift) + "; must be in [0, 2^31-1] and [0, 62])");
  }

  uint64_t expected_size = ElementSize(tensor.dtype);
  for (size_t i = 0; i < tensor.dims.size(); ++i) {
    if (tensor.dims[i] == 0) {
      return Corrupt(context + ": dimension " + std::to_string(i) + " is 0");
    }
    if (__builtin_mul_overflow(expected_size, uint64_t{tensor.dims[i]}, &expected_size)) {
      return Corrupt(context + ": dims " + DimsText(tensor.dims) + " overflow 64-bit size");
    }
  }
  if (expected_size != entry->data_size) {
    return Corrupt(context + ": dims " + DimsText(tensor.dims) + " of " +
                   std::string(DTypeName(tensor.dtype)) + " need " +
                   std::to_string(expected_size) + " bytes, data size is " +
                   std::to_string(entry->data_size));
  }
  if (entry->data_offset > file_size || entry->data_size > file_size - entry->data_offset) {
    return Corrupt(context + ": data [" + std::to_string(entry->data_offset) + ", +" +
                   std::to_string(entry->data_size) + ") is outside the file (" +
                   std::to_string(file_size) + " bytes)");
  }
  if (entry->data_offset % kTensorAlignment != 0) {
    return Corrupt(context + ": data offset " + std::to_string(entry->data_offset) +
                   " is not " + std::to_string(kTensorAlignment) + "-byte aligned");
  }
  return Status::Ok();
}

// Checks the entries against each other and the header: no overlap (with
// the header or another tensor), unique names, canonical placement, zero
// gaps, and the file ending at the last tensor.
[[nodiscard]] Status CheckLayout(const std::vector<TableEntry>& entries, uint64_t header_size,
                                 std::span<const uint8_t> bytes) {
  std::vector<const TableEntry*> by_offset;
  by_offset.reserve(entries.size());
  for (const TableEntry& entry : entries) by_offset.push_back(&entry);
  std::sort(by_offset.begin(), by_offset.end(), [](const TableEntry* a, const TableEntry* b) {
    return a->data_offset < b->data_offset;
  });
  uint64_t previous_end = header_size;
  std::string previous_owner = "the header";
  for (const TableEntry* entry : by_offset) {
    if (entry->data_offset < previous_end) {
      return Corrupt(TensorContext(entry->tensor.name) + ": data at offset " +
                     std::to_string(entry->data_offset) + " overlaps " + previous_owner +
                     " (ends at " + std::to_string(previous_end) + ")");
    }
    previous_end = entry->data_offset + entry->data_size;  // <= file size, checked
    previous_owner = TensorContext(entry->tensor.name);
  }

  std::set<std::string_view> names;
  for (const TableEntry& entry : entries) {
    if (!names.insert(entry.tensor.name).second) {
      return Corrupt("duplicate tensor name '" + entry.tensor.name + "'");
    }
  }

  uint64_t expected_offset = AlignUp(header_size);
  uint64_t padding_start = header_size;
  for (const TableEntry& entry : entries) {
    if (entry.data_offset != expected_offset) {
      return Corrupt(TensorContext(entry.tensor.name) + ": data at offset " +
                     std::to_string(entry.data_offset) + ", expected " +
                     std::to_string(expected_offset) +
                     " (tensors follow the table order, each at the next aligned offset)");
    }
    for (uint64_t i = padding_start; i < entry.data_offset; ++i) {
      if (bytes[i] != 0) return Corrupt("nonzero padding byte at offset " + std::to_string(i));
    }
    padding_start = entry.data_offset + entry.data_size;
    expected_offset = AlignUp(padding_start);
  }
  if (bytes.size() != padding_start) {
    return Corrupt("weight file has " + std::to_string(bytes.size() - padding_start) +
                   " trailing bytes after offset " + std::to_string(padding_start));
  }
  return Status::Ok();
}

}  // namespace

size_t ElementSize(DType dtype) {
  switch (dtype) {
    case DType::kS8: return 1;
    case DType::kS16: return 2;
    case DType::kS32: return 4;
  }
  return 0;  // unreachable: DType values are validated when read
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kS8: return "s8";
    case DType::kS16: return "s16";
    case DType::kS32: return "s32";
  }
  return "?";
}

const Tensor* WeightFile::Find(std::string_view name) const {
  for (const Tensor& tensor : tensors) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

std::vector<uint8_t> WriteWeightFile(const ModelHeader& header,
                                     const std::vector<Tensor>& tensors) {
  uint64_t header_size = kMagicSize + 4 + 4 + 4 * kHyperParameterCount + 4 +
                         4 * kWrittenReservedFieldCount + 4;
  for (const Tensor& tensor : tensors) {
    header_size += kEntryFixedSize + tensor.name.size() + 4 * tensor.dims.size();
  }

  std::vector<uint8_t> out(kWeightFileMagic, kWeightFileMagic + kMagicSize);
  AppendLe32(kWeightFileVersion, &out);
  AppendLe32(static_cast<uint32_t>(header_size), &out);
  for (uint32_t value : {header.vocab_size, header.d_model, header.n_layers, header.n_heads,
                         header.context, header.ffn_dim}) {
    AppendLe32(value, &out);
  }
  AppendLe32(kWrittenReservedFieldCount, &out);
  for (uint32_t i = 0; i < kWrittenReservedFieldCount; ++i) AppendLe32(0, &out);
  AppendLe32(static_cast<uint32_t>(tensors.size()), &out);

  uint64_t data_offset = AlignUp(header_size);
  for (const Tensor& tensor : tensors) {
    AppendLe16(static_cast<uint16_t>(tensor.name.size()), &out);
    out.insert(out.end(), tensor.name.begin(), tensor.name.end());
    out.push_back(static_cast<uint8_t>(tensor.dtype));
    out.push_back(static_cast<uint8_t>(tensor.dims.size()));
    for (uint32_t dim : tensor.dims) AppendLe32(dim, &out);
    AppendLe64(data_offset, &out);
    AppendLe64(tensor.data.size(), &out);
    AppendLe32(static_cast<uint32_t>(tensor.requantizer.multiplier), &out);
    out.push_back(static_cast<uint8_t>(tensor.requantizer.shift));
    data_offset = AlignUp(data_offset + tensor.data.size());
  }
  for (const Tensor& tensor : tensors) {
    out.resize(AlignUp(out.size()), 0);
    out.insert(out.end(), tensor.data.begin(), tensor.data.end());
  }
  return out;
}

bool IsWellFormedModelId(std::string_view id) {
  return id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

StatusOr<WeightFile> LoadWeightFile(std::span<const uint8_t> bytes,
                                    std::string_view expected_id) {
  if (!expected_id.empty() && !IsWellFormedModelId(expected_id)) {
    return InvalidArgument("model id '" + std::string(expected_id) +
                           "' is not 64 lower-case hex digits");
  }
  ByteReader reader(bytes, "weight file");
  const uint8_t* magic = nullptr;
  RETURN_IF_ERROR(reader.Bytes(kMagicSize, "magic", &magic));
  if (std::memcmp(magic, kWeightFileMagic, kMagicSize) != 0) {
    return Corrupt("not an lmarc weight file (wrong magic)");
  }
  uint32_t version = 0;
  RETURN_IF_ERROR(reader.U32("format version", &version));
  if (version > kWeightFileVersion) {
    return Unsupported("weight file version " + std::to_string(version) +
                       " is newer than this lmarc reads (" +
                       std::to_string(kWeightFileVersion) + ")");
  }
  if (version == 0) return Corrupt("weight file version 0 is invalid");
  uint32_t header_size = 0;
  RETURN_IF_ERROR(reader.U32("header size", &header_size));

  WeightFile file;
  ModelHeader& header = file.header;
  for (uint32_t* field : {&header.vocab_size, &header.d_model, &header.n_layers,
                          &header.n_heads, &header.context, &header.ffn_dim}) {
    RETURN_IF_ERROR(reader.U32("hyper-parameters", field));
  }
  uint32_t reserved_count = 0;
  RETURN_IF_ERROR(reader.U32("reserved field count", &reserved_count));
  for (uint32_t i = 0; i < reserved_count; ++i) {
    uint32_t reserved = 0;
    RETURN_IF_ERROR(reader.U32("reserved fields", &reserved));
    if (reserved != 0) {
      return Corrupt("reserved field " + std::to_string(i) + " is " + std::to_string(reserved) +
                     ", must be 0");
    }
  }

  uint32_t tensor_count = 0;
  RETURN_IF_ERROR(reader.U32("tensor count", &tensor_count));
  std::vector<TableEntry> entries;  // grows per entry read: bounded by the file size
  for (uint32_t i = 0; i < tensor_count; ++i) {
    TableEntry entry;
    RETURN_IF_ERROR(ReadEntry(reader, bytes.size(), &entry));
    entries.push_back(std::move(entry));
  }
  if (header_size != reader.position()) {
    return Corrupt("header size mismatch: field says " + std::to_string(header_size) +
                   " bytes, header and tensor table are " + std::to_string(reader.position()));
  }
  RETURN_IF_ERROR(CheckLayout(entries, header_size, bytes));

  file.model_id = DigestToHex(Sha256Of(bytes));
  if (!expected_id.empty() && file.model_id != expected_id) {
    return Corrupt("model id mismatch: expected " + std::string(expected_id) + ", file is " +
                   file.model_id);
  }
  file.tensors.reserve(entries.size());
  for (TableEntry& entry : entries) {
    const auto data = bytes.subspan(entry.data_offset, entry.data_size);  // checked in bounds
    entry.tensor.data.assign(data.begin(), data.end());
    file.tensors.push_back(std::move(entry.tensor));
  }
  return file;
}

StatusOr<std::vector<uint8_t>> ReadModelFile(std::string_view model_id,
                                             std::span<const std::string> default_dirs) {
  if (!IsWellFormedModelId(model_id)) {
    return InvalidArgument("model id '" + std::string(model_id) +
                           "' is not 64 lower-case hex digits");
  }
  std::vector<std::string> dirs;
  if (const char* model_path = std::getenv("LMARC_MODEL_PATH")) {
    std::string_view remaining = model_path;
    while (true) {
      const size_t colon = remaining.find(':');
      const std::string_view dir = remaining.substr(0, colon);
      if (!dir.empty()) dirs.emplace_back(dir);
      if (colon == std::string_view::npos) break;
      remaining.remove_prefix(colon + 1);
    }
  }
  for (const std::string& dir : default_dirs) {
    if (!dir.empty()) dirs.push_back(dir);
  }

  const std::string file_name = std::string(model_id) + std::string(kModelFileSuffix);
  for (const std::string& dir : dirs) {
    const std::string path = dir + "/" + file_name;
    std::FILE* stream = std::fopen(path.c_str(), "rb");
    if (stream == nullptr) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      return ErrnoError(path + ": open", errno);
    }
    std::vector<uint8_t> bytes;
    uint8_t buffer[1 << 16];
    size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof(buffer), stream)) > 0) {
      if (bytes.size() + got > kMaxWeightFileBytes) {
        std::fclose(stream);
        return ResourceLimit(path + ": weight file is larger than " +
                             std::to_string(kMaxWeightFileBytes) + " bytes");
      }
      bytes.insert(bytes.end(), buffer, buffer + got);
    }
    const bool failed = std::ferror(stream) != 0;
    const int read_errno = errno;
    std::fclose(stream);
    if (failed) return ErrnoError(path + ": read", read_errno);
    return bytes;
  }
  std::string searched;
  for (const std::string& dir : dirs) searched += (searched.empty() ? "" : ", ") + dir;
  return NotFound("model " + std::string(model_id) + " not found (searched: " +
                  (searched.empty() ? "no directories" : searched) + ")");
}

}  // namespace lmarc::nn
