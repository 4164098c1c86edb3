// Dynamic master/worker scheduling of tasks 0 .. count-1 over every rank of
// the job (or over threads of a single process when MPI is not active).
//
// Rank 0 (the master) hands out task ids in increasing order on request and
// consumes results strictly in task order on its main thread, so whatever
// `consume` writes lands in task order whatever the rank count. At most
// `window` tasks past the oldest unconsumed one are handed out, which bounds
// the results the master holds. The master runs `compute_threads` compute
// threads of its own when `master_computes`; its main thread only services
// MPI (MPI_THREAD_FUNNELED), polling between messages, so workers never wait
// for a master busy computing.
//
// Errors: a failing task on any rank ends RunTaskFarm on rank 0 with that
// task's Status ("rank R: ..." prefixed for remote ranks); the caller reports
// it and ends the job. Otherwise every rank returns OK once all ranks are
// done (the farm ends with a barrier), so farms run one after another never
// see each other's messages.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "src/status.h"

namespace lmarc {

struct TaskFarmOptions {
  uint64_t task_count = 0;
  uint64_t window = 16;         // tasks in flight past the oldest unconsumed, >= 1
  int threads_per_rank = 1;     // compute threads on each rank
  bool master_computes = true;  // rank 0 computes too (always true when alone)
};

// Computes one task; may run on any rank, on several threads at once.
using TaskFunction = std::function<StatusOr<std::vector<uint8_t>>(uint64_t task)>;
// Receives each task's result on rank 0's main thread, in task order.
using ConsumeFunction = std::function<Status(uint64_t task, std::vector<uint8_t>&& result)>;

Status RunTaskFarm(const TaskFarmOptions& options, const TaskFunction& compute,
                   const ConsumeFunction& consume);

// Whether rank 0 should compute as well: when workers are few, an idle
// master would waste a large share of the job (2 ranks: half).
bool MasterShouldCompute(int ranks);

}  // namespace lmarc
