// array_bench: developer benchmark for the `array` codec.
//
//   array_bench [-l LEVEL] --dtype f32|f64|i8|...|u64 [--big-endian] --shape 4x190x174 FILE
// Compresses the file as one array, decodes it, verifies the round trip and
// prints raw and compressed size, ratio and encode/decode speed (MB/s of
// thread CPU time). Exit status 1 on any failure, 2 on a usage error.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/array/array_codec.h"

namespace {

// CPU seconds of this thread: on a shared machine, wall time measures the
// neighbours as much as the codec.
double CpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// "4x190x174" -> {4, 190, 174}; false on anything else.
bool ParseShape(const std::string& text, std::vector<uint64_t>* shape) {
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('x', start), text.size());
    const std::string part = text.substr(start, end - start);
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return false;
    shape->push_back(std::stoull(part));
    start = end + 1;
  }
  return !shape->empty();
}

int Usage() {
  std::fprintf(stderr,
               "usage: array_bench [-l LEVEL] --dtype f32|f64|i8|i16|i32|i64|u8|u16|u32|u64 "
               "[--big-endian] --shape AxBxC FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int level = lmarc::kDefaultLevel;
  lmarc::array::ArrayLayout layout;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-l" && i + 1 < argc) {
      level = std::atoi(argv[++i]);
    } else if (arg == "--dtype" && i + 1 < argc) {
      if (!lmarc::array::ParseDType(argv[++i], &layout.dtype).ok()) return Usage();
    } else if (arg == "--shape" && i + 1 < argc) {
      if (!ParseShape(argv[++i], &layout.shape)) return Usage();
    } else if (arg == "--big-endian") {
      layout.byte_order = lmarc::array::ByteOrder::kBig;
    } else if (path.empty() && arg[0] != '-') {
      path = arg;
    } else {
      return Usage();
    }
  }
  if (path.empty() || layout.shape.empty()) return Usage();
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  const std::vector<uint8_t> raw((std::istreambuf_iterator<char>(file)),
                                 std::istreambuf_iterator<char>());
  const lmarc::ArrayCodec codec;
  std::vector<uint8_t> body;
  double start = CpuSeconds();
  if (const lmarc::Status s = codec.EncodeArray(raw, layout, level, &body); !s.ok()) {
    std::fprintf(stderr, "%s: encode: %s\n", path.c_str(), s.message().c_str());
    return 1;
  }
  const double encode_s = CpuSeconds() - start;
  std::vector<uint8_t> decoded(raw.size());
  start = CpuSeconds();
  if (const lmarc::Status s = codec.Decode(body, decoded); !s.ok()) {
    std::fprintf(stderr, "%s: decode: %s\n", path.c_str(), s.message().c_str());
    return 1;
  }
  const double decode_s = CpuSeconds() - start;
  if (decoded != raw) {
    std::fprintf(stderr, "%s: round trip mismatch\n", path.c_str());
    return 1;
  }
  std::printf("%-50s %-22s %9zu -> %8zu  ratio %6.3f  enc %6.2f MB/s  dec %6.2f MB/s\n",
              path.c_str(), lmarc::array::Describe(layout).c_str(), raw.size(), body.size(),
              body.empty() ? 0.0 : static_cast<double>(raw.size()) / body.size(),
              raw.size() / 1e6 / encode_s, raw.size() / 1e6 / decode_s);
  return 0;
}
