// Typed-array peers of `lmarc bench`: for inputs holding typed regions
// (HDF5/NetCDF/LAMMPS/OpenFOAM arrays, found exactly as `lmarc compress`
// finds them), every array is also coded by the dedicated numeric
// compressors — fpzip (floats, lossless), zfp reversible (-R), Blosc
// shuffle/bitshuffle with zstd, HDF5 gzip-9 + shuffle (h5repack), for WAV
// samples and image pixels also FLAC, WavPack, PNG, WebP and JPEG XL
// (bench_media.h) — and by xz -9e, all run in the same run on the same
// values (little-endian copies),
// pinned to the same core, median of the same number of runs. The peer total
// is the best peer per array plus xz -9e on each file's bytes outside its
// arrays; the table compares it with lmarc's whole-file results.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "jobs/bench_job.h"
#include "jobs/bench_report.h"
#include "src/status.h"

namespace lmarc {

// Runs the array peers on the typed regions of `files` and prints their
// table to `table_out` (nothing when no file has typed regions), comparing
// with the lmarc methods' TOTAL rows in `totals`. Per-array rows go to
// `csv_path` when it is not empty. Missing peer tools are listed, not errors.
[[nodiscard]] Status RunArrayPeers(const std::vector<std::string>& files,
                                   const BenchOptions& options, int cpu,
                                   const std::string& work_dir,
                                   const std::vector<BenchMeasurement>& totals,
                                   const std::string& csv_path, std::ostream& table_out);

}  // namespace lmarc
