// Registration of the model-driven codecs (model/).
#pragma once

#include "src/codec.h"

namespace lmarc {

// Adds every codec implemented under model/ (currently `cm`) to *registry.
void RegisterModelCodecs(CodecRegistry* registry);

}  // namespace lmarc

namespace lmarc {

// Every codec this build knows, core (stored, zstd) and model (cm), built
// once and shared (codecs are stateless and thread-safe).
const CodecRegistry& BuiltinCodecs();

}  // namespace lmarc
