#include "src/codec.h"

#include "src/stored_codec.h"
#include "src/zstd_codec.h"

namespace lmarc {

void CodecRegistry::Register(std::unique_ptr<Codec> codec) {
  codecs_.push_back(std::move(codec));
}

const Codec* CodecRegistry::Find(CodecId id) const {
  for (const auto& codec : codecs_) {
    if (codec->id() == id) return codec.get();
  }
  return nullptr;
}

Status Codec::DecodeBatch(std::span<const std::span<const uint8_t>> bodies,
                         std::span<const std::span<uint8_t>> raws, size_t* failed) const {
  if (bodies.size() != raws.size()) return InvalidArgument("decode batch size mismatch");
  for (size_t i = 0; i < bodies.size(); ++i) {
    if (Status status = Decode(bodies[i], raws[i]); !status.ok()) {
      *failed = i;
      return status;
    }
  }
  return Status::Ok();
}

const Codec* CodecRegistry::FindByName(std::string_view name) const {
  for (const auto& codec : codecs_) {
    if (codec->name() == name) return codec.get();
  }
  return nullptr;
}

void RegisterCoreCodecs(CodecRegistry* registry) {
  registry->Register(std::make_unique<StoredCodec>());
  registry->Register(std::make_unique<ZstdCodec>());
}

}  // namespace lmarc
