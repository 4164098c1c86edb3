// Running the built `lmarc` binary from tests (LMARC_BINARY is set by CMake).
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "tests/archive_test_util.h"

extern char** environ;

namespace lmarc::testing {

struct CliResult {
  int exit_code = -1;  // -1: did not start or did not exit normally
  std::string out;
  std::string err;
};

// Runs `lmarc ARGS...` with stdin from /dev/null; stdout and stderr are
// captured through files in `scratch_dir`.
inline CliResult RunLmarc(const std::string& scratch_dir,
                          const std::vector<std::string>& args) {
  const std::string out = scratch_dir + "/stdout", err = scratch_dir + "/stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv = {const_cast<char*>(LMARC_BINARY)};
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  CliResult result;
  pid_t pid = 0;
  int wait_status = 0;
  if (posix_spawn(&pid, LMARC_BINARY, &actions, nullptr, argv.data(), environ) == 0 &&
      waitpid(pid, &wait_status, 0) == pid && WIFEXITED(wait_status)) {
    result.exit_code = WEXITSTATUS(wait_status);
  }
  posix_spawn_file_actions_destroy(&actions);
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

}  // namespace lmarc::testing
