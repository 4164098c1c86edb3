#include "model/cm/nibble_table.h"

#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace lmarc::cm {

NibbleTable::NibbleTable(int slot_bits)
    : bucket_bits_(slot_bits - 2),
      memory_(std::calloc((size_t{1} << bucket_bits_) + 1, sizeof(Bucket))) {
  if (memory_ == nullptr) throw std::bad_alloc();
  const uintptr_t at = reinterpret_cast<uintptr_t>(memory_.get());
  buckets_ = reinterpret_cast<Bucket*>((at + alignof(Bucket) - 1) & ~uintptr_t{alignof(Bucket) - 1});
#if defined(MADV_HUGEPAGE)
  // Every byte's lookups land on random pages of a table of up to 128 MiB:
  // with 4 KiB pages nearly each one is also a TLB miss. Ask for huge pages
  // (a hint only; the contents and the results do not depend on it).
  constexpr uintptr_t kPage = 4096;
  const uintptr_t begin = (at + kPage - 1) & ~(kPage - 1);
  const uintptr_t end = (at + ((size_t{1} << bucket_bits_) + 1) * sizeof(Bucket)) & ~(kPage - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

}  // namespace lmarc::cm
