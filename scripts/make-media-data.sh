#!/bin/sh
# Turns the image and audio development sets into what lmarc and the media
# peers of `lmarc bench` both read as pixels and samples (docs/array.md,
# "Benchmarking typed data"):
#   DIR/image  PNG -> binary PGM/PPM (pngtopnm); uncompressed TIFF copied
#   DIR/audio  FLAC -> WAV (flac -d)
# Usage: scripts/make-media-data.sh DIR [CORPUS]  (CORPUS: ../shared/corpus)
# Needs: netpbm, flac (scripts/install-deps.sh installs them).
set -eu
dir=${1:?usage: scripts/make-media-data.sh DIR [CORPUS]}
corpus=${2:-$(dirname "$0")/../../shared/corpus}
mkdir -p "$dir/image" "$dir/audio"
for f in "$corpus"/image/dev/*; do
  name=$(basename "$f")
  case "$name" in
    *.png) pngtopnm "$f" >"$dir/image/${name%.png}.pnm" ;;
    *.tif | *.tiff) cp "$f" "$dir/image/" ;;
  esac
done
for f in "$corpus"/audio/dev/*.flac; do
  name=$(basename "$f" .flac)
  flac -d -s -f "$f" -o "$dir/audio/$name.wav"
done
chmod u+w "$dir"/image/* "$dir"/audio/*
