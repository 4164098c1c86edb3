#include "model/cm/nibble_table.h"

#include <new>

namespace lmarc::cm {

NibbleTable::NibbleTable(int slot_bits)
    : bucket_bits_(slot_bits - 2),
      memory_(std::calloc((size_t{1} << bucket_bits_) + 1, sizeof(Bucket))) {
  if (memory_ == nullptr) throw std::bad_alloc();
  const uintptr_t at = reinterpret_cast<uintptr_t>(memory_.get());
  buckets_ = reinterpret_cast<Bucket*>((at + alignof(Bucket) - 1) & ~uintptr_t{alignof(Bucket) - 1});
}

}  // namespace lmarc::cm
