#include "jobs/bench_media.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include "io/image_file.h"
#include "io/wave_file.h"
#include "jobs/bench_process.h"
#include "src/byte_order.h"

namespace lmarc {
namespace {

bool IsSamples(const TypedRegion& r) { return r.dataset == "/samples"; }
bool IsPixels(const TypedRegion& r) { return r.dataset == "/pixels"; }

uint64_t Channels(const TypedRegion& r) { return r.layout.shape.size() > 1 ? r.layout.shape.back() : 1; }

// Samples of a PNM copy per pixel (1 or 3), 0 when none applies.
uint64_t PnmSamples(const TypedRegion& r) {
  const auto& shape = r.layout.shape;
  const bool depth = r.layout.dtype == array::DType::kU8 || r.layout.dtype == array::DType::kU16;
  if (!depth || shape.size() < 2 || shape.size() > 3) return 0;
  const uint64_t samples = shape.size() == 3 ? shape[2] : 1;
  return samples == 1 || samples == 3 ? samples : 0;
}

bool IntegerSamples(array::DType dtype) {
  return dtype == array::DType::kU8 || dtype == array::DType::kI16 || dtype == array::DType::kI24 ||
         dtype == array::DType::kI32;
}

std::string WaveHeader(const TypedRegion& r, uint64_t data_bytes) {
  const uint64_t channels = Channels(r);
  const uint64_t bits = 8 * array::ElementBytes(r.layout.dtype);
  const bool is_float = array::IsFloat(r.layout.dtype);
  const bool extensible = channels > 2 || bits > 16;
  std::vector<uint8_t> h;
  const auto tag = [&h](const char* four) { h.insert(h.end(), four, four + 4); };
  const uint32_t fmt_bytes = extensible ? 40 : 16;
  tag("RIFF");
  AppendLe32(static_cast<uint32_t>(4 + 8 + fmt_bytes + 8 + data_bytes + (data_bytes & 1)), &h);
  tag("WAVE");
  tag("fmt ");
  AppendLe32(fmt_bytes, &h);
  const uint16_t format = is_float ? 3 : 1;
  AppendLe16(extensible ? 0xFFFE : format, &h);
  AppendLe16(static_cast<uint16_t>(channels), &h);
  AppendLe32(44100, &h);
  AppendLe32(static_cast<uint32_t>(44100 * channels * bits / 8), &h);
  AppendLe16(static_cast<uint16_t>(channels * bits / 8), &h);
  AppendLe16(static_cast<uint16_t>(bits), &h);
  if (extensible) {
    AppendLe16(22, &h);
    AppendLe16(static_cast<uint16_t>(bits), &h);
    AppendLe32(channels > 18 ? 0 : (1u << channels) - 1, &h);  // front channels in order
    AppendLe16(format, &h);
    const uint8_t guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                   0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    h.insert(h.end(), guid_tail, guid_tail + 14);
  }
  tag("data");
  AppendLe32(static_cast<uint32_t>(data_bytes), &h);
  return std::string(h.begin(), h.end());
}

BenchMethod Peer(std::string name, const std::string& tool, const std::string& executable,
                 std::string suffix, std::vector<std::string> compress,
                 const std::string& decoder, std::vector<std::string> decompress,
                 bool decoder_writes_stdout = false, std::string restored_suffix = {}) {
  return {.name = std::move(name), .tool = tool, .executable = executable,
          .compressed_suffix = std::move(suffix), .compress = {std::move(compress)},
          .decompress = {std::move(decompress), decoder_writes_stdout},
          .decompress_executable = decoder, .restored_suffix = std::move(restored_suffix)};
}

StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return IoError(path + ": cannot read");
  return bytes;
}

// The samples or pixels of a WAV or PNM file, found by the scanners
// `lmarc compress` uses (headers may differ between writers), and the
// samples per pixel (1 for sound); nothing when the file holds no single
// such region.
struct MediaContent {
  std::string bytes;
  uint64_t samples = 1;
};
StatusOr<std::optional<MediaContent>> ReadMediaContent(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string file, ReadWhole(path));
  const std::span<const uint8_t> head(reinterpret_cast<const uint8_t*>(file.data()), file.size());
  StatusOr<std::vector<TypedRegion>> regions =
      HasWaveMagic(head)    ? LocateWaveSamples(path, file.size())
      : HasImageMagic(head) ? LocateImagePixels(path, file.size())
                            : StatusOr<std::vector<TypedRegion>>(std::vector<TypedRegion>{});
  if (!regions.ok() || regions->size() != 1) return std::optional<MediaContent>();
  const TypedRegion& r = regions->front();
  const uint64_t samples = IsPixels(r) && r.layout.shape.size() == 3 ? r.layout.shape[2] : 1;
  return std::optional<MediaContent>(MediaContent{file.substr(r.offset, r.bytes()), samples});
}

}  // namespace

MediaTools FindMediaTools() {
  const auto find = [](const char* name) { return FindExecutableOnPath(name).value_or(""); };
  return {find("flac"),  find("wavpack"), find("wvunpack"), find("optipng"), find("pngtopnm"),
          find("cwebp"), find("dwebp"),   find("cjxl"),     find("djxl")};
}

