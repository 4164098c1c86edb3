// RAII ownership of HDF5 identifiers: each H5Id closes its id exactly once
// with the matching H5?close function.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <utility>

#include "src/status.h"

namespace lmarc {

class H5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Id() = default;
  H5Id(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  H5Id(H5Id&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  H5Id& operator=(H5Id&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  ~H5Id() { Reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void Reset() {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Builds an HDF5 compound type: Add places a member at a given offset (for
// native memory types of C++ structs), Next right after the previous one
// (for packed file types).
class CompoundBuilder {
 public:
  explicit CompoundBuilder(size_t size) : type_(H5Tcreate(H5T_COMPOUND, size), H5Tclose) {}
  CompoundBuilder& Add(const char* name, size_t offset, hid_t type) {
    H5Tinsert(type_.get(), name, offset, type);
    return *this;
  }
  CompoundBuilder& Next(const char* name, hid_t type) {
    H5Tinsert(type_.get(), name, next_offset_, type);
    next_offset_ += H5Tget_size(type);
    return *this;
  }
  H5Id Build() { return std::move(type_); }

 private:
  H5Id type_;
  size_t next_offset_ = 0;
};

// Turns off HDF5's automatic error-stack printing for the whole process:
// lmarc reports its own one-line errors.
void SilenceHdf5Errors();

// Opens an existing file read-only, without file locking (Lustre/NFS
// without flock), after checking that it is a regular file in HDF5 format;
// *file_bytes is its size (every offset read from it is checked against it).
// Errors carry no path prefix: IoError when it cannot be stat'ed,
// InvalidArgument when it is not a regular file, Corrupt when it is not
// HDF5 or cannot be opened.
StatusOr<H5Id> OpenHdf5ReadOnly(const std::string& path, uint64_t* file_bytes);

}  // namespace lmarc
