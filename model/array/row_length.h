// Row length: a 1-D array is often a grid or a list of records flattened —
// a structured mesh's cell values row after row, face fluxes alternating
// between x and y faces, quads' four point labels. Seen as a 2-D array
// [n / R, R], its predictor may use the element R back ("above"), and the
// columns transform (array_codec.cc) may code each of the R interleaved
// fields alone: on OpenFOAM face fluxes R = 2 turns sign-alternating values
// into two smooth sequences.
//
// The encoder chooses R; the body records it (transform 3, docs/array.md).
#pragma once

#include <cstdint>

namespace lmarc::array {

// Row lengths the search tries besides the lags the scan proposes: 2..16.
inline constexpr uint64_t kMaxRecordRowLength = 16;
// The scan looks for longer rows (grid lines) up to this many elements.
inline constexpr uint64_t kMaxScannedRowLength = 4096;

// Whether an array of `elements` elements may be coded as rows of
// `row_length`: 2 <= row_length, at least two rows, no partial row.
bool RowLengthFits(uint64_t elements, uint64_t row_length);

// The row length R (0: none) whose 2-D view [elements / R, R] of the 1-D
// `values` (ordered integers) has a predictor estimate (ChoosePredictor on
// about `sample_elements`) at least 1/64 below the 1-D view's. Candidates:
// 2..kMaxRecordRowLength and the two lags up to kMaxScannedRowLength (that
// fit) with the smallest differences x[i] - x[i - lag] on a sample.
template <typename U>
uint64_t ChooseRowLength(const U* values, uint64_t elements, uint64_t sample_elements);

}  // namespace lmarc::array
