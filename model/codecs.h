// Registration of the model-driven codecs (model/).
#pragma once

#include <memory>
#include <string_view>

#include "src/codec.h"

namespace lmarc {

// Adds every codec implemented under model/ (cm, nn, array) to *registry.
void RegisterModelCodecs(CodecRegistry* registry);

}  // namespace lmarc

namespace lmarc {

// Every codec this build knows, core (stored, zstd) and model (cm, nn),
// built once and shared (codecs are stateless and thread-safe). Decoders
// always come from here.
const CodecRegistry& BuiltinCodecs();

// The codec that encodes with `codec_name` and `model` ("" = the codec's
// default; only nn takes a model: "none" = no transformer, or a model id).
// The model is loaded and validated here, so a missing one fails before any
// work. InvalidArgument for an unknown codec or a model given to another.
StatusOr<std::shared_ptr<const Codec>> MakeEncodingCodec(std::string_view codec_name,
                                                         std::string_view model);

}  // namespace lmarc
