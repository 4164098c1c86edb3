// WAV samples and uncompressed image pixels (PNM, BMP, TIFF) as typed
// regions: every supported layout is found with its dtype and shape and
// round-trips byte-exact through an archive; headers that lie, truncated
// and mutated files stay bytes without failing the job.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/image_file.h"
#include "io/wave_file.h"
#include "tests/typed_test_util.h"

namespace lmarc::testing {
namespace {

using array::ByteOrder;
using array::DType;

void PutLe(uint64_t value, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}
void PutBe(uint64_t value, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(value >> (8 * i)));
}

// `frames` x `channels` samples of a sine per channel, as `bytes`-byte
// little-endian integers (unsigned for 1 byte) shifted left by `low_zero`,
// or as floats for `is_float`.
std::string Samples(uint64_t frames, int channels, int bytes, bool is_float, int low_zero = 0) {
  std::string out;
  for (uint64_t f = 0; f < frames; ++f) {
    for (int c = 0; c < channels; ++c) {
      const double v = std::sin(0.01 * static_cast<double>(f) * (c + 1)) * 0.7;
      if (is_float && bytes == 4) {
        const float x = static_cast<float>(v);
        uint32_t bits;
        std::memcpy(&bits, &x, 4);
        PutLe(bits, 4, &out);
      } else if (bytes == 1) {
        out.push_back(static_cast<char>(128 + static_cast<int>(v * 120)));
      } else {
        const int64_t full = static_cast<int64_t>(v * static_cast<double>((int64_t{1} << (8 * bytes - 1)) - 1));
        PutLe(static_cast<uint64_t>(full >> low_zero << low_zero), bytes, &out);
      }
    }
  }
  return out;
}

// A WAV file: a LIST chunk, fmt (tag 1, 3 or 0xFFFE with `sub_format`),
// data (`data_size` claimed; the samples as given), and an odd trailing chunk.
std::string Wave(uint16_t tag, int channels, int bits, const std::string& samples,
                 uint16_t sub_format = 1, int64_t data_size = -1) {
  std::string body = "WAVE";
  body += "LIST";
  PutLe(5, 4, &body);
  body += "INFOx";
  body.push_back('\0');  // pad byte after the odd chunk
  body += "fmt ";
  const bool extensible = tag == 0xFFFE;
  PutLe(extensible ? 40 : 16, 4, &body);
  PutLe(tag, 2, &body);
  PutLe(static_cast<uint64_t>(channels), 2, &body);
  PutLe(44100, 4, &body);
  PutLe(44100u * channels * bits / 8, 4, &body);
  PutLe(static_cast<uint64_t>(channels * bits / 8), 2, &body);
  PutLe(static_cast<uint64_t>(bits), 2, &body);
  if (extensible) {
    PutLe(22, 2, &body);
    PutLe(static_cast<uint64_t>(bits == 24 ? 20 : bits), 2, &body);  // valid bits
    PutLe(3, 4, &body);                                               // channel mask
    PutLe(sub_format, 2, &body);
    body += std::string("\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71", 14);
  }
  body += "data";
  PutLe(data_size >= 0 ? static_cast<uint64_t>(data_size) : samples.size(), 4, &body);
  body += samples;
  if (samples.size() % 2) body.push_back('\0');
  body += "cue ";
  PutLe(3, 4, &body);
  body += "abc";
  std::string file = "RIFF";
  PutLe(body.size(), 4, &file);
  return file + body;
}

std::string Pgm(uint64_t width, uint64_t height, bool rgb, int maxval) {
  std::string file = std::string(rgb ? "P6" : "P5") + "\n# made by lmarc's tests\n" + std::to_string(width) +
                     " " + std::to_string(height) + "\n" + std::to_string(maxval) + "\n";
  const int samples = rgb ? 3 : 1;
  for (uint64_t y = 0; y < height; ++y) {
    for (uint64_t x = 0; x < width; ++x) {
      for (int c = 0; c < samples; ++c) {
        const uint64_t v = static_cast<uint64_t>((x * 3 + y * 5 + c * 40) % static_cast<uint64_t>(maxval + 1));
        if (maxval < 256) file.push_back(static_cast<char>(v)); else PutBe(v, 2, &file);
      }
    }
  }
  return file;
}

std::string Bmp(int32_t width, int32_t height, int bits) {
  const uint64_t stride = (static_cast<uint64_t>(width) * bits + 31) / 32 * 4;
  const uint64_t rows = static_cast<uint64_t>(height < 0 ? -height : height);
  const uint64_t palette = bits == 8 ? 1024 : 0;
  std::string file = "BM";
  PutLe(54 + palette + stride * rows, 4, &file);
  PutLe(0, 4, &file);
  PutLe(54 + palette, 4, &file);
  PutLe(40, 4, &file);
  PutLe(static_cast<uint32_t>(width), 4, &file);
  PutLe(static_cast<uint32_t>(height), 4, &file);
  PutLe(1, 2, &file);
  PutLe(static_cast<uint64_t>(bits), 2, &file);
  PutLe(0, 4, &file);
  PutLe(stride * rows, 4, &file);
  PutLe(2835, 4, &file);
  PutLe(2835, 4, &file);
  PutLe(0, 4, &file);
  PutLe(0, 4, &file);
  file += std::string(palette, '\x11');
  for (uint64_t y = 0; y < rows; ++y) {
    for (uint64_t b = 0; b < stride; ++b) file.push_back(static_cast<char>(b < static_cast<uint64_t>(width) * bits / 8 ? (b * 7 + y * 3) & 0xFF : 0));
  }
  return file;
}

// A TIFF of `height` rows of `width` pixels of `samples` samples of `bits`
// bits, byte order II or MM, in strips of `rows_per_strip` rows; a gap of
// `gap` bytes after strip 0; Compression `compression`.
std::string Tiff(bool big, uint32_t width, uint32_t height, uint32_t samples, uint32_t bits,
                 uint32_t rows_per_strip, uint32_t gap = 0, uint32_t compression = 1) {
  const auto put = [big](uint64_t v, int n, std::string* out) { big ? PutBe(v, n, out) : PutLe(v, n, out); };
  const uint32_t strips = (height + rows_per_strip - 1) / rows_per_strip;
  const uint32_t row_bytes = width * samples * bits / 8;
  std::string pixels;
  std::vector<uint32_t> offsets, counts;
  const uint32_t data_start = 8;
  for (uint32_t s = 0; s < strips; ++s) {
    const uint32_t rows = std::min(rows_per_strip, height - s * rows_per_strip);
    offsets.push_back(data_start + static_cast<uint32_t>(pixels.size()));
    counts.push_back(rows * row_bytes);
    for (uint32_t r = 0; r < rows; ++r) {
      for (uint32_t i = 0; i < width * samples; ++i) put((i * 11 + (s * rows_per_strip + r) * 7) % (1u << bits), static_cast<int>(bits / 8), &pixels);
    }
    if (s == 0) pixels += std::string(gap, '\0');
  }
  const uint32_t arrays_at = data_start + static_cast<uint32_t>(pixels.size());
  std::string arrays;  // BitsPerSample, StripOffsets, StripByteCounts values
  const uint32_t bits_at = arrays_at;
  for (uint32_t i = 0; i < samples; ++i) put(bits, 2, &arrays);
  const uint32_t offsets_at = arrays_at + static_cast<uint32_t>(arrays.size());
  for (uint32_t o : offsets) put(o, 4, &arrays);
  const uint32_t counts_at = arrays_at + static_cast<uint32_t>(arrays.size());
  for (uint32_t c : counts) put(c, 4, &arrays);
  const uint32_t ifd_at = arrays_at + static_cast<uint32_t>(arrays.size());
  std::string ifd;
  const auto entry = [&](uint16_t tag, uint16_t type, uint32_t count, uint32_t value) {
    put(tag, 2, &ifd);
    put(type, 2, &ifd);
    put(count, 4, &ifd);
    if (type == 3 && count <= 2) {  // one or two SHORTs inline (BitsPerSample of 2 samples: both `value`)
      put(value, 2, &ifd);
      put(count == 2 ? value : 0, 2, &ifd);
    } else {
      put(value, 4, &ifd);
    }
  };
  put(9, 2, &ifd);
  entry(256, 4, 1, width);
  entry(257, 4, 1, height);
  entry(258, 3, samples, samples <= 2 ? bits : bits_at);
  entry(259, 3, 1, compression);
  entry(262, 3, 1, samples >= 3 ? 2 : 1);
  entry(273, 4, strips, strips == 1 ? offsets[0] : offsets_at);
  entry(277, 3, 1, samples);
  entry(278, 4, 1, rows_per_strip);
  entry(279, 4, strips, strips == 1 ? counts[0] : counts_at);
  put(0, 4, &ifd);
  std::string file = big ? std::string("MM\0*", 4) : std::string("II*\0", 4);
  put(ifd_at, 4, &file);
  return file + pixels + arrays + ifd;
}

std::vector<TypedRegion> RegionsOf(const TempDir& tmp, const std::string& bytes) {
  const std::string path = tmp / "probe.bin";
  std::ofstream(path, std::ios::binary) << bytes;
  auto regions = LocateArraysInFile(path, bytes.size(), nullptr);
  EXPECT_TRUE(regions.ok()) << regions.status().message();
  return regions.ok() ? *regions : std::vector<TypedRegion>{};
}

TEST(MediaRegionsTest, WaveLayoutsBecomeSampleRegions) {
  TempDir tmp;
  const struct {
    const char* name;
    uint16_t tag, sub_format;
    int channels, bits;
    bool is_float;
    int low_zero;
    DType dtype;
  } cases[] = {
      {"stereo16.wav", 1, 1, 2, 16, false, 0, DType::kI16},
      {"mono24.wav", 1, 1, 1, 24, false, 0, DType::kI24},
      {"ext20in24.wav", 0xFFFE, 1, 2, 24, false, 4, DType::kI24},
      {"float6ch.wav", 3, 1, 6, 32, true, 0, DType::kF32},
      {"ext-float.wav", 0xFFFE, 3, 2, 32, true, 0, DType::kF32},
      {"u8mono.wav", 1, 1, 1, 8, false, 0, DType::kU8},
      {"int32.wav", 0xFFFE, 1, 2, 32, false, 0, DType::kI32},
  };
  std::filesystem::create_directories(tmp / "in");
  for (const auto& c : cases) {
    const uint64_t frames = 5001;  // odd: the 8-bit mono data chunk gets a pad byte
    const std::string wave = Wave(c.tag, c.channels, c.bits, Samples(frames, c.channels, c.bits / 8, c.is_float, c.low_zero), c.sub_format);
    const std::vector<TypedRegion> regions = RegionsOf(tmp, wave);
    ASSERT_EQ(regions.size(), 1u) << c.name;
    EXPECT_EQ(regions[0].layout.dtype, c.dtype) << c.name;
    const std::vector<uint64_t> shape = c.channels == 1 ? std::vector<uint64_t>{frames} : std::vector<uint64_t>{frames, uint64_t(c.channels)};
    EXPECT_EQ(regions[0].layout.shape, shape) << c.name;
    EXPECT_EQ(regions[0].dataset, "/samples");
    std::ofstream(tmp / (std::string("in/") + c.name), std::ios::binary) << wave;
  }
  const std::string archive = RoundTrip(tmp, tmp / "in", "waves");
  EXPECT_GE(ArrayChunks(archive), std::size(cases));
  // The samples of frames 100..109 of the 24-bit mono file, as stored.
  auto raw = ExtractSlabTo(archive, "in/mono24.wav:/samples", "100:110", tmp / "s.raw");
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_EQ(*raw, Samples(5001, 1, 3, false).substr(300, 30));
  auto h5 = ExtractSlabTo(archive, "in/mono24.wav:/samples", "100:110", tmp / "s.h5");
  ASSERT_TRUE(h5.ok()) << h5.status().message();
  EXPECT_EQ(ReadHyperslab(tmp / "s.h5", "samples", {0}, {10}), *raw);
}

TEST(MediaRegionsTest, WaveHeadersThatLieOrAreUnsupportedStayBytes) {
  TempDir tmp;
  const std::string samples = Samples(4000, 2, 2, false);
  std::string wrong_align = Wave(1, 2, 16, samples);
  wrong_align[wrong_align.find("fmt ") + 8 + 12] = 3;  // block align 3 for 2 x 16 bits
  const std::vector<std::string> liars = {
      Wave(1, 2, 16, samples, 1, static_cast<int64_t>(samples.size()) * 4),  // data larger than the file
      wrong_align,
      Wave(2, 2, 16, samples),                                  // ADPCM: no regions
      Wave(0xFFFE, 2, 16, samples, 6),                          // A-law sub-format
      Wave(1, 9, 16, Samples(2000, 9, 2, false)),               // more than 8 channels
  };
  std::filesystem::create_directories(tmp / "in");
  for (size_t i = 0; i < liars.size(); ++i) {
    const std::string path = tmp / ("probe" + std::to_string(i));
    std::ofstream(path, std::ios::binary) << liars[i];
    auto regions = LocateArraysInFile(path, liars[i].size(), nullptr);
    EXPECT_TRUE(!regions.ok() || regions->empty()) << i;
    std::ofstream(tmp / ("in/liar" + std::to_string(i) + ".wav"), std::ios::binary) << liars[i];
  }
  const std::string archive = RoundTrip(tmp, tmp / "in", "liars");
  EXPECT_EQ(ArrayChunks(archive), 0u);
}

TEST(MediaRegionsTest, ImagesBecomePixelRegions) {
  TempDir tmp;
  const struct {
    const char* name;
    std::string bytes;
    DType dtype;
    ByteOrder order;
    std::vector<std::vector<uint64_t>> shapes;  // per region
  } cases[] = {
      {"gray.pgm", Pgm(97, 83, false, 255), DType::kU8, ByteOrder::kBig, {{83, 97}}},
      {"rgb16.ppm", Pgm(64, 50, true, 4095), DType::kU16, ByteOrder::kBig, {{50, 64, 3}}},
      {"padded.bmp", Bmp(101, 40, 24), DType::kU8, ByteOrder::kLittle, {{40, 304}}},
      {"rgb.bmp", Bmp(100, -40, 24), DType::kU8, ByteOrder::kLittle, {{40, 100, 3}}},
      {"rgba.bmp", Bmp(64, 30, 32), DType::kU8, ByteOrder::kLittle, {{30, 64, 4}}},
      {"indexed.bmp", Bmp(128, 64, 8), DType::kU8, ByteOrder::kLittle, {{64, 128}}},
      {"rgb.tif", Tiff(false, 70, 45, 3, 8, 16), DType::kU8, ByteOrder::kLittle, {{45, 70, 3}}},
      {"gray16.tif", Tiff(true, 90, 60, 1, 16, 25, 7), DType::kU16, ByteOrder::kBig, {{25, 90}, {35, 90}}},
  };
  std::filesystem::create_directories(tmp / "in");
  for (const auto& c : cases) {
    const std::vector<TypedRegion> regions = RegionsOf(tmp, c.bytes);
    ASSERT_EQ(regions.size(), c.shapes.size()) << c.name;
    for (size_t r = 0; r < regions.size(); ++r) {
      EXPECT_EQ(regions[r].layout.dtype, c.dtype) << c.name;
      EXPECT_EQ(regions[r].layout.byte_order, c.order) << c.name;
      EXPECT_EQ(regions[r].layout.shape, c.shapes[r]) << c.name;
      EXPECT_EQ(regions[r].dataset, "/pixels");
    }
    std::ofstream(tmp / (std::string("in/") + c.name), std::ios::binary) << c.bytes;
  }
  // Too small to type (1 pixel), and compressed TIFF: bytes.
  EXPECT_TRUE(RegionsOf(tmp, Pgm(1, 1, false, 255)).empty());
  EXPECT_TRUE(RegionsOf(tmp, Tiff(false, 70, 45, 3, 8, 16, 0, 5)).empty());
  std::ofstream(tmp / "in/one.pgm", std::ios::binary) << Pgm(1, 1, false, 255);
  const std::string archive = RoundTrip(tmp, tmp / "in", "images");
  EXPECT_GE(ArrayChunks(archive), 9u);
  // Rows 20..30 of the two-strip TIFF cross both regions.
  const std::string tiff = cases[7].bytes;
  const std::string expected = tiff.substr(8 + 20 * 180, 5 * 180) + tiff.substr(8 + 25 * 180 + 7, 5 * 180);
  auto raw = ExtractSlabTo(archive, "in/gray16.tif:/pixels", "20:30,:", tmp / "p.raw");
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_EQ(*raw, expected);
}

// Truncations and byte mutations of every format: the scanners fail
// cleanly or report regions inside the file without overlaps.
TEST(MediaRegionsTest, ScannersSurviveTruncationAndMutation) {
  TempDir tmp;
  const std::vector<std::string> originals = {
      Wave(0xFFFE, 2, 24, Samples(900, 2, 3, false, 4)), Pgm(80, 60, true, 255), Bmp(90, 50, 24),
      Tiff(true, 60, 50, 2, 16, 7, 3), Tiff(false, 64, 40, 1, 8, 40)};
  uint64_t state = 7;
  const auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (const std::string& original : originals) {
    std::vector<std::string> variants;
    for (size_t cut = 0; cut < original.size(); cut += 1 + original.size() / 89) variants.push_back(original.substr(0, cut));
    for (int i = 0; i < 400; ++i) {
      std::string mutated = original;
      // Headers (first 120 bytes) and, for TIFF, the IFD and tables at the end.
      const size_t span = std::min<size_t>(mutated.size(), 120);
      const size_t at = (i % 2 == 0) ? next() % span : mutated.size() - 1 - next() % span;
      mutated[at] = static_cast<char>(next());
      variants.push_back(mutated);
    }
    for (const std::string& bytes : variants) ExpectSaneRegions(tmp, bytes);
  }
}

}  // namespace
}  // namespace lmarc::testing
