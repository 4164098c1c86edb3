#include "io/h5_handle.h"

namespace lmarc {

void SilenceHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

}  // namespace lmarc
