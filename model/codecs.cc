#include "model/codecs.h"

#include <memory>

#include "model/cm/cm_codec.h"

namespace lmarc {

void RegisterModelCodecs(CodecRegistry* registry) {
  registry->Register(std::make_unique<CmCodec>());
}

}  // namespace lmarc
