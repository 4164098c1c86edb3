#!/usr/bin/env bash
# The exact training run of the shipped default model (model/weights/, log in
# model/train/logs/): a 2-core CPU, 65 minutes of training steps (about 70
# minutes of wall time), no GPU.
#   usage: model/train/train_default_model.sh [OUT_DIR] [CORPUS_DIR]   (from the repository root)
# The schedule is time-based (--minutes), so another machine reaches another
# step count and another model; pass --steps to train.py for a step-exact run.
# The shipped file, not this run, is what archives depend on (its SHA-256 is
# the model id).
set -eu
out=${1:-build-train/default}
corpus=${2:-build-train/corpus}
shared=$(cd "$(dirname "$0")/../../.." && pwd)/shared/corpus
# Training data: Debian package texts, code and binaries (cap 12 MB per
# source) plus ../shared/corpus/text/train; never a dev set.
bash "$shared/make-train-corpus.sh" "$corpus" 12
# Debian's torch with the reference BLAS is ~4x slower; OpenBLAS replaces it.
apt-get install -y -q --no-install-recommends python3-torch libopenblas0-pthread > /dev/null
OPENBLAS_NUM_THREADS=2 /usr/bin/python3 model/train/train.py --data "$corpus" "$shared/text/train" \
  --out "$out" --d-model 64 --layers 2 --heads 2 --context 64 --ffn 192 --seq-len 256 --batch 16 \
  --minutes 65 --device cpu --threads 2 --seed 1 --export-every 10 --log-every 50
