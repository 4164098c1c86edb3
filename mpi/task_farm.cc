#include "mpi/task_farm.h"

#include <mpi.h>

#include <cstring>
#include <deque>
#include <map>

#include "mpi/compute_pool.h"
#include "mpi/runtime.h"

namespace lmarc {
namespace {

// Message tags of the farm protocol. Every worker REQUEST is answered by one
// ASSIGN or one STOP; a worker sends FINISHED once it has no request, task or
// result outstanding after a STOP.
enum Tag : int {
  kTagRequest = 101,   // worker -> master, empty: "give me a task"
  kTagAssign = 102,    // master -> worker, u64 task id
  kTagStop = 103,      // master -> worker, empty: no task left
  kTagResult = 104,    // worker -> master, u64 task id + result bytes
  kTagError = 105,     // worker -> master, one-line message
  kTagFinished = 106,  // worker -> master, empty
  kTagNever = 199,     // never sent: a failed worker waits on it for MPI_Abort
};

constexpr int kMaster = 0;
constexpr int64_t kPollMicroseconds = 200;  // MPI polling period while idle

void SendBytes(const std::vector<uint8_t>& bytes, int dest, int tag) {
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dest, tag, MPI_COMM_WORLD);
}

std::vector<uint8_t> TaskMessage(uint64_t task, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> message(8 + payload.size());
  std::memcpy(message.data(), &task, 8);
  if (!payload.empty()) std::memcpy(message.data() + 8, payload.data(), payload.size());
  return message;
}

// Receives the probed message; returns its bytes.
std::vector<uint8_t> ReceiveProbed(const MPI_Status& probe) {
  int count = 0;
  MPI_Get_count(&probe, MPI_BYTE, &count);
  std::vector<uint8_t> bytes(static_cast<size_t>(count));
  MPI_Recv(bytes.data(), count, MPI_BYTE, probe.MPI_SOURCE, probe.MPI_TAG, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  return bytes;
}

class Master {
 public:
  Master(const TaskFarmOptions& options, const TaskFunction& compute, const ConsumeFunction& consume)
      : options_(options),
        consume_(consume),
        pool_(options.master_computes || MpiRuntime::size() == 1 ? options.threads_per_rank : 0,
              compute),
        workers_(MpiRuntime::size() - 1) {}

  Status Run() {
    while (next_consume_ < options_.task_count || finished_workers_ < workers_) {
      while (pool_.idle() > 0 && CanHandOut()) pool_.Submit(next_task_++);
      // Alone, block until a local result; with workers, pace MPI polling.
      int64_t wait_us = workers_ == 0 ? -1 : kPollMicroseconds;
      ComputePool::Result result;
      while (pool_.TakeResult(&result, wait_us)) {
        if (!result.output.ok()) return result.output.status();
        ready_.emplace(result.task, std::move(result.output).value());
        wait_us = 0;
      }
      RETURN_IF_ERROR(ConsumeReady());
      if (workers_ > 0) RETURN_IF_ERROR(ServeMessages());
    }
    return Status::Ok();
  }

 private:
  bool CanHandOut() const {
    return next_task_ < options_.task_count && next_task_ < next_consume_ + options_.window;
  }

  // Consumes results in task order, then answers requests that waited for
  // the window to move.
  Status ConsumeReady() {
    for (auto it = ready_.find(next_consume_); it != ready_.end(); it = ready_.find(next_consume_)) {
      RETURN_IF_ERROR(consume_(next_consume_, std::move(it->second)));
      ready_.erase(it);
      ++next_consume_;
    }
    while (!waiting_.empty() && (CanHandOut() || next_task_ >= options_.task_count)) {
      Answer(waiting_.front());
      waiting_.pop_front();
    }
    return Status::Ok();
  }

  void Answer(int worker) {
    if (next_task_ >= options_.task_count) {
      MPI_Send(nullptr, 0, MPI_BYTE, worker, kTagStop, MPI_COMM_WORLD);
      return;
    }
    const uint64_t task = next_task_++;
    MPI_Send(&task, 8, MPI_BYTE, worker, kTagAssign, MPI_COMM_WORLD);
  }

  Status ServeMessages() {
    for (;;) {
      int flag = 0;
      MPI_Status probe;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &probe);
      if (!flag) return Status::Ok();
      std::vector<uint8_t> bytes = ReceiveProbed(probe);
      const int worker = probe.MPI_SOURCE;
      switch (probe.MPI_TAG) {
        case kTagRequest:
          if (CanHandOut() || next_task_ >= options_.task_count) {
            Answer(worker);
          } else {
            waiting_.push_back(worker);
          }
          break;
        case kTagResult: {
          uint64_t task = 0;
          if (bytes.size() < 8) return Internal("short result message from rank " + std::to_string(worker));
          std::memcpy(&task, bytes.data(), 8);
          bytes.erase(bytes.begin(), bytes.begin() + 8);
          ready_.emplace(task, std::move(bytes));
          RETURN_IF_ERROR(ConsumeReady());
          break;
        }
        case kTagError:
          return Status(StatusCode::kInternal, std::string(bytes.begin(), bytes.end()));
        case kTagFinished:
          ++finished_workers_;
          break;
        default:
          return Internal("unexpected message tag " + std::to_string(probe.MPI_TAG));
      }
    }
  }

  const TaskFarmOptions& options_;
  const ConsumeFunction& consume_;
  ComputePool pool_;
  const int workers_;
  int finished_workers_ = 0;
  uint64_t next_task_ = 0;
  uint64_t next_consume_ = 0;
  std::map<uint64_t, std::vector<uint8_t>> ready_;
  std::deque<int> waiting_;
};

// Sends a finished task's result to the master. A failed task is reported
// instead, after which this rank waits for the master to end the job.
Status Deliver(ComputePool::Result& result) {
  if (result.output.ok()) {
    SendBytes(TaskMessage(result.task, result.output.value()), kMaster, kTagResult);
    return Status::Ok();
  }
  const std::string text = MpiRuntime::RankPrefix() + result.output.status().message();
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_BYTE, kMaster, kTagError, MPI_COMM_WORLD);
  // The master reports the error and aborts the job: block until then.
  MPI_Recv(nullptr, 0, MPI_BYTE, kMaster, kTagNever, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return result.output.status();
}

// A worker rank: requests tasks while it has idle threads, returns results.
Status RunWorker(const TaskFarmOptions& options, const TaskFunction& compute) {
  ComputePool pool(options.threads_per_rank, compute);
  int requested = 0;  // requests not yet answered
  bool stopped = false;
  for (;;) {
    while (!stopped && pool.idle() - requested > 0) {
      MPI_Send(nullptr, 0, MPI_BYTE, kMaster, kTagRequest, MPI_COMM_WORLD);
      ++requested;
    }
    int message_waiting = 0;
    MPI_Status probe;
    MPI_Iprobe(kMaster, MPI_ANY_TAG, MPI_COMM_WORLD, &message_waiting, &probe);
    int64_t wait_us = message_waiting ? 0 : kPollMicroseconds;
    ComputePool::Result result;
    while (pool.TakeResult(&result, wait_us)) {
      RETURN_IF_ERROR(Deliver(result));
      wait_us = 0;
    }
    if (stopped && requested == 0 && pool.in_flight() == 0) break;
    if (!message_waiting) continue;
    const std::vector<uint8_t> bytes = ReceiveProbed(probe);
    --requested;
    if (probe.MPI_TAG == kTagStop) {
      stopped = true;
    } else {
      uint64_t task = 0;
      std::memcpy(&task, bytes.data(), 8);
      pool.Submit(task);
    }
  }
  MPI_Send(nullptr, 0, MPI_BYTE, kMaster, kTagFinished, MPI_COMM_WORLD);
  return Status::Ok();
}

}  // namespace

bool MasterShouldCompute(int ranks) { return ranks <= 4; }

Status RunTaskFarm(const TaskFarmOptions& options, const TaskFunction& compute,
                   const ConsumeFunction& consume) {
  if (options.window < 1 || options.threads_per_rank < 1) return Internal("invalid task farm options");
  if (MpiRuntime::rank() != kMaster) {
    RETURN_IF_ERROR(RunWorker(options, compute));
  } else {
    Master master(options, compute, consume);
    RETURN_IF_ERROR(master.Run());
  }
  // No rank leaves before every rank is done: a worker that finished early
  // would otherwise send its requests for the next farm to a master still
  // serving this one, which would take them (any source, any tag) and answer
  // them as its own.
  Barrier();
  return Status::Ok();
}

}  // namespace lmarc