std::vector<std::string> MissingMediaTools(const MediaTools& tools) {
  std::vector<std::string> missing;
  const std::pair<const std::string*, const char*> all[] = {
      {&tools.flac, "flac"},         {&tools.wavpack, "wavpack"}, {&tools.wvunpack, "wvunpack"},
      {&tools.optipng, "optipng"},   {&tools.pngtopnm, "pngtopnm"}, {&tools.cwebp, "cwebp"},
      {&tools.dwebp, "dwebp"},       {&tools.cjxl, "cjxl"},       {&tools.djxl, "djxl"}};
  for (const auto& [path, name] : all) {
    if (path->empty()) missing.push_back(name);
  }
  return missing;
}

StatusOr<std::string> WriteMediaCopy(const TypedRegion& region, std::span<const uint8_t> values,
                                     const std::string& dir) {
  std::string path, header;
  std::string body(values.begin(), values.end());
  if (IsSamples(region) && Channels(region) <= 8) {
    path = dir + "/media.wav";
    header = WaveHeader(region, body.size());
    if (body.size() & 1) body.push_back('\0');
  } else if (IsPixels(region) && PnmSamples(region) > 0) {
    const uint64_t samples = PnmSamples(region);
    const bool wide = region.layout.dtype == array::DType::kU16;
    path = dir + (samples == 3 ? "/media.ppm" : "/media.pgm");
    header = std::string(samples == 3 ? "P6\n" : "P5\n") + std::to_string(region.layout.shape[1]) + " " +
             std::to_string(region.layout.shape[0]) + "\n" + (wide ? "65535" : "255") + "\n";
    if (wide) {  // PNM samples are big-endian
      for (size_t i = 0; i + 1 < body.size(); i += 2) std::swap(body[i], body[i + 1]);
    }
  } else {
    return std::string();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << header << body;
  if (!out) return IoError(path + ": cannot write the media copy");
  return path;
}

std::vector<BenchMethod> MediaPeersFor(const TypedRegion& region, const MediaTools& t) {
  std::vector<BenchMethod> peers;
  const array::DType dtype = region.layout.dtype;
  if (IsSamples(region) && Channels(region) <= 8) {
    if (!t.flac.empty() && IntegerSamples(dtype)) {
      peers.push_back(Peer("flac-8", "flac", t.flac, ".flac", {"-8", "-s", "-f", "{in}", "-o", "{out}"},
                           "", {"-d", "-s", "-f", "{in}", "-o", "{out}"}));
    }
    if (!t.wavpack.empty() && !t.wvunpack.empty() && dtype != array::DType::kF64) {
      // wvunpack appends ".wav" to an output name without one.
      peers.push_back(Peer("wavpack-hhx6", "wavpack", t.wavpack, ".wv",
                           {"-hhx6", "-q", "-y", "{in}", "-o", "{out}"}, t.wvunpack,
                           {"-q", "-y", "{in}", "-o", "{out}"}, false, ".wav"));
    }
  }
  if (IsPixels(region) && PnmSamples(region) > 0) {
    if (!t.optipng.empty() && !t.pngtopnm.empty()) {
      peers.push_back(Peer("png-optipng-o2", "optipng", t.optipng, ".png",
                           {"-o2", "-quiet", "-clobber", "-out", "{out}", "{in}"}, t.pngtopnm, {"{in}"},
                           true));
    }
    if (!t.cwebp.empty() && !t.dwebp.empty() && dtype == array::DType::kU8) {
      peers.push_back(Peer("webp-lossless-z9", "cwebp", t.cwebp, ".webp",
                           {"-lossless", "-z", "9", "-quiet", "{in}", "-o", "{out}"}, t.dwebp,
                           {"-quiet", "{in}", "-ppm", "-o", "{out}"}));
    }
    if (!t.cjxl.empty() && !t.djxl.empty()) {
      const std::string pnm = PnmSamples(region) == 3 ? ".ppm" : ".pgm";
      for (const char* effort : {"7", "9"}) {
        peers.push_back(Peer(std::string("jxl-lossless-e") + effort, "cjxl", t.cjxl, ".jxl",
                             {"{in}", "{out}", "-q", "100", "-e", effort, "--quiet"}, t.djxl,
                             {"{in}", "{out}", "--quiet"}, false, pnm));
      }
    }
  }
  return peers;
}

SameCheck SameMediaContent() {
  return [](const std::string& input, const std::string& restored) -> StatusOr<bool> {
    ASSIGN_OR_RETURN(const std::optional<MediaContent> a, ReadMediaContent(input));
    ASSIGN_OR_RETURN(const std::optional<MediaContent> b, ReadMediaContent(restored));
    if (!a || !b) return false;
    if (a->samples == b->samples) return a->bytes == b->bytes;
    if (a->samples != 1 || b->samples != 3 || b->bytes.size() != 3 * a->bytes.size()) return false;
    for (size_t i = 0; i < a->bytes.size(); ++i) {  // gray decoded as RGB: R = G = B = the gray value
      if (b->bytes[3 * i] != a->bytes[i]) return false;
    }
    return true;
  };
}

}  // namespace lmarc
