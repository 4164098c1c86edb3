// Hostile archives: every golden archive, damaged at many positions (byte
// flips and truncations), must make verify and decompress either fail with
// an error or restore exactly the original files — never crash, hang or
// allocate without bound. Run under the sanitizer build this is a small
// deterministic fuzzer of every parser and decoder entry point.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "tests/archive_test_util.h"

namespace lmarc {
namespace {

using namespace ::lmarc::testing;  // NOLINT: test helpers

constexpr int kFlipsPerArchive = 600;
constexpr int kTruncationsPerArchive = 100;

class ArchiveMutationTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    golden_ = std::string(LMARC_TEST_DATA_DIR) + "/" + GetParam();
    original_ = ReadFile(golden_);
    ASSERT_TRUE(Decompress(golden_, tmp_ / "reference").ok());
  }

  // Verifies and decompresses `damaged`; success must mean identical files.
  void ExpectErrorOrExactRestore(const std::string& damaged, const std::string& what) {
    const std::string archive = tmp_ / "damaged.lmarc.h5";
    WriteFile(archive, damaged);
    const Status verified = Verify(archive, /*quick=*/false);
    const std::string out = tmp_ / "out";
    std::filesystem::remove_all(out);
    const Status restored = Decompress(archive, out);
    if (restored.ok()) {
      EXPECT_TRUE(verified.ok()) << what << ": decompress succeeded where verify failed: "
                                 << verified.message();
      ExpectSameTree(tmp_ / "reference", out);
    } else {
      EXPECT_FALSE(restored.message().empty()) << what;
      EXPECT_EQ(restored.message().find('\n'), std::string::npos) << what << ": one line";
    }
  }

  TempDir tmp_;
  std::string golden_;
  std::string original_;
};

TEST_P(ArchiveMutationTest, FlippedBytesFailCleanlyOrRestoreExactly) {
  std::mt19937 rng(12345);
  for (int i = 0; i < kFlipsPerArchive; ++i) {
    std::string damaged = original_;
    const size_t at = rng() % damaged.size();
    damaged[at] = static_cast<char>(damaged[at] ^ static_cast<char>(1 + rng() % 255));
    ExpectErrorOrExactRestore(damaged, "byte " + std::to_string(at) + " flipped");
  }
}

TEST_P(ArchiveMutationTest, TruncationsFailCleanly) {
  std::mt19937 rng(678);
  for (int i = 0; i < kTruncationsPerArchive; ++i) {
    const size_t keep = rng() % original_.size();
    ExpectErrorOrExactRestore(original_.substr(0, keep), "truncated to " + std::to_string(keep));
  }
}

INSTANTIATE_TEST_SUITE_P(Goldens, ArchiveMutationTest,
                         ::testing::Values("golden-v1-zstd.lmarc.h5", "golden-v1-cm.lmarc.h5"));

}  // namespace
}  // namespace lmarc
