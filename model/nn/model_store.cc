#include "model/nn/model_store.h"

#include <map>
#include <mutex>

#include "model/nn/weight_file.h"

namespace lmarc::nn {

const std::vector<std::string>& DefaultModelDirs() {
  static const std::vector<std::string> dirs = {LMARC_MODEL_INSTALL_DIR, LMARC_MODEL_SOURCE_DIR};
  return dirs;
}

StatusOr<std::shared_ptr<const TransformerModel>> LoadModel(std::string_view model_id) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const TransformerModel>, std::less<>> cache;
  const std::lock_guard<std::mutex> lock(mutex);
  if (const auto found = cache.find(model_id); found != cache.end()) return found->second;

  ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, ReadModelFile(model_id, DefaultModelDirs()));
  StatusOr<WeightFile> file = LoadWeightFile(bytes, model_id);
  if (!file.ok()) return file.status().WithContext("model " + std::string(model_id));
  StatusOr<std::shared_ptr<const TransformerModel>> model = TransformerModel::FromWeightFile(*file);
  if (!model.ok()) return model.status().WithContext("model " + std::string(model_id));
  cache.emplace(std::string(model_id), *model);
  return *model;
}

}  // namespace lmarc::nn
