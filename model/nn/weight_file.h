// Weight file of the transformer predictor (docs/model.md, "Weight file
// format"): a little-endian header with the hyper-parameters, a tensor table
// and the tensor data, each tensor 64-byte aligned. The model id is the
// lower-case hex SHA-256 of the whole file.
//
// The layout is canonical: tensors are stored in table order, each at the
// first 64-byte aligned offset after the previous one (the first after the
// header), gaps are zero bytes and the file ends at the end of the last
// tensor. So equal contents give equal bytes and therefore equal model ids,
// and LoadWeightFile accepts a file iff WriteWeightFile reproduces it.
//
// LoadWeightFile treats its input as hostile: every size and offset is
// checked against the buffer before it is used, nothing is allocated beyond
// what the buffer holds, and each failure is one line naming the cause.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/nn/fixed_point.h"
#include "src/status.h"

namespace lmarc::nn {

inline constexpr char kWeightFileMagic[8] = {'L', 'M', 'A', 'R', 'C', 'N', 'N', '\0'};
inline constexpr uint32_t kWeightFileVersion = 1;
inline constexpr size_t kTensorAlignment = 64;  // bytes, file offsets of tensor data
inline constexpr size_t kMaxTensorNameLength = 64;  // bytes of ASCII
inline constexpr int kMaxTensorRank = 4;
// Reserved u32 fields the writer emits after the hyper-parameters; each must
// be 0 (the loader accepts any count that fits the file).
inline constexpr uint32_t kWrittenReservedFieldCount = 4;
// Model file name suffix: "<model id>.lmnn".
inline constexpr std::string_view kModelFileSuffix = ".lmnn";

// Element types; the value is the on-disk dtype byte. Elements are stored
// little-endian, two's complement.
enum class DType : uint8_t { kS8 = 1, kS16 = 2, kS32 = 3 };

// Bytes per element of `dtype` (1, 2 or 4).
size_t ElementSize(DType dtype);
std::string_view DTypeName(DType dtype);  // "s8", "s16", "s32"

// Hyper-parameters (on disk as u32, in this order). Their meaning and valid
// ranges are defined with the transformer; the file format only stores them.
struct ModelHeader {
  uint32_t vocab_size = 0;
  uint32_t d_model = 0;
  uint32_t n_layers = 0;
  uint32_t n_heads = 0;
  uint32_t context = 0;  // tokens (bytes) of context
  uint32_t ffn_dim = 0;

  bool operator==(const ModelHeader&) const = default;
};

struct Tensor {
  std::string name;  // 1..64 bytes of printable ASCII (0x21..0x7E), unique
  DType dtype = DType::kS8;
  std::vector<uint32_t> dims;  // 1..4 dimensions, each >= 1, outermost first
  // Integer quantisation parameters: real scale = multiplier · 2^-shift
  // (model/nn/fixed_point.h); multiplier in [0, 2^31 - 1], shift in [0, 62].
  Requantizer requantizer;
  // Product(dims) · ElementSize(dtype) bytes, elements little-endian, row-major.
  std::vector<uint8_t> data;

  bool operator==(const Tensor& other) const {
    return name == other.name && dtype == other.dtype && dims == other.dims &&
           requantizer.multiplier == other.requantizer.multiplier &&
           requantizer.shift == other.requantizer.shift && data == other.data;
  }
};

struct WeightFile {
  ModelHeader header;
  std::vector<Tensor> tensors;  // in table order
  std::string model_id;         // SHA-256 of the file bytes, 64 lower-case hex digits

  // The tensor called `name`, or nullptr.
  const Tensor* Find(std::string_view name) const;
};

// Serialises a model in the canonical layout. Writes exactly what it is
// given, without validation (tests use this to build invalid files); the
// data size field is data.size(). Preconditions: names shorter than 2^16
// bytes, at most 255 dims, fewer than 2^32 tensors and reserved fields.
std::vector<uint8_t> WriteWeightFile(const ModelHeader& header,
                                     const std::vector<Tensor>& tensors);

// Parses and validates `bytes`. `expected_id` is a model id (64 lower-case
// hex digits) the file's SHA-256 must equal, or empty for no check; the id is
// compared after the structure is valid. Errors: Corrupt for malformed files
// and id mismatch, Unsupported for a newer format version, InvalidArgument
// for a malformed `expected_id`.
StatusOr<WeightFile> LoadWeightFile(std::span<const uint8_t> bytes, std::string_view expected_id);

// True iff `id` is 64 lower-case hex digits (so it is also a safe file name).
bool IsWellFormedModelId(std::string_view id);

// Largest weight file ReadModelFile reads, in bytes (1 GiB).
inline constexpr uint64_t kMaxWeightFileBytes = uint64_t{1} << 30;

// Reads "<model_id>.lmnn" from the first directory that has it, searching
// the colon-separated directories of $LMARC_MODEL_PATH (empty entries
// skipped) in order, then `default_dirs` (empty entries skipped). The bytes are
// not validated; pass them to LoadWeightFile with the same id.
// NotFound "model <id> not found (searched: d1, d2, ...)" when no directory
// has the file; IoError if a found file cannot be read; ResourceLimit above
// kMaxWeightFileBytes; InvalidArgument for a malformed id.
StatusOr<std::vector<uint8_t>> ReadModelFile(std::string_view model_id,
                                             std::span<const std::string> default_dirs);

}  // namespace lmarc::nn
