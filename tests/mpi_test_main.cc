// GoogleTest main for tests that run as every rank of an MPI job (and alone,
// where MpiRuntime does not initialise MPI). Rank 0 prints gtest's usual
// output; the other ranks print only their failures, each line tagged
// "rank=R". The exit code is non-zero on every rank when a test failed on
// any rank.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "mpi/runtime.h"
#include "tests/mpi_test_util.h"

namespace lmarc {
namespace {

// Prints the failed assertions of a rank whose default printer is removed.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}

  void OnTestStart(const ::testing::TestInfo& test) override {
    test_name_ = std::string(test.test_suite_name()) + "." + test.name();
  }

  // Runs with gtest's lock held: must not call back into UnitTest.
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    // One write per failure, so lines of different ranks do not interleave.
    const std::string line = "[  FAILED  ] rank=" + std::to_string(rank_) + " " + test_name_ + " " +
                             (result.file_name() != nullptr ? result.file_name() : "?") + ":" +
                             std::to_string(result.line_number()) + ": " + result.message() + "\n";
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  }

 private:
  const int rank_;
  std::string test_name_ = "(outside a test)";
};

void PrintOnlyFailuresOnThisRank(int rank) {
  ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  listeners.Append(new RankFailurePrinter(rank));
}

}  // namespace
}  // namespace lmarc

int main(int argc, char** argv) {
  if (const lmarc::Status started = lmarc::MpiRuntime::Start(&argc, &argv); !started.ok()) {
    std::fprintf(stderr, "mpi test: %s\n", started.message().c_str());
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  const int rank = lmarc::MpiRuntime::rank();
  if (rank != 0) lmarc::PrintOnlyFailuresOnThisRank(rank);
  const bool failed_here = RUN_ALL_TESTS() != 0;
  const bool any_failed = lmarc::testing::OnAnyRank(failed_here);
  if (rank == 0 && any_failed && !failed_here) {
    std::fprintf(stdout, "[  FAILED  ] a test failed on another rank (see rank= lines)\n");
  }
  lmarc::MpiRuntime::Stop();
  return any_failed ? 1 : 0;
}
