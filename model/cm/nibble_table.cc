#include "model/cm/nibble_table.h"

namespace lmarc::cm {

NibbleTable::NibbleTable(int slot_bits)
    : bucket_bits_(slot_bits - 2),
      buckets_(new Bucket[size_t{1} << (slot_bits - 2)]()) {}

}  // namespace lmarc::cm
