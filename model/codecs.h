// Registration of the model-driven codecs (model/).
#pragma once

#include "src/codec.h"

namespace lmarc {

// Adds every codec implemented under model/ (currently `cm`) to *registry.
void RegisterModelCodecs(CodecRegistry* registry);

}  // namespace lmarc
