// The job runners as every rank of an MPI job calls them (run under mpirun
// with 1, 2 and 4 ranks, and alone): round trips, archives that do not
// depend on threads or ranks (against a singleton run of the lmarc binary),
// parallel extraction, and the task farm's balance and result order.
//
// Rank 0 builds every fixture in a directory it shares with the other ranks
// (same machine) by broadcasting its path. A collective step that fails
// ends the whole job (the other ranks may wait in a call this rank never
// reaches); checks of results run on rank 0 after the collective steps.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mpi/runtime.h"
#include "mpi/task_farm.h"
#include "tests/archive_test_util.h"
#include "tests/mpi_test_util.h"

extern char** environ;

namespace lmarc {
namespace {

using namespace ::lmarc::testing;  // NOLINT: test helpers

// Ends the test on this rank, and the job when there are other ranks, if a
// step every rank takes together failed here.
#define LMARC_COLLECTIVE_OK(step, expr)                                       \
  do {                                                                        \
    const ::lmarc::Status lmarc_collective_status_ = (expr);                  \
    if (!lmarc_collective_status_.ok()) {                                     \
      ADD_FAILURE() << RankTag() << " " << (step) << ": "                     \
                    << lmarc_collective_status_.message();                    \
      if (::lmarc::MpiRuntime::size() > 1) ::lmarc::MpiRuntime::AbortJob(1);  \
      return;                                                                 \
    }                                                                         \
  } while (0)

// "offset N of M bytes" where two byte strings first differ, "" when equal.
std::string FirstDifference(const std::string& expected, const std::string& actual) {
  if (expected == actual) return "";
  const auto [at, unused] = std::mismatch(expected.begin(), expected.end(), actual.begin(), actual.end());
  return "differ at offset " + std::to_string(at - expected.begin()) + " (expected " +
         std::to_string(expected.size()) + " bytes, got " + std::to_string(actual.size()) + ")";
}

// Deterministic text-like bytes: words of a small vocabulary, compressible.
std::string TextLikeBytes(size_t size, uint32_t seed) {
  static constexpr std::string_view kWords[] = {"archive ", "chunk ", "rank ", "stream ", "the ",
                                                "of ",      "model ", "file\n", "data, ", "tree "};
  std::string text;
  uint32_t state = seed * 2654435761u + 1;
  while (text.size() < size) {
    state = state * 1664525u + 1013904223u;
    text += kWords[(state >> 24) % std::size(kWords)];
  }
  text.resize(size);
  return text;
}

// --- a singleton lmarc process -------------------------------------------

// This process's environment without the variables by which a launcher
// makes a process one rank of a job, so that a child starts alone.
std::vector<std::string> SingletonEnvironment() {
  std::vector<std::string> kept;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    const std::string_view text(*variable);
    if (text.starts_with("OMPI_") || text.starts_with("PMIX_") || text.starts_with("PMI_")) continue;
    kept.emplace_back(text);
  }
  return kept;
}

std::vector<char*> NullTerminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

struct SingletonResult {
  int exit_code = -1;  // -1: did not start or did not exit normally
  std::string err;
};

// Runs the lmarc binary as a singleton, its stderr captured in `err_path`.
SingletonResult RunSingletonLmarc(std::vector<std::string> args, const std::string& err_path) {
  args.insert(args.begin(), LMARC_BINARY);
  std::vector<std::string> environment = SingletonEnvironment();
  std::vector<char*> argv = NullTerminated(args);
  std::vector<char*> envp = NullTerminated(environment);
  posix_spawn_file_actions_t streams;
  posix_spawn_file_actions_init(&streams);
  posix_spawn_file_actions_addopen(&streams, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&streams, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&streams, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  SingletonResult result;
  pid_t pid = 0;
  int wait_status = 0;
  if (posix_spawn(&pid, LMARC_BINARY, &streams, nullptr, argv.data(), envp.data()) == 0 &&
      waitpid(pid, &wait_status, 0) == pid && WIFEXITED(wait_status)) {
    result.exit_code = WEXITSTATUS(wait_status);
  }
  posix_spawn_file_actions_destroy(&streams);
  result.err = ReadFile(err_path);
  return result;
}

// --- fixture ------------------------------------------------------------

constexpr uint64_t kSmallChunk = 16 << 10;
constexpr size_t kLargeFileSize = 100'000;  // several 16 KiB chunks
const std::string kLargeFile = "data/large.txt";

std::vector<TreeItem> FixtureItems() {
  std::vector<TreeItem> items = {
      Dir("data"),
      Dir("docs", 0750, 1'500'000'001, 5),
      Dir("docs/empty", 0700),
      File(kLargeFile, TextLikeBytes(kLargeFileSize, 1), 0755),
      File("data/empty.bin", ""),
      File("data/binary.bin", PatternBytes(20'000, 2), 0600, 1'600'000'123, 456'789),
      File("docs/readme.txt", "read me\n", 0640, 1'650'000'000, 987'654'321),
      Hardlink("docs/second_name.txt", "docs/readme.txt"),
      Symlink("docs/link_to_readme", "readme.txt"),
  };
  for (int i = 0; i < 24; ++i) {
    items.push_back(File("data/small_" + std::to_string(i) + ".txt", TextLikeBytes(300 + 97 * i, 10 + i)));
  }
  return items;
}

// A directory every rank sees: rank 0 creates it and removes it once every
// rank is done (the destructor waits for all ranks).
class SharedTempDir {
 public:
  SharedTempDir() : path_(BroadcastString(IsRankZero() ? owned_.emplace().path() : "")) {}
  ~SharedTempDir() { Barrier(); }
  SharedTempDir(const SharedTempDir&) = delete;
  SharedTempDir& operator=(const SharedTempDir&) = delete;

  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::optional<TempDir> owned_;  // rank 0 only
  const std::string path_;
};

class ParallelJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Rank 0 builds the tree; "" tells every rank that building failed.
    std::string built;
    if (IsRankZero()) {
      BuildTree(tree_, FixtureItems());
      if (!HasFatalFailure()) built = tree_;
    }
    ASSERT_EQ(BroadcastString(built), tree_) << RankTag() << ": rank 0 could not build the fixture tree";
  }

  CompressOptions CompressTree(const std::string& archive, const std::string& codec, int threads = 1) {
    CompressOptions options = QuietCompress({tree_}, archive, codec, kSmallChunk);
    options.threads = threads;
    return options;
  }

  ExtractOptions ExtractTo(const std::string& archive, const std::string& output) {
    ExtractOptions options;
    options.archive = archive;
    options.output = output;
    options.threads = 2;
    options.reporting.quiet = true;
    return options;
  }

  // The data stream of `archive` rebuilt from the files of the fixture tree.
  std::string ExpectedStream(const std::string& archive) {
    auto reader = ArchiveReader::Open(archive, &BuiltinCodecs());
    EXPECT_TRUE(reader.ok()) << RankTag() << " " << reader.status().message();
    if (!reader.ok()) return "";
    std::string stream((*reader)->stream_size(), '\0');
    for (const FileEntry& entry : (*reader)->entries()) {
      if (entry.kind != EntryKind::kRegular) continue;
      const std::string content = ReadFile(tmp_ / entry.path);
      EXPECT_EQ(content.size(), entry.size) << RankTag() << " " << entry.path;
      stream.replace(entry.stream_offset, std::min<size_t>(content.size(), entry.size), content);
    }
    return stream;
  }

  // The gtest trace prints this rank with every failure of the test.
  ::testing::ScopedTrace rank_trace_{__FILE__, __LINE__, RankTag()};
  SharedTempDir tmp_;
  const std::string tree_ = tmp_ / "tree";
};

// --- round trip -----------------------------------------------------------

class ParallelRoundTripTest : public ParallelJobsTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(ParallelRoundTripTest, RestoresContentModesTimesAndLinks) {
  const std::string archive = tmp_ / "tree.lmarc.h5";
  LMARC_COLLECTIVE_OK("compress", RunCompress(CompressTree(archive, GetParam())));
  std::ostringstream verify_report;
  LMARC_COLLECTIVE_OK("verify", RunVerify({.archive = archive, .threads = 2, .reporting = {.quiet = true}},
                                          verify_report));
  LMARC_COLLECTIVE_OK("decompress", Decompress(archive, tmp_ / "out", /*threads=*/2));
  if (IsRankZero()) ExpectSameTree(tree_, tmp_ / "out/tree");
}

INSTANTIATE_TEST_SUITE_P(Codecs, ParallelRoundTripTest, ::testing::Values("zstd", "cm"),
                         [](const auto& info) { return info.param; });

// --- archive bytes --------------------------------------------------------

TEST_F(ParallelJobsTest, ArchiveBytesDependOnNeitherThreadsNorRanks) {
  const std::string one_thread = tmp_ / "threads1.lmarc.h5";
  const std::string two_threads = tmp_ / "threads2.lmarc.h5";
  const CompressOptions options = CompressTree(one_thread, "cm");
  LMARC_COLLECTIVE_OK("compress, 1 thread", RunCompress(options));
  LMARC_COLLECTIVE_OK("compress, 2 threads", RunCompress(CompressTree(two_threads, "cm", 2)));
  if (!IsRankZero()) return;

  const std::string reference = ReadFile(one_thread);
  ASSERT_FALSE(reference.empty()) << RankTag();
  EXPECT_EQ(FirstDifference(reference, ReadFile(two_threads)), "") << RankTag() << ": threads=2 vs 1";

  const std::string singleton = tmp_ / "singleton.lmarc.h5";
  const SingletonResult run = RunSingletonLmarc(
      {"compress", tree_, "-o", singleton, "--codec", options.codec, "--chunk-size",
       std::to_string(options.chunk_size), "--level", std::to_string(options.level), "-q"},
      tmp_ / "singleton.err");
  ASSERT_EQ(run.exit_code, 0) << RankTag() << ": singleton lmarc: " << run.err;
  EXPECT_EQ(FirstDifference(reference, ReadFile(singleton)), "")
      << RankTag() << ": " << MpiRuntime::size() << " ranks vs a singleton lmarc";
}

// --- extraction -----------------------------------------------------------

TEST_F(ParallelJobsTest, ExtractsChunksAndAFileRangeAcrossChunkBoundaries) {
  const std::string archive = tmp_ / "extract.lmarc.h5";
  LMARC_COLLECTIVE_OK("compress", RunCompress(CompressTree(archive, "zstd")));
  // Every rank reads the archive as soon as the collective compress returns.
  const std::vector<ChunkRow> rows = ChunkRowsOf(archive);
  ASSERT_TRUE(OnEveryRank(rows.size() >= 6)) << RankTag() << ": " << rows.size() << " chunks here";

  ExtractOptions chunks = ExtractTo(archive, tmp_ / "chunks.out");
  auto chunk_list = ParseChunkList("0,2-4," + std::to_string(rows.size() - 1));
  ASSERT_TRUE(OnEveryRank(chunk_list.ok())) << RankTag();
  chunks.chunks = *chunk_list;
  LMARC_COLLECTIVE_OK("extract --chunks", RunExtract(chunks));

  // A range of the large file starting inside one chunk and ending two
  // chunk boundaries later.
  ExtractOptions range = ExtractTo(archive, tmp_ / "range.out");
  range.path = "tree/" + kLargeFile;
  range.has_range = true;
  range.range_offset = kSmallChunk / 2 + 11;
  range.range_length = 2 * kSmallChunk + 5;
  uint64_t chunks_decoded = 0;
  range.chunks_decoded = &chunks_decoded;
  LMARC_COLLECTIVE_OK("extract --path --range", RunExtract(range));
  if (!IsRankZero()) return;

  const std::string stream = ExpectedStream(archive);
  std::string expected_chunks;
  for (uint64_t chunk : chunks.chunks) {
    expected_chunks += stream.substr(rows[chunk].stream_offset, rows[chunk].raw_size);
  }
  EXPECT_EQ(FirstDifference(expected_chunks, ReadFile(tmp_ / "chunks.out")), "") << RankTag() << ": --chunks";
  const std::string expected_range =
      ReadFile(tree_ + "/" + kLargeFile).substr(range.range_offset, range.range_length);
  EXPECT_EQ(FirstDifference(expected_range, ReadFile(tmp_ / "range.out")), "") << RankTag() << ": --range";
  EXPECT_LE(chunks_decoded, 4u) << RankTag() << ": the range spans 3 or 4 chunks; rank 0 decoded more";
}

// --- task farm ------------------------------------------------------------

// A result names its farm, its task and the rank that computed it.
struct FarmResult {
  uint64_t farm = 0;
  uint64_t task = 0;
  uint64_t rank = 0;
};

std::vector<uint8_t> EncodeFarmResult(const FarmResult& result) {
  std::vector<uint8_t> bytes(sizeof(result));
  std::memcpy(bytes.data(), &result, sizeof(result));
  return bytes;
}

struct FarmRun {
  uint64_t computed_here = 0;  // tasks this rank computed
  std::vector<FarmResult> consumed;  // rank 0: results in consumption order
};

// Runs the farm on every rank; task t sleeps cost[t] time units. Results
// carry `farm`, so that one consumed by another farm is an error.
FarmRun RunSleepingFarm(const TaskFarmOptions& options, const std::vector<int>& costs,
                        std::chrono::microseconds unit, uint64_t farm = 0) {
  std::atomic<uint64_t> computed{0};
  const TaskFunction sleep_for_cost = [&](uint64_t task) -> StatusOr<std::vector<uint8_t>> {
    ++computed;
    std::this_thread::sleep_for(unit * costs.at(task));
    return EncodeFarmResult({farm, task, static_cast<uint64_t>(MpiRuntime::rank())});
  };
  FarmRun run;
  const ConsumeFunction record = [&](uint64_t task, std::vector<uint8_t>&& bytes) -> Status {
    FarmResult result;
    if (bytes.size() != sizeof(result)) return Internal("task " + std::to_string(task) + ": bad result size");
    std::memcpy(&result, bytes.data(), sizeof(result));
    if (result.farm != farm || result.task != task) {
      return Internal("result of farm " + std::to_string(result.farm) + " task " +
                      std::to_string(result.task) + " consumed by farm " + std::to_string(farm) +
                      " as task " + std::to_string(task));
    }
    run.consumed.push_back(result);
    return Status::Ok();
  };
  const Status status = RunTaskFarm(options, sleep_for_cost, record);
  EXPECT_TRUE(status.ok()) << RankTag() << ": " << status.message();
  if (!status.ok() && MpiRuntime::size() > 1) MpiRuntime::AbortJob(1);
  run.computed_here = computed.load();
  return run;
}

void ExpectConsumedInTaskOrder(const FarmRun& run, uint64_t task_count) {
  ASSERT_EQ(run.consumed.size(), task_count) << RankTag();
  for (uint64_t task = 0; task < task_count; ++task) {
    EXPECT_EQ(run.consumed[task].task, task) << RankTag() << ": consumption order";
  }
}

// Chunk costs of a tree of 300 small files packed into chunks, plus one
// file 20 times larger: one task costs 20 units, the others one.
std::vector<int> OneHugeTaskCosts(size_t task_count) {
  std::vector<int> costs(task_count, 1);
  costs[task_count / 3] = 20;
  return costs;
}

TEST(TaskFarmTest, EveryRankComputesAndResultsArriveInTaskOrder) {
  const int ranks = MpiRuntime::size();
  const uint64_t task_count = std::max<uint64_t>(40, 4 * ranks);
  TaskFarmOptions options;
  options.task_count = task_count;
  options.window = 4 * ranks;
  options.master_computes = MasterShouldCompute(ranks);
  const FarmRun run = RunSleepingFarm(options, OneHugeTaskCosts(task_count), std::chrono::milliseconds(2));
  const std::vector<uint64_t> computed = GatherOnRankZero(run.computed_here);
  if (!IsRankZero()) return;

  ExpectConsumedInTaskOrder(run, task_count);
  uint64_t total = 0;
  for (int rank = 0; rank < ranks; ++rank) {
    total += computed[rank];
    const bool computes = rank > 0 || options.master_computes || ranks == 1;
    if (computes && task_count >= 2u * ranks) {
      EXPECT_GT(computed[rank], 0u) << "rank=" << rank << " computed no task of " << task_count;
    }
  }
  EXPECT_EQ(total, task_count) << RankTag() << ": tasks computed over all ranks";
  for (const FarmResult& result : run.consumed) {
    EXPECT_LT(result.rank, static_cast<uint64_t>(ranks)) << RankTag() << ": task " << result.task;
  }
}

struct FarmShape {
  uint64_t window;
  int threads_per_rank;
  bool master_computes;
};

class TaskFarmShapeTest : public ::testing::TestWithParam<FarmShape> {};

// Results finishing out of order (uneven costs, several threads, small
// windows) are still consumed in task order, exactly once each.
TEST_P(TaskFarmShapeTest, ConsumesUnevenTasksInOrder) {
  constexpr uint64_t kTasks = 37;
  std::vector<int> costs(kTasks);
  for (uint64_t task = 0; task < kTasks; ++task) costs[task] = static_cast<int>((task * 7) % 4);
  TaskFarmOptions options;
  options.task_count = kTasks;
  options.window = GetParam().window;
  options.threads_per_rank = GetParam().threads_per_rank;
  options.master_computes = GetParam().master_computes;
  const FarmRun run = RunSleepingFarm(options, costs, std::chrono::microseconds(500));
  const std::vector<uint64_t> computed = GatherOnRankZero(run.computed_here);
  if (!IsRankZero()) return;
  ExpectConsumedInTaskOrder(run, kTasks);
  if (MpiRuntime::size() > 1 && !options.master_computes) {
    EXPECT_EQ(computed[0], 0u) << RankTag() << ": rank 0 computed although master_computes is false";
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, TaskFarmShapeTest,
                         ::testing::Values(FarmShape{1, 1, true}, FarmShape{1, 2, false},
                                           FarmShape{3, 2, true}, FarmShape{64, 3, false}));

// Farms called one after another with no other communication between them:
// each sees only its own requests and results (a worker that finishes early
// must not reach the previous farm's master).
TEST(TaskFarmTest, BackToBackFarmsKeepTheirOwnMessages) {
  for (uint64_t farm = 1; farm <= 16; ++farm) {
    TaskFarmOptions options;
    options.task_count = farm % 4 * 3;  // every fourth farm has no task
    options.window = 1 + farm % 3;
    options.threads_per_rank = 1 + static_cast<int>(farm % 2);
    options.master_computes = farm % 3 != 0;
    const std::vector<int> costs(options.task_count, static_cast<int>(farm % 2));
    const FarmRun run = RunSleepingFarm(options, costs, std::chrono::microseconds(300), farm);
    if (IsRankZero()) ExpectConsumedInTaskOrder(run, options.task_count);
  }
}

TEST(TaskFarmTest, NoTasksEndsOnEveryRank) {
  TaskFarmOptions options;
  options.task_count = 0;
  const FarmRun run = RunSleepingFarm(options, {}, std::chrono::microseconds(1));
  EXPECT_EQ(run.computed_here, 0u) << RankTag();
  EXPECT_TRUE(run.consumed.empty()) << RankTag();
}

}  // namespace
}  // namespace lmarc
