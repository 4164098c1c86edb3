// lmarc-blosc: the Blosc peer of `lmarc bench` for typed arrays (Blosc has
// no command-line tool). Blosc 1 with the zstd codec at level 9, one thread,
// byte shuffle or bit shuffle, on blocks of at most 64 MiB.
//
//   lmarc-blosc c shuffle|bitshuffle TYPESIZE IN OUT
//   lmarc-blosc d IN OUT
//
// OUT of `c`: the Blosc frames back to back, each preceded by its size
// (u32, little-endian). Exit status 0 on success, 1 with a message otherwise.
#include <blosc.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

constexpr size_t kBlockBytes = size_t{64} << 20;

int Fail(const std::string& message) {
  std::fprintf(stderr, "lmarc-blosc: %s\n", message.c_str());
  return 1;
}

bool ReadAll(const char* path, std::vector<char>* out) {
  std::ifstream in(path, std::ios::binary);
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return static_cast<bool>(in) || in.eof();
}

bool WriteAll(const char* path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  const bool compress = argc == 6 && std::strcmp(argv[1], "c") == 0;
  const bool decompress = argc == 4 && std::strcmp(argv[1], "d") == 0;
  if (!compress && !decompress) {
    return Fail("usage: lmarc-blosc c shuffle|bitshuffle TYPESIZE IN OUT | lmarc-blosc d IN OUT");
  }
  std::vector<char> in, out;
  if (!ReadAll(argv[compress ? 4 : 2], &in)) return Fail("cannot read input");
  if (compress) {
    const int shuffle = std::strcmp(argv[2], "bitshuffle") == 0 ? BLOSC_BITSHUFFLE : BLOSC_SHUFFLE;
    const size_t typesize = std::stoul(argv[3]);
    for (size_t at = 0; at < in.size(); at += kBlockBytes) {
      const size_t n = std::min(kBlockBytes, in.size() - at);
      std::vector<char> frame(n + BLOSC_MAX_OVERHEAD);
      const int written = blosc_compress_ctx(9, shuffle, typesize, n, in.data() + at, frame.data(),
                                             frame.size(), "zstd", 0, 1);
      if (written <= 0) return Fail("blosc_compress_ctx failed");
      for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>(static_cast<uint32_t>(written) >> (8 * b)));
      out.insert(out.end(), frame.begin(), frame.begin() + written);
    }
  } else {
    for (size_t at = 0; at + 4 <= in.size();) {
      uint32_t size = 0;
      for (int b = 0; b < 4; ++b) size |= static_cast<uint32_t>(static_cast<uint8_t>(in[at + b])) << (8 * b);
      at += 4;
      if (size > in.size() - at) return Fail("truncated frame");
      size_t raw = 0, compressed = 0, block = 0;
      blosc_cbuffer_sizes(in.data() + at, &raw, &compressed, &block);
      const size_t old = out.size();
      out.resize(old + raw);
      if (blosc_decompress_ctx(in.data() + at, out.data() + old, raw, 1) != static_cast<int>(raw)) {
        return Fail("blosc_decompress_ctx failed");
      }
      at += size;
    }
  }
  return WriteAll(argv[compress ? 5 : 3], out) ? 0 : Fail("cannot write output");
}
