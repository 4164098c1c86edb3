// Finding the typed regions of every input file before planning (docs/array.md,
// "Typed regions in archives"), with libhdf5 kept out of the lmarc process:
// libhdf5 can crash or run away on malformed files (known CVEs), so HDF5
// files are parsed by helper processes (the lmarc binary itself, run as
// `lmarc __locate-arrays ...`, up to 64 files each) under an address-space
// and CPU-time limit and a wall-clock timeout; after a helper fails, the
// files it did not answer for are retried one helper each. NetCDF-3 headers and raw layouts are handled by
// lmarc's own hardened parser in process. A file whose scan fails in any way
// (malformed header, helper crash, timeout, unreadable output) is stored as
// plain bytes with a one-line warning; the job goes on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/file_entry.h"
#include "io/typed_regions.h"

namespace lmarc {

struct ArrayScanOptions {
  std::optional<RawArraySpec> raw;  // --dtype/--shape/--offset: every file is that array
  // Executable run as the helper; empty: parse HDF5 in this process (tests
  // of the locators only; the CLI always passes itself).
  std::string helper;
  int timeout_seconds = 60;                        // wall clock (and CPU) per file
  uint64_t memory_limit_bytes = uint64_t{4} << 30;  // helper's RLIMIT_AS
};

// The regions of every regular file of `tree`, entry set to the file's row,
// sorted by (entry, offset). Never fails: problems become warnings.
std::vector<TypedRegion> FindTypedRegions(const ScannedTree& tree, const ArrayScanOptions& options);

// The helper's side of `lmarc __locate-arrays MEMORY CPU_SECONDS (PATH
// FILE_BYTES)...`: sets its resource limits, then for each file writes to
// stdout u8 ok, u64 length (little-endian) and AppendRegions bytes (ok) or
// a one-line message. Returns the process exit status (0 once every file
// was answered, 1 on bad arguments or a write error).
int RunArrayLocatorHelper(int argc, const char* const* argv);

// The first argument that selects the helper mode.
inline constexpr const char* kArrayLocatorCommand = "__locate-arrays";

}  // namespace lmarc
