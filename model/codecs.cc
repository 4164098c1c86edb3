#include "model/codecs.h"

#include <memory>

#include "model/cm/cm_codec.h"

namespace lmarc {

void RegisterModelCodecs(CodecRegistry* registry) {
  registry->Register(std::make_unique<CmCodec>());
}

}  // namespace lmarc

namespace lmarc {

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
