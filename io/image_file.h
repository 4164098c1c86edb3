// Uncompressed image files whose pixels become typed regions, dataset
// "/pixels" of extents [height, width] (one sample per pixel) or [height,
// width, samples]:
//   PNM  binary PGM (P5) and PPM (P6), maxval < 256: u8, else u16
//        big-endian; the first image of the file.
//   BMP  BITMAPINFOHEADER or later, uncompressed (BI_RGB, or BI_BITFIELDS
//        for 32 bits): 24 bits [h, w, 3] and 32 bits [h, w, 4] u8 (BGR(A)
//        as stored, rows bottom-up as stored), 8 bits [h, w] (palette
//        indices); rows padded to 4 bytes become [h, padded row bytes] u8.
//   TIFF uncompressed (Compression 1), chunky (PlanarConfiguration 1, or one
//        sample), 1..4 samples of 8 or 16 bits (unsigned, or signed with
//        SampleFormat 2) or 32-bit float, byte order II or MM; the first
//        IFD's strips, adjacent strips merged, each run a box of rows.
// Anything else (palette BMPs below 8 bits, RLE, compressed TIFF, tiles)
// has no regions. The file is hostile: dimensions and strip tables are
// checked against the file, overflow-free; an image that claims more bytes
// than the file holds is kCorrupt (stored as bytes).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/typed_regions.h"
#include "src/status.h"

namespace lmarc {

// Whether the first bytes start like a PNM (P5/P6), BMP or TIFF file.
bool HasImageMagic(std::span<const uint8_t> head);

// The pixel regions of the image file at `path` (`file_bytes` long). Errors
// name no path.
[[nodiscard]] StatusOr<std::vector<TypedRegion>> LocateImagePixels(const std::string& path,
                                                                   uint64_t file_bytes);

}  // namespace lmarc
