// Compute threads of one rank: task ids in, results out, in any order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "mpi/task_farm.h"

namespace lmarc {

class ComputePool {
 public:
  struct Result {
    uint64_t task = 0;
    StatusOr<std::vector<uint8_t>> output = Internal("task not run");
  };

  ComputePool(int threads, const TaskFunction& compute);
  ~ComputePool();  // finishes the queued tasks, then joins
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  // Threads without a task (queued tasks count as taken).
  int idle() const;
  // Tasks submitted whose result has not been taken yet.
  int in_flight() const;
  void Submit(uint64_t task);
  // Takes a finished result if one is ready; waits up to `wait_us` for one
  // first (0: no wait; negative: until a result is ready or nothing is in
  // flight; positive: sleeps that long even when nothing is in flight).
  bool TakeResult(Result* result, int64_t wait_us);

 private:
  void Work();

  const TaskFunction& compute_;
  const int threads_;
  mutable std::mutex mutex_;
  std::condition_variable task_ready_;
  std::condition_variable result_ready_;
  std::deque<uint64_t> tasks_;
  std::deque<Result> results_;
  int in_flight_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace lmarc
