// WAV (RIFF/WAVE) files with PCM samples: the "data" chunk's whole frames
// become one typed region [frames, channels] (or [frames] for mono),
// little-endian: 8-bit unsigned (u8), 16-bit (i16), 24-bit (i24, also
// 20-bit samples in 24-bit containers), 32-bit integer (i32) and 32/64-bit
// IEEE float (f32/f64) with format tag 1 (PCM), 3 (float) or 0xFFFE
// (WAVE_FORMAT_EXTENSIBLE, whose sub-format GUID gives PCM or float), 1..8
// channels. The rest of the file (headers, trailing chunks, a partial last
// frame) stays bytes.
//
// The file is hostile: a fmt chunk that contradicts itself (block align
// not channels x container bytes), or a chunk that claims more bytes than
// the file has, is kCorrupt (the file is then stored as bytes); other
// encodings (ADPCM, A-law, ...) simply have no regions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/typed_regions.h"
#include "src/status.h"

namespace lmarc {

// Whether the first 12 bytes read "RIFF", any size, "WAVE".
bool HasWaveMagic(std::span<const uint8_t> head);

// The sample region of the WAV file at `path` (`file_bytes` long), dataset
// "/samples". Errors name no path.
[[nodiscard]] StatusOr<std::vector<TypedRegion>> LocateWaveSamples(const std::string& path,
                                                                   uint64_t file_bytes);

}  // namespace lmarc
