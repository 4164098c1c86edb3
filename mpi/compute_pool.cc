#include "mpi/compute_pool.h"

#include <chrono>

namespace lmarc {

ComputePool::ComputePool(int threads, const TaskFunction& compute)
    : compute_(compute), threads_(threads) {
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

ComputePool::~ComputePool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  task_ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

int ComputePool::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return threads_ - (in_flight_ - static_cast<int>(results_.size()));
}

int ComputePool::in_flight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_flight_;
}

void ComputePool::Submit(uint64_t task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(task);
    ++in_flight_;
  }
  task_ready_.notify_one();
}

bool ComputePool::TakeResult(Result* result, int64_t wait_us) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (wait_us < 0) {
    result_ready_.wait(lock, [this] { return !results_.empty() || in_flight_ == 0; });
  } else if (wait_us > 0) {
    // A timed wait sleeps even with nothing in flight: it paces MPI polling.
    result_ready_.wait_for(lock, std::chrono::microseconds(wait_us),
                           [this] { return !results_.empty(); });
  }
  if (results_.empty()) return false;
  *result = std::move(results_.front());
  results_.pop_front();
  --in_flight_;
  return true;
}

void ComputePool::Work() {
  for (;;) {
    uint64_t task = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      task_ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      task = tasks_.front();
      tasks_.pop_front();
    }
    StatusOr<std::vector<uint8_t>> output = compute_(task);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      results_.push_back({task, std::move(output)});
    }
    result_ready_.notify_all();
  }
}

}  // namespace lmarc
