// OpenFOAM files written with `writeFormat binary;`: every list stored as
// `N\n(` + N binary elements + `)` — internal and boundary field values
// (List<scalar|vector|symmTensor|tensor>), mesh points (vectorField), owner
// and neighbour (labelList), faces (faceCompactList) — becomes a typed region
// of [N] or [N, components] elements, float64/float32 (scalar=64/32) or
// int32/int64 labels (label=32/64) as the FoamFile header's `arch` says.
// ASCII files, big-endian (`MSB`) files and anything unrecognised stay bytes.
// The file is hostile: every list's extent is checked against the file and
// must end with ')'; parsing never reads outside the file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/typed_regions.h"
#include "src/status.h"

namespace lmarc {

// Whether the first bytes (up to 4 KiB) hold a FoamFile header.
bool HasOpenFoamHeader(std::span<const uint8_t> head);

// The binary lists of the OpenFOAM file at `path` (`file_bytes` long), as
// datasets "/<object>/<k>" (k: the list's ordinal in the file). Errors name
// no path; a file without binary lists has no regions.
[[nodiscard]] StatusOr<std::vector<TypedRegion>> LocateOpenFoamLists(const std::string& path,
                                                                     uint64_t file_bytes);

}  // namespace lmarc
