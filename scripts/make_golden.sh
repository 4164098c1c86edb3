#!/usr/bin/env bash
# Produces the golden archives of tests/golden_archive_test.cc, ONCE.
#
#   scripts/make_golden.sh LMARC_BINARY [zstd] [cm] [nn] [bad] [array]
#
# NEVER regenerate an existing golden file: these archives are the promise
# that every archive lmarc ever wrote keeps decoding. A new format or codec
# version gets a NEW golden file with a new name (golden-v2-..., ...) and new
# expectations in the test; the old files and their expectations stay.
# The script refuses to overwrite; the only sanctioned exception is the cm
# golden while the cm codec is not yet frozen (delete it, then rerun with cm).
#
#   zstd  tests/data/golden-v1-zstd.lmarc.h5   (codec zstd, level 5)
#   cm    tests/data/golden-v1-cm.lmarc.h5     (codec cm, level 5)
#   nn    tests/data/golden-v1-nn.lmarc.h5     (codec nn, level 5, the shipped default model)
#   bad   tests/data/bad-*.h5, damaged copies of the zstd golden
#   array tests/data/golden-v1-array.lmarc.h5  (a raw f32 64x64 array after an
#         8-byte header, --dtype f32 --shape 64x64 --offset 8, codec cm, level 5:
#         typed chunks coded by the array codec and the array tables)
#
# All use chunk size 4 KiB (3 chunks) and a tree of fixed content, modes and
# mtimes, so the expectations hard-coded in the test do not depend on when
# or where the script runs.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  sed -n '3,5p' "$0" >&2
  exit 2
fi
lmarc=$(realpath "$1")
shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(zstd cm bad)

data=$(cd "$(dirname "$0")/../tests/data" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_tree() {
  local root=$work/golden
  mkdir -p "$root/data" "$root/docs"
  printf 'lmarc golden archive, format version 1.\nDo not edit: tests/golden_archive_test.cc knows every byte.\n' \
    >"$root/README.txt"
  seq 1 1000 >"$root/data/numbers.txt"
  : >"$root/data/empty.txt"
  for i in $(seq 1 40); do
    echo "note $i: the quick brown fox jumps over the lazy dog"
  done >"$root/docs/notes.txt"
  ln -s README.txt "$root/link"
  chmod 0644 "$root/README.txt" "$root/data/numbers.txt" "$root/docs/notes.txt"
  chmod 0600 "$root/data/empty.txt"
  chmod 0750 "$root/data"
  chmod 0755 "$root/docs" "$root"
  touch -d @1700000001.123456789 "$root/README.txt"
  touch -d @1700000002 "$root/data/numbers.txt"
  touch -d @1700000003 "$root/data/empty.txt"
  touch -d @1700000004.5 "$root/docs/notes.txt"
  touch -h -d @1700000005 "$root/link"
  touch -d @1700000006 "$root/data"
  touch -d @1700000007 "$root/docs"
  touch -d @1700000000 "$root"
}

compress() {  # codec output
  local out=$data/$2
  refuse_existing "$out"
  (cd "$work" && "$lmarc" compress golden -o "$out" --codec "$1" --level 5 --chunk-size 4KiB -q)
  "$lmarc" verify "$out"
}

refuse_existing() {
  if [[ -e $1 ]]; then
    echo "make_golden: $1 exists; golden files are never regenerated" >&2
    exit 1
  fi
}

# Copies the zstd golden to bad-NAME.h5 and prints its path.
bad_copy() {
  local out=$data/bad-$1.h5
  refuse_existing "$out"
  cp "$data/golden-v1-zstd.lmarc.h5" "$out"
  echo "$out"
}

xor_byte() {  # file offset
  local old
  old=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "\\x$(printf %02x $((old ^ 0x5a)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

make_array_tree() {
  local root=$work/golden-array
  mkdir -p "$root"
  /usr/bin/python3 -c '
import struct, sys
values = [((i * 37 + j * 11) % 97) / 8.0 + i for i in range(64) for j in range(64)]
sys.stdout.buffer.write(b"LMARCF32" + struct.pack("<4096f", *values))' >"$root/field.f32"
  chmod 0644 "$root/field.f32"
  chmod 0755 "$root"
  touch -d @1700000010 "$root/field.f32"
  touch -d @1700000000 "$root"
  sha256sum "$root/field.f32"
}

make_tree
for target in "${targets[@]}"; do
  case $target in
    zstd) compress zstd golden-v1-zstd.lmarc.h5 ;;
    cm) compress cm golden-v1-cm.lmarc.h5 ;;
    nn) compress nn golden-v1-nn.lmarc.h5 ;;
    array)
      make_array_tree
      out=$data/golden-v1-array.lmarc.h5
      refuse_existing "$out"
      (cd "$work" && "$lmarc" compress golden-array -o "$out" --codec cm --level 5 --chunk-size 4KiB \
         --dtype f32 --shape 64x64 --offset 8 -q)
      "$lmarc" verify "$out"
      ;;
    bad)
      out=$(bad_copy truncated)
      truncate -s $(($(stat -c %s "$out") / 2)) "$out"
      # Record headers start with the magic LMCK; the second record is
      # chunk 1. Flip a byte of its body.
      out=$(bad_copy flipped-payload)
      record=$(grep -obUa LMCK "$out" | sed -n 2p | cut -d: -f1)
      xor_byte "$out" $((record + 40 + 17))
      refuse_existing "$data/bad-not-hdf5.h5"
      printf 'this is not an HDF5 file\n' >"$data/bad-not-hdf5.h5"
      ;;
    *) echo "make_golden: unknown target '$target' (zstd, cm, nn, bad, array)" >&2; exit 2 ;;
  esac
done
