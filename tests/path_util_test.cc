// Tests of the archive path rules (io/path_util.h).
#include "io/path_util.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/io_test_util.h"

namespace lmarc {
namespace {

TEST(PathUtilTest, AcceptsWellFormedRelativePaths) {
  for (const char* path : {"a", "a/b/c", "..a", "a..", "a/.b", "a b/c\td", "\xff/x"}) {
    EXPECT_TRUE(ValidateArchivePath(path).ok()) << path;
  }
  EXPECT_TRUE(ValidateArchivePath(std::string(kMaxArchivePathLength, 'x')).ok());
}

TEST(PathUtilTest, RefusesPathsThatCouldEscapeOrAreMalformed) {
  const struct {
    std::string path;
    std::string message;
  } cases[] = {
      {"", "empty archive path"},
      {"/abs", "/abs: path escapes the output directory"},
      {"..", "..: path escapes the output directory"},
      {"a/..", "a/..: path escapes the output directory"},
      {"a/../../b", "a/../../b: path escapes the output directory"},
      {".", ".: invalid archive path (empty or '.' component)"},
      {"a/./b", "a/./b: invalid archive path (empty or '.' component)"},
      {"a//b", "a//b: invalid archive path (empty or '.' component)"},
      {"a/", "a/: invalid archive path (empty or '.' component)"},
      {std::string("a\0b", 3), std::string("a\0b", 3) + ": archive path contains a NUL byte"},
  };
  for (const auto& c : cases) {
    const Status status = ValidateArchivePath(c.path);
    EXPECT_EQ(status.code(), StatusCode::kCorrupt) << c.path;
    EXPECT_EQ(status.message(), c.message);
  }
  EXPECT_EQ(ValidateArchivePath(std::string(kMaxArchivePathLength + 1, 'x')).code(),
            StatusCode::kCorrupt);
}

TEST(PathUtilTest, ArchiveRootNameIsTheLastComponent) {
  EXPECT_EQ(ArchiveRootName("data").value(), "data");
  EXPECT_EQ(ArchiveRootName("runs/r1/").value(), "r1");
  EXPECT_EQ(ArchiveRootName("/scratch//run42//").value(), "run42");
  testing::TempDir tmp;
  testing::WriteFile(tmp / "sub/dir/f", "");
  EXPECT_EQ(ArchiveRootName(tmp / "sub/dir/.").value(), "dir");
  EXPECT_EQ(ArchiveRootName(tmp / "sub/dir/..").value(), "sub");
  EXPECT_EQ(ArchiveRootName("/").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ArchiveRootName("//").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ArchiveRootName("").status().code(), StatusCode::kInvalidArgument);
}

TEST(PathUtilTest, Helpers) {
  EXPECT_EQ(SplitPathComponents("a//b/"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(JoinPath("", "x"), "x");
  EXPECT_EQ(JoinPath("d/", "x"), "d/x");
  EXPECT_EQ(JoinPath("d", "x"), "d/x");
  EXPECT_EQ(StripTrailingSlashes("d//"), "d");
  EXPECT_EQ(StripTrailingSlashes("/"), "/");
  EXPECT_EQ(ArchivePathDepth("a/b/c"), 3u);
}

}  // namespace
}  // namespace lmarc
