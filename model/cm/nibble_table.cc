#include "model/cm/nibble_table.h"

#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace lmarc::cm {
namespace {

// Huge-page size on x86-64 Linux: the table is aligned to it so that huge
// pages can back all of it.
constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

NibbleTable::NibbleTable(int slot_bits) : bucket_bits_(slot_bits - 2) {
  const size_t table_bytes = bytes();
#if defined(__linux__)
  // mmap, not calloc: after a large free glibc raises its mmap threshold, and
  // the next calloc of the same size then memsets a reused heap block.
  memory_bytes_ = table_bytes + kHugePage;
  memory_ = mmap(nullptr, memory_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory_ == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t at = reinterpret_cast<uintptr_t>(memory_);
  buckets_ = reinterpret_cast<Bucket*>((at + kHugePage - 1) & ~uintptr_t{kHugePage - 1});
#if defined(MADV_HUGEPAGE)
  // Every byte's lookups land on random pages of a table of up to 128 MiB:
  // with 4 KiB pages nearly each one is also a TLB miss. Ask for huge pages
  // (a hint only; the contents and the results do not depend on it).
  madvise(buckets_, table_bytes, MADV_HUGEPAGE);
#endif
#else
  memory_bytes_ = table_bytes + sizeof(Bucket);
  memory_ = std::calloc(memory_bytes_, 1);
  if (memory_ == nullptr) throw std::bad_alloc();
  const uintptr_t at = reinterpret_cast<uintptr_t>(memory_);
  buckets_ = reinterpret_cast<Bucket*>((at + alignof(Bucket) - 1) & ~uintptr_t{alignof(Bucket) - 1});
#endif
}

NibbleTable::~NibbleTable() {
#if defined(__linux__)
  munmap(memory_, memory_bytes_);
#else
  std::free(memory_);
#endif
}

}  // namespace lmarc::cm
