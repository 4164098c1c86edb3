#include "model/nn/onednn_runtime.h"

namespace lmarc::nn {

OnednnRuntime& Runtime() {
  static OnednnRuntime runtime;
  return runtime;
}

}  // namespace lmarc::nn
