#!/bin/sh
# One entry point for a fresh Debian 12 machine:
#   scripts/run.sh demo   install, build, and run the main job on the bundled
#                         sample (compress, list, verify, decompress, compare)
#   scripts/run.sh test   install, build, and run the whole test suite
# BUILD_DIR (default: build) and BUILD_TYPE (default: Release) may be set;
# LMARC_TEST_SLURM=1 (as root) also installs Slurm and runs the cluster test.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=$(nproc 2>/dev/null || echo 2)

"$ROOT/scripts/install-deps.sh"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"

case "${1:-demo}" in
  demo)
    LMARC="$BUILD_DIR/src/cli/lmarc"
    OUT="$BUILD_DIR/demo"
    rm -rf "$OUT" && mkdir -p "$OUT"
    # Sample data shipped with the repository: source code and documents.
    "$LMARC" compress "$ROOT/tests/data/sample" "$ROOT/docs" -o "$OUT/demo.lmarc.h5" --progress \
      --codec nn  # the shipped transformer mixed with the context models
    "$LMARC" list "$OUT/demo.lmarc.h5" | tail -n 4
    "$LMARC" verify "$OUT/demo.lmarc.h5"
    "$LMARC" decompress "$OUT/demo.lmarc.h5" -o "$OUT/restored"
    diff -r "$ROOT/tests/data/sample" "$OUT/restored/sample"
    diff -r "$ROOT/docs" "$OUT/restored/docs"
    echo "demo: restored tree identical to the input ($OUT/restored)"
    ;;
  test)
    cd "$BUILD_DIR"
    ctest --output-on-failure -j "$JOBS" --timeout 600
    ;;
  *)
    echo "usage: scripts/run.sh demo|test" >&2
    exit 2
    ;;
esac
