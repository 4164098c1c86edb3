#!/usr/bin/env bash
# Trains the three shipped models (fast, default, max) side by side on one
# device, exactly as committed under model/weights/ (logs in model/train/logs/).
#   usage: train_shipped_models.sh OUT_DIR MINUTES DEVICE DATA...
#   e.g.:  train_shipped_models.sh /tmp/models 6 cuda /work/traincorpus /work/shared/corpus/text/train
# DATA: make-train-corpus.sh output and ../shared/corpus/text/train (never a
# dev set). On a 2-core CPU use DEVICE=cpu and a budget of hours (see
# README.md); each run exports every 2 minutes, so an interrupted run still
# leaves a model. $PYTHON (default python3) must have torch and numpy.
set -eu
out=$1; minutes=$2; device=$3; shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
trap 'kill $(jobs -p) 2>/dev/null' TERM INT  # a time limit on this script ends the runs too
train_model() { local name=$1 d=$2 l=$3 h=$4 w=$5 f=$6; shift 6
  "${PYTHON:-python3}" "$here/train.py" --data "$@" --out "$out/$name" --d-model "$d" --layers "$l" \
    --heads "$h" --context "$w" --ffn "$f" --seq-len 256 --batch 256 --minutes "$minutes" \
    --device "$device" --seed 1 > "$out/$name.stdout" 2>&1; }
train_model fast 64 1 2 32 128 "$@" &
train_model default 128 2 4 64 256 "$@" &
train_model max 192 3 6 64 384 "$@" &
wait
