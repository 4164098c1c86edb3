// LAMMPS binary dumps (`dump custom ... file.bin`, `dump atom ... file.bin`,
// the self-describing format with a magic string, revisions 1 and 2): each
// snapshot's per-atom rows become typed regions, float64 [rows, columns] per
// chunk the writing processes produced, little-endian.
//
// Snapshot layout (LAMMPS src/dump_custom.cpp, header_binary):
//   i64 -L, char magic[L] ("DUMP..."), i32 endian (1), i32 revision (1|2),
//   i64 timestep, i64 natoms, i32 triclinic, i32 boundary[6], f64 box[6],
//   [triclinic: f64 tilt[3]], i32 size_one,
//   [revision 2: i32 n, char unit_style[n], u8 time_flag, [f64 time],
//                i32 n, char columns[n]],
//   i32 nchunk, then per chunk: i32 n, f64 values[n] (n a multiple of size_one).
// The file is hostile: every count is checked against the file size before
// use; a file that does not parse completely is kCorrupt (stored as bytes).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/typed_regions.h"
#include "src/status.h"

namespace lmarc {

// Whether the first 16 bytes start like a LAMMPS binary dump with a magic string.
bool HasLammpsDumpMagic(std::span<const uint8_t> head);

// The regions of every snapshot of the dump at `path` (`file_bytes` long):
// dataset "/snapshot<K>_step<T>" of extents [natoms, size_one], one region
// per chunk. Errors name no path.
[[nodiscard]] StatusOr<std::vector<TypedRegion>> LocateLammpsDump(const std::string& path,
                                                                  uint64_t file_bytes);

}  // namespace lmarc
