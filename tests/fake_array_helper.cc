// Stands in for `lmarc __locate-arrays` in typed_archive_test: misbehaves the
// way a helper parsing a hostile file might, chosen by its executable name
// suffix (argv[0] ends in -crash, -hang, -garbage or -huge-region).
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

int main(int, char** argv) {
  const std::string self = argv[0];
  const auto ends_with = [&](const std::string& suffix) {
    return self.size() >= suffix.size() && self.compare(self.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with("-crash")) raise(SIGSEGV);
  if (ends_with("-hang")) {
    for (;;) pause();
  }
  if (ends_with("-garbage")) {
    std::fputs("this is not a region list", stdout);
    return 0;
  }
  if (ends_with("-huge-region")) {
    // An answer for one file: one well-formed region (u8, 2^40 elements at
    // offset 0) that is far larger than any test file.
    const uint8_t bytes[] = {1,                             // ok
                             64, 0, 0, 0, 0, 0, 0, 0,       // answer length
                             1, 0, 0, 0, 0, 0, 0, 0,        // count
                             0, 0, 0, 0, 0, 0, 0, 0,        // entry
                             0, 0, 0, 0, 0, 0, 0, 0,        // offset
                             1, 6, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20,  // layout u8 [2^40]
                             0, 0, 0, 0,                    // dataset name size
                             0, 0, 0, 0, 0, 0, 0, 0,        // start
                             0, 0, 0, 0, 0, 0, 0, 1,        // dataset extent 2^56
                             0, 0,                          // not deflated, no shuffle
                             0, 0, 0, 0, 0, 0, 0, 0};       // stored bytes
    std::fwrite(bytes, 1, sizeof bytes, stdout);
    return 0;
  }
  return 3;
}
