// Borrowed<T>: lends the compute threads of one rank objects that are not
// thread-safe (input readers, tree restorers), one per running task.
#pragma once

#include <mutex>
#include <vector>

namespace lmarc {

// Invariant: at most items->size() tasks use the pool at once (one per
// compute thread), so a free slot always exists when With() is called.
template <typename T>
class Borrowed {
 public:
  explicit Borrowed(std::vector<T>* items) : items_(items), busy_(items->size(), false) {}
  template <typename F>
  auto With(F&& use) {
    size_t slot = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (busy_[slot]) ++slot;
      busy_[slot] = true;
    }
    auto result = use((*items_)[slot]);
    std::lock_guard<std::mutex> lock(mutex_);
    busy_[slot] = false;
    return result;
  }

 private:
  std::vector<T>* items_;
  std::vector<bool> busy_;
  std::mutex mutex_;
};

}  // namespace lmarc
