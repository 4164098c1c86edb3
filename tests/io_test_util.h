// Fixture helpers shared by the io/ tests: temporary directories and a
// sample input tree exercising every entry kind.
#pragma once

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace lmarc::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/lmarc_io_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    // Restore permissions a test may have removed, then delete.
    std::error_code ignored;
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ignored);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ignored)) {
      if (it->is_directory(ignored) && !it->is_symlink(ignored)) {
        std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ignored);
      }
    }
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Deterministic pseudo-random bytes, so large files are not all zeros.
inline std::string PatternBytes(size_t size, uint32_t seed) {
  std::string bytes(size, '\0');
  uint32_t state = seed * 2654435761u + 1;
  for (char& byte : bytes) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

inline void SetMtime(const std::string& path, int64_t sec, long nsec) {
  const struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(sec), nsec}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

inline constexpr size_t kSmallFileCount = 500;
inline constexpr size_t kLargeFileSize = 3 * 1024 * 1024 + 17;

// Builds `root` with nested directories, an empty file, an empty directory,
// a read-only directory, relative and absolute symlinks, a hard link pair,
// kSmallFileCount small files and one large file. Mtimes carry nanoseconds.
inline void MakeSampleTree(const std::string& root) {
  WriteFile(root + "/a/b/c/deep.txt", "deep content\n");
  WriteFile(root + "/a/empty.bin", "");
  std::filesystem::create_directories(root + "/empty_dir");
  WriteFile(root + "/readonly/inside.txt", "inside a read-only directory");
  WriteFile(root + "/large.bin", PatternBytes(kLargeFileSize, 7));
  for (size_t i = 0; i < kSmallFileCount; ++i) {
    WriteFile(root + "/many/f" + std::to_string(i) + ".txt", "small file " + std::to_string(i));
  }
  WriteFile(root + "/linked/original.txt", "shared by two names");
  ASSERT_EQ(link((root + "/linked/original.txt").c_str(), (root + "/a/second_name.txt").c_str()),
            0);
  ASSERT_EQ(symlink("b/c/deep.txt", (root + "/a/relative_link").c_str()), 0);
  ASSERT_EQ(symlink("/nonexistent/absolute/target", (root + "/absolute_link").c_str()), 0);
  ASSERT_EQ(chmod((root + "/a/b/c/deep.txt").c_str(), 0640), 0);
  ASSERT_EQ(chmod((root + "/large.bin").c_str(), 0755), 0);
  SetMtime(root + "/a/b/c/deep.txt", 1'600'000'000, 123'456'789);
  SetMtime(root + "/a/relative_link", 1'500'000'000, 42);
  SetMtime(root + "/a/b", 1'400'000'000, 999'999'999);
  SetMtime(root + "/empty_dir", 1'300'000'000, 1);
  ASSERT_EQ(chmod((root + "/readonly").c_str(), 0555), 0);
}

}  // namespace lmarc::testing
