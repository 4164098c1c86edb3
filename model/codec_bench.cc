// codec_bench: developer benchmark for one codec.
//
//   codec_bench [-c CODEC] [-l LEVEL] [-m MODEL_ID|none] FILE...
//   codec_bench [-l LEVEL] --dtype f32|f64|i8|...|u64 [--big-endian] --shape AxBxC FILE...
// (CODEC defaults to cm; -m picks the nn codec's model; --dtype/--shape code
// each file as one typed array with the array codec.) Compresses each
// file as one chunk, decodes it, verifies the round trip and
// prints compressed size, bits per byte and encode/decode speed (MB/s of
// thread CPU time), then
// the totals. Exit status 1 on any failure.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/array/array_codec.h"
#include "model/codecs.h"
#include "model/nn/nn_codec.h"

namespace {

// CPU seconds of this thread: on a shared machine, wall time measures the
// neighbours as much as the codec.
double CpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  int level = lmarc::kDefaultLevel;
  std::string codec_name = "cm";
  std::string model;
  lmarc::array::ArrayLayout layout;  // with --dtype: every file is one such array
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-l" && i + 1 < argc) {
      level = std::atoi(argv[++i]);
    } else if (arg == "-c" && i + 1 < argc) {
      codec_name = argv[++i];
    } else if (arg == "-m" && i + 1 < argc) {
      model = argv[++i];
    } else if (arg == "--dtype" && i + 1 < argc) {
      if (!lmarc::array::ParseDType(argv[++i], &layout.dtype).ok()) return 2;
      codec_name = "array";
    } else if (arg == "--shape" && i + 1 < argc) {
      if (!lmarc::array::ParseShape(argv[++i], &layout.shape).ok()) return 2;
    } else if (arg == "--big-endian") {
      layout.byte_order = lmarc::array::ByteOrder::kBig;
    } else {
      paths.push_back(arg);
    }
  }
  const lmarc::NnCodec chosen_model(model);
  const lmarc::Codec* found = model.empty() ? lmarc::BuiltinCodecs().FindByName(codec_name) : &chosen_model;
  if (found == nullptr) {
    std::fprintf(stderr, "unknown codec %s\n", codec_name.c_str());
    return 1;
  }
  const lmarc::Codec& codec = *found;
  size_t total_raw = 0, total_body = 0;
  double total_encode = 0, total_decode = 0;
  for (const std::string& path : paths) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 1;
    }
    const std::vector<uint8_t> raw((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>());
    std::vector<uint8_t> body;
    double start = CpuSeconds();
    const lmarc::Status encoded =
        layout.shape.empty() ? codec.Encode(raw, level, &body)
                             : lmarc::ArrayCodec().EncodeArray(raw, layout, level, &body);
    if (const lmarc::Status& s = encoded; !s.ok()) {
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
    std::printf("%-40s %9zu -> %8zu  %.3f bpc  enc %.2f MB/s  dec %.2f MB/s\n", path.c_str(),
                raw.size(), body.size(), raw.empty() ? 0.0 : 8.0 * body.size() / raw.size(),
                raw.size() / 1e6 / encode_s, raw.size() / 1e6 / decode_s);
    total_raw += raw.size();
    total_body += body.size();
    total_encode += encode_s;
    total_decode += decode_s;
  }
  std::printf("TOTAL %s level %d: %zu -> %zu  enc %.2f MB/s  dec %.2f MB/s\n", std::string(codec.name()).c_str(), level, total_raw,
              total_body, total_raw / 1e6 / total_encode, total_raw / 1e6 / total_decode);
  return 0;
}
