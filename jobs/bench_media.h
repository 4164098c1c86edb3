// Media peers of `lmarc bench`: the WAV samples and image pixels that
// `lmarc compress` types (io/wave_file.h, io/image_file.h) are also coded by
// the dedicated lossless codecs, on the same samples and pixels in the same
// run: FLAC -8 and WavPack -hhx6 (integer samples; WavPack also float), PNG
// through optipng -o2, WebP lossless -z 9 (8-bit pixels), JPEG XL lossless
// (cjxl -q 100) at effort 7 and 9. Each peer reads a canonical copy — a
// 44-byte-header PCM WAV (extensible for 24 bits or more than 2 channels)
// or a binary PGM/PPM — and its decoded output must hold the same samples
// or pixels (headers may differ).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "io/typed_regions.h"
#include "jobs/bench_methods.h"
#include "src/status.h"

namespace lmarc {

// Full paths of the media tools found on $PATH ("" when missing).
struct MediaTools {
  std::string flac, wavpack, wvunpack, optipng, pngtopnm, cwebp, dwebp, cjxl, djxl;
};
MediaTools FindMediaTools();
// Names of the missing tools, for the bench's "missing" line.
std::vector<std::string> MissingMediaTools(const MediaTools& tools);

// Writes the canonical copy of `region`'s elements (`values`: little-endian,
// C order) to `dir`/media.wav or media.pgm/.ppm and returns its path; "" when
// no media peer applies (not /samples or /pixels, or a layout they cannot
// take: BMP rows of bytes, 2 or 4 samples per pixel).
[[nodiscard]] StatusOr<std::string> WriteMediaCopy(const TypedRegion& region,
                                                   std::span<const uint8_t> values,
                                                   const std::string& dir);

// The peers that apply to `region` (its copy written by WriteMediaCopy).
std::vector<BenchMethod> MediaPeersFor(const TypedRegion& region, const MediaTools& tools);

// Same samples or pixels in the copy and a decoded file, as the scanners of
// io/wave_file.h and io/image_file.h find them (headers may differ; a gray
// image decoded as RGB compares its first channel).
SameCheck SameMediaContent();

}  // namespace lmarc
