#include "mpi/runtime.h"

#include <cstdlib>
#include <algorithm>
#include <cstring>

namespace lmarc {

bool MpiRuntime::active_ = false;
int MpiRuntime::rank_ = 0;
int MpiRuntime::size_ = 1;

namespace {

bool HasEnv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0';
}

// Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; PMIx launchers (srun
// --mpi=pmix, prterun) set PMIX_RANK.
bool LaunchedByMpi() { return HasEnv("OMPI_COMM_WORLD_SIZE") || HasEnv("PMIX_RANK"); }

}  // namespace

Status MpiRuntime::Start(int* argc, char*** argv) {
  if (!LaunchedByMpi()) {
    const char* tasks = std::getenv("SLURM_NTASKS");
    if (HasEnv("SLURM_STEP_ID") && tasks != nullptr && std::atoi(tasks) > 1) {
      return InvalidArgument(
          "started by srun without MPI: use 'srun --mpi=pmix' (Debian's Open MPI has PMIx only)");
    }
    return Status::Ok();
  }
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    return Internal("MPI_Init_thread failed");
  }
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    return Unsupported("the MPI library does not provide MPI_THREAD_FUNNELED");
  }
  active_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  return Status::Ok();
}

void MpiRuntime::Stop() {
  if (active_) MPI_Finalize();
  active_ = false;
}

void MpiRuntime::AbortJob(int exit_code) {
  if (active_) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);
}

std::string MpiRuntime::RankPrefix() {
  return size_ > 1 ? "rank " + std::to_string(rank_) + ": " : "";
}

}  // namespace lmarc

namespace lmarc {

void BroadcastBytes(std::vector<uint8_t>* bytes) {
  if (!MpiRuntime::active() || MpiRuntime::size() == 1) return;
  uint64_t size = bytes->size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  bytes->resize(size);
  constexpr uint64_t kPiece = uint64_t{1} << 30;
  for (uint64_t done = 0; done < size; done += kPiece) {
    const int count = static_cast<int>(std::min(kPiece, size - done));
    MPI_Bcast(bytes->data() + done, count, MPI_BYTE, 0, MPI_COMM_WORLD);
  }
}

void Barrier() {
  if (MpiRuntime::active() && MpiRuntime::size() > 1) MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace lmarc
