// Finds, validates and caches transformer models by id (docs/model.md,
// "Finding a model"). Models are immutable: a model id is the SHA-256 of its
// file, so a cached model never goes stale.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/nn/transformer.h"
#include "src/status.h"

namespace lmarc::nn {

// Directories searched after $LMARC_MODEL_PATH: the install directory
// (<prefix>/share/lmarc/models), then the source tree's model/weights.
const std::vector<std::string>& DefaultModelDirs();

// The model with this id, loaded and validated once per process
// (thread-safe). Errors name the id: NotFound lists the directories searched;
// Corrupt when the file fails validation or its hash is not the id.
StatusOr<std::shared_ptr<const TransformerModel>> LoadModel(std::string_view model_id);

}  // namespace lmarc::nn
