#include "model/codecs.h"

#include <memory>

#include "model/array/array_codec.h"
#include "model/array/deflated_array_codec.h"
#include "model/cm/cm_codec.h"
#include "model/nn/model_store.h"
#include "model/nn/nn_codec.h"

namespace lmarc {

void RegisterModelCodecs(CodecRegistry* registry) {
  registry->Register(std::make_unique<CmCodec>());
  registry->Register(std::make_unique<ArrayCodec>());
  registry->Register(std::make_unique<DeflatedArrayCodec>());
  registry->Register(std::make_unique<NnCodec>());
}

}  // namespace lmarc

namespace lmarc {

StatusOr<std::shared_ptr<const Codec>> MakeEncodingCodec(std::string_view codec_name,
                                                         std::string_view model) {
  const Codec* registered = BuiltinCodecs().FindByName(codec_name);
  if (registered == nullptr) {
    return InvalidArgument("unknown codec '" + std::string(codec_name) + "' (nn, cm, zstd, stored)");
  }
  if (!model.empty() && registered->id() != CodecId::kNn) {
    return InvalidArgument("--model applies to the nn codec only, not '" + std::string(codec_name) + "'");
  }
  std::shared_ptr<const Codec> codec =
      model.empty() ? std::shared_ptr<const Codec>(registered, [](const Codec*) {})
                    : std::make_shared<NnCodec>(std::string(model));
  // Fail before any work when the model is missing or invalid.
  if (!codec->model_id().empty()) RETURN_IF_ERROR(nn::LoadModel(codec->model_id()).status());
  return codec;
}

const CodecRegistry& BuiltinCodecs() {
  static const CodecRegistry* const registry = [] {
    auto* all = new CodecRegistry();
    RegisterCoreCodecs(all);
    RegisterModelCodecs(all);
    return all;
  }();
  return *registry;
}

}  // namespace lmarc
