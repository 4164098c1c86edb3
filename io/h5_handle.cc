#include "io/h5_handle.h"

#include <sys/stat.h>

#include <cerrno>

namespace lmarc {

void SilenceHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

StatusOr<H5Id> OpenHdf5ReadOnly(const std::string& path, uint64_t* file_bytes) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoError("open", errno);
  if (!S_ISREG(st.st_mode)) return InvalidArgument("not a regular file");
  *file_bytes = static_cast<uint64_t>(st.st_size);
  if (H5Fis_hdf5(path.c_str()) <= 0) return Corrupt("not an HDF5 file (or truncated)");
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_file_locking(fapl.get(), false, true);
  H5Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.valid()) return Corrupt("cannot open as HDF5 (truncated or damaged)");
  return file;
}

}  // namespace lmarc
