// Hashed table of nibble slots shared by all hashed context models.
//
// A context is looked up twice per byte, at bit 0 and at bit 4, with a key
// that mixes the context hash and (for the second lookup) the byte's high
// nibble. The slot found holds one check byte and the bit-history states of
// the 15 nodes of a 4-bit binary tree (node 1 = first bit of the nibble,
// nodes 2..3 = second bit, ... nodes 8..15 = fourth bit).
//
// Slots are grouped four to a 64-byte, cache-line-aligned bucket. A key picks
// its bucket from its high bits and its check byte from bits 32..39 (apart
// from the bucket bits: at most the top 21, see cm_params.h); a
// lookup takes the first slot whose check matches, otherwise it clears the
// slot whose first node has seen the fewest bits and claims it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/cm/bit_history.h"

namespace lmarc::cm {

class NibbleTable {
 public:
  static constexpr int kSlotBytes = 16;
  static constexpr int kSlotsPerBucket = 4;

  // 2^slot_bits slots (slot_bits >= 2), zero-filled: every slot is fresh.
  explicit NibbleTable(int slot_bits);
  ~NibbleTable();
  NibbleTable(const NibbleTable&) = delete;
  NibbleTable& operator=(const NibbleTable&) = delete;

  size_t bytes() const { return (size_t{1} << bucket_bits_) * sizeof(Bucket); }

  void Prefetch(uint64_t key) const { __builtin_prefetch(&buckets_[BucketIndex(key)]); }

  // Returns the slot for `key`: [0] is the check byte, [1..15] node states.
  // `history` is BitHistory(), passed in to spare a guarded static per call.
  uint8_t* Find(uint64_t key, const BitHistoryTable& history) {
    Bucket& bucket = buckets_[BucketIndex(key)];
    const uint8_t check = static_cast<uint8_t>(key >> 32);
    for (int i = 0; i < kSlotsPerBucket; ++i) {
      if (bucket.slots[i][0] == check) return bucket.slots[i];
    }
    int victim = 0;
    int victim_seen = 1 << 30;
    for (int i = 0; i < kSlotsPerBucket; ++i) {
      const uint8_t state = bucket.slots[i][1];
      const int seen = history.zeros[state] + history.ones[state];
      if (seen < victim_seen) {
        victim_seen = seen;
        victim = i;
      }
    }
    uint8_t* slot = bucket.slots[victim];
    for (int i = 0; i < kSlotBytes; ++i) slot[i] = 0;
    slot[0] = check;
    return slot;
  }

 private:
  struct alignas(64) Bucket {
    uint8_t slots[kSlotsPerBucket][kSlotBytes];
  };

  size_t BucketIndex(uint64_t key) const { return static_cast<size_t>(key >> (64 - bucket_bits_)); }

  int bucket_bits_;
  // Zero pages from the OS (nibble_table.cc), so untouched buckets cost
  // nothing and no call pays for a memset; buckets_ is the first aligned
  // boundary inside the block.
  void* memory_;
  size_t memory_bytes_;
  Bucket* buckets_;
};

}  // namespace lmarc::cm
