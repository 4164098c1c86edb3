// The codec interface: one chunk of raw bytes in, one self-contained body out.
//
// A codec body must decode alone, from the body bytes and the raw size only
// (both recorded in the chunk table); any parameter a codec needs to decode
// (table sizes, model choice) is stored inside its body and validated on
// decode. Decoders must treat the body as hostile: never read out of bounds,
// never allocate more than the limit they document, fail with kCorrupt.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/status.h"

namespace lmarc {

// Stable on-disk codec identifiers (docs/format.md, "Codec identifiers").
// Never renumber; retired ids stay reserved.
enum class CodecId : uint16_t {
  kStored = 0,
  kZstd = 1,
  kCm = 2,
  kNn = 3,     // model/nn: transformer mixed with cm (docs/nn.md)
  kArray = 4,  // model/array: typed numeric arrays
  kDeflatedArray = 5,  // model/array: deflate(+shuffle)-filtered HDF5 tiles of typed arrays
};

// Compression effort, 1 (fastest) .. 9 (best). Codecs map it to their own
// parameters; the level used is recorded per chunk.
inline constexpr int kMinLevel = 1;
inline constexpr int kMaxLevel = 9;
inline constexpr int kDefaultLevel = 5;

class Codec {
 public:
  virtual ~Codec() = default;

  virtual CodecId id() const = 0;
  virtual std::string_view name() const = 0;
  // Version of the codec's body format; recorded in the archive attributes.
  virtual uint32_t version() const = 0;
  // The model Encode uses (64 hex digits), recorded in the archive's
  // `models` attribute; empty for codecs without a model.
  virtual std::string_view model_id() const { return {}; }

  // Appends the encoded body of `raw` to `*body`.
  [[nodiscard]] virtual Status Encode(std::span<const uint8_t> raw, int level,
                                      std::vector<uint8_t>* body) const = 0;

  // Decodes `body` into exactly raw.size() bytes.
  [[nodiscard]] virtual Status Decode(std::span<const uint8_t> body,
                                      std::span<uint8_t> raw) const = 0;

  // Decodes bodies[i] into raws[i] for every i; on failure *failed is the
  // index of the chunk at fault. The default decodes one by one; a codec
  // whose model runs faster on batches (nn) decodes them together.
  [[nodiscard]] virtual Status DecodeBatch(std::span<const std::span<const uint8_t>> bodies,
                                           std::span<const std::span<uint8_t>> raws,
                                           size_t* failed) const;
};

// Owns the codecs known to this build; lookup by id (decode) or name (CLI).
class CodecRegistry {
 public:
  void Register(std::unique_ptr<Codec> codec);
  const Codec* Find(CodecId id) const;
  const Codec* FindByName(std::string_view name) const;
  const std::vector<std::unique_ptr<Codec>>& codecs() const { return codecs_; }

 private:
  std::vector<std::unique_ptr<Codec>> codecs_;
};

// Registers the core codecs (stored, zstd). model/ adds its own.
void RegisterCoreCodecs(CodecRegistry* registry);

}  // namespace lmarc
