#!/usr/bin/env bash
# The nn codec through the lmarc executable:
#   (a) archives are byte-identical under ONEDNN_MAX_CPU_ISA=SSE41, AVX2,
#       AVX512_CORE and uncapped (each cap checked in `lmarc version`), with
#       --threads 1 and 2;
#   (b) an archive decoded on the forced scalar path restores the input, and
#       one of many small chunks (decoded in groups) too;
#   (c) the archive names its model (root attribute `models`);
#   (d) without the model, decompress fails with one line naming the model id
#       and leaves no restored tree looking complete.
#
# usage: nn_cli_test.sh LMARC_BINARY MODEL_FILE MODEL_ID
set -euo pipefail

lmarc=$(realpath "${1:?usage: nn_cli_test.sh LMARC_BINARY MODEL_FILE MODEL_ID}")
model_id=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/lmarc_nn_cli_XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/models"
cp "$2" "$work/models/$model_id.lmnn"  # models are found by id

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Input: the repository's own documents (text) and a little binary, ~100 KB.
mkdir -p "$work/in/docs"
cp "$(dirname "$0")"/../docs/*.md "$work/in/docs/"
head -c 20000 "$lmarc" > "$work/in/binary.bin"
export LMARC_MODEL_PATH=$work/models

compress() {  # NAME [ENV...] -- ARGS...
  local name=$1; shift
  local env=()
  while [[ $1 != -- ]]; do env+=("$1"); shift; done
  shift
  env "${env[@]}" "$lmarc" compress "$work/in" -o "$work/$name.lmarc.h5" --codec nn \
    --model "$model_id" --level 5 --chunk-size 32KiB --quiet "$@"
}

compress uncapped X=1 -- --threads 1
compress threads2 X=1 -- --threads 2
for isa in SSE41 AVX2 AVX512_CORE; do
  lower=$(echo "$isa" | tr 'A-Z' 'a-z')
  if ONEDNN_MAX_CPU_ISA=$isa "$lmarc" version | grep -q "transformer kernels: oneDNN, ISA $lower\$"; then
    pass "ONEDNN_MAX_CPU_ISA=$isa took effect"
  else
    fail "ONEDNN_MAX_CPU_ISA=$isa did not take effect: $(ONEDNN_MAX_CPU_ISA=$isa "$lmarc" version | tail -1)"
  fi
  compress "$isa" ONEDNN_MAX_CPU_ISA=$isa -- --threads 1
done
compress scalar LMARC_NN_SCALAR=1 -- --threads 2
for name in threads2 SSE41 AVX2 AVX512_CORE scalar; do
  if cmp -s "$work/uncapped.lmarc.h5" "$work/$name.lmarc.h5"; then
    pass "archive with $name equals the uncapped one"
  else
    fail "archive with $name differs from the uncapped one"
  fi
done

LMARC_NN_SCALAR=1 "$lmarc" decompress "$work/AVX2.lmarc.h5" -o "$work/out" --quiet
if diff -r "$work/in" "$work/out/in" > /dev/null; then
  pass "scalar-path decode restores the input"
else
  fail "scalar-path decode differs from the input"
fi

# Many small chunks: decompress decodes them in groups, one transformer call
# per step for all of a group's lanes.
"$lmarc" compress "$work/in" -o "$work/small.lmarc.h5" --codec nn --model "$model_id" \
  --level 1 --chunk-size 4KiB --quiet
"$lmarc" decompress "$work/small.lmarc.h5" -o "$work/out_small" --quiet
if diff -r "$work/in" "$work/out_small/in" > /dev/null; then
  pass "4 KiB chunks decoded in groups restore the input"
else
  fail "4 KiB chunks decoded in groups differ from the input"
fi

if h5dump -a /models "$work/uncapped.lmarc.h5" | grep -q "$model_id"; then
  pass "models attribute names $model_id"
else
  fail "models attribute does not name $model_id"
fi

set +e
message=$(LMARC_MODEL_PATH=$work/nowhere "$lmarc" decompress "$work/uncapped.lmarc.h5" -o "$work/out2" --quiet 2>&1)
status=$?
set -e
lines=$(printf '%s\n' "$message" | wc -l)
if [[ $status -ne 0 && $lines -eq 1 && $message == *"model $model_id not found"* && $message == lmarc:\ error:* ]]; then
  pass "missing model: exit $status, '$message'"
else
  fail "missing model: exit $status, $lines lines: $message"
fi

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
