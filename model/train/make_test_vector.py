#!/usr/bin/python3
"""Builds the tiny integer test model and its vector (numpy only).

  tests/data/nn-tiny.lmnn         D=32, 2 layers, 2 heads, W=16, F=64, random but
                                  aggressive weights (see tiny_model())
  tests/data/nn-tiny-vector.txt   lines:
      model <id>
      input <hex of the lane>
      distributions_sha256 <SHA-256 of the uint32 little-endian [n, 256] distributions>
      last <the 256 integers of the last position's distribution>

The distributions come from int_reference.distributions() and are checked
against the literal scalar transcription (distributions_scalar) before
anything is written. Usage: make_test_vector.py [--out-dir tests/data] [--check]
(--check: regenerate in memory and compare with the committed files).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import int_reference  # noqa: E402
import weights  # noqa: E402

HEADER = dict(vocab_size=256, d_model=32, n_layers=2, n_heads=2, context=16, ffn_dim=64)
SEED = 20240601

# ~120 bytes of text and binary, longer than W = 16 so the window slides.
LANE = (b"The quick brown fox jumps over the lazy dog; "
        + bytes([0, 0, 0, 255, 255, 1, 128, 127, 0x7F, 0x80, 0xFE, 0x0A, 0x0D, 0x09])
        + bytes(range(2, 256, 23)) + bytes([3, 2])
        + b"\x00" * 6
        + b"int main() { return 0; }\n"
        + bytes([0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80])
        + b"ZZZZZZZZ")


def rq(r: float) -> tuple[int, int]:
    """(multiplier, shift) for scale r: largest shift <= 62 with multiplier < 2^31."""
    for shift in range(62, -1, -1):
        m = int(np.floor(r * 2.0**shift + 0.5))
        if m <= 2**31 - 1:
            return m, shift
    return 2**31 - 1, 0


def tiny_model() -> list:
    rng = np.random.default_rng(SEED)
    d, f, h, w = HEADER["d_model"], HEADER["ffn_dim"], HEADER["n_heads"], HEADER["context"]

    # Embedding: mostly large values, a few rows at the s16 extremes, an
    # all-zero row (byte 0: mean square 0), a row with tiny values (byte 1:
    # floor(sum x^2 / D) = 0 although x != 0) and a moderate BOS row.
    embed = rng.integers(-6000, 6001, size=(257, d))
    embed[255] = np.where(np.arange(d) % 2 == 0, 32767, -32768)
    embed[128] = -32768
    embed[0] = 0
    embed[1] = 0
    embed[1, [3, 17]] = [1, -1]
    embed[256] = rng.integers(-300, 301, size=d)
    # One dominant channel: Norm clamps at 63 (byte 2) and -64 (byte 3).
    embed[2] = 0
    embed[2, 0] = 32767
    embed[3] = rng.integers(-3, 4, size=d)
    embed[3, 5] = -20000

    def s8(shape, lo=-127, hi=127):
        return rng.integers(lo, hi + 1, size=shape)

    def saturated(shape):
        """s8 weights with many entries at +-127."""
        m = s8(shape)
        mask = rng.random(shape) < 0.25
        return np.where(mask, np.where(rng.random(shape) < 0.5, 127, -127), m)

    tensors = [weights.Tensor("embed", "s16", embed.astype(np.int16), 1, 0)]
    for layer in range(HEADER["n_layers"]):
        p = f"layers.{layer}."
        if layer == 0:
            wq, wk, wv = s8((d, d)), saturated((d, d)), s8((d, d))
            q_rq = rq(0.004)
            k_rq = (2**31 - 1, 38)  # largest multiplier, scale ~0.0078
            v_rq = rq(0.0035)
            # Moderate attention: score -> ~1/20 unit; head 0 prefers recent,
            # head 1 random biases.
            score_rq = rq(0.05)
            bias = np.stack([-150 * np.arange(w), rng.integers(-3000, 3001, size=w)])
            wo, wo_rq = s8((d, d)), rq(1.5)
            w1 = s8((d, f))
            w1[rng.random((d, f)) < 0.05] = -128  # the one tensor with -128
            w1_rq = (3, 9)  # 3/512: exact half-way ties happen in rounding
            w2, w2_rq = saturated((f, d)), rq(6.0)
        else:
            wq, wk, wv = saturated((d, d)), s8((d, d)), s8((d, d))
            q_rq, k_rq = rq(0.01), rq(0.012)
            v_rq = (1, 0)  # v = clamp(acc): mostly saturated at -64 / 63
            # Scores saturate at +-2^24 (equal logits, exact halves in the
            # attention mean); biases span the full [-2^24, 2^24].
            score_rq = rq(3000.0)
            bias = rng.integers(-4000, 4001, size=(h, w))
            bias[1, ::3] = 2**24
            bias[1, 1::3] = -(2**24)
            bias[0, 5] = 2**24
            wo, wo_rq = saturated((d, d)), rq(40.0)  # residual reaches +-2^20
            w1, w1_rq = s8((d, f)), rq(0.01)
            w2, w2_rq = s8((f, d)), rq(64.0)
        tensors += [
            weights.Tensor(p + "wq", "s8", wq.astype(np.int8), *q_rq),
            weights.Tensor(p + "wk", "s8", wk.astype(np.int8), *k_rq),
            weights.Tensor(p + "wv", "s8", wv.astype(np.int8), *v_rq),
            weights.Tensor(p + "attn_bias", "s32", bias.astype(np.int32), *score_rq),
            weights.Tensor(p + "wo", "s8", wo.astype(np.int8), *wo_rq),
            weights.Tensor(p + "w1", "s8", w1.astype(np.int8), *w1_rq),
            weights.Tensor(p + "w2", "s8", w2.astype(np.int8), *w2_rq),
        ]
    head = s8((d, 256))
    # Identical columns give tied logits; 106 is the most frequent argmax of
    # this model, so its copy at 105 ties for the maximum (the remainder goes
    # to the first index, 105).
    head[:, 105] = head[:, 106]
    head[:, 200] = head[:, 13]
    tensors.append(weights.Tensor("head", "s8", head.astype(np.int8), *rq(0.35)))
    return tensors


def vector_text(model_id: str, lane: bytes, dist: np.ndarray) -> str:
    digest = hashlib.sha256(dist.astype("<u4").tobytes()).hexdigest()
    return (f"model {model_id}\n"
            f"input {lane.hex()}\n"
            f"distributions_sha256 {digest}\n"
            f"last {' '.join(str(int(v)) for v in dist[-1])}\n")


def coverage(model: int_reference.IntModel, lane: bytes) -> str:
    """Which edge cases the vector actually exercises (printed for the record)."""
    logits = model.logits(lane)
    dist = int_reference.logits_to_distribution(logits)
    notes = [f"{len(lane)} positions",
             f"min probability {int(dist.min())}, max {int(dist.max())}",
             f"rows with a zero softmax weight: {int((logits.max(1)[:, None] - logits >= 31 * 256).any(1).sum())}",
             f"rows with a tied maximum logit: {int(((logits == logits.max(1)[:, None]).sum(1) > 1).sum())}",
             f"head logits clamped at +-2^24: {int((np.abs(logits) == 2**24).sum())}"]
    return "; ".join(notes)


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", default=os.path.join(HERE, "..", "..", "tests", "data"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    file_bytes = weights.write_weight_file(HEADER, tiny_model())
    model_id = weights.model_id_of(file_bytes)
    model = int_reference.IntModel(file_bytes)
    dist = int_reference.distributions(model, LANE)
    scalar = int_reference.distributions_scalar(model, LANE)
    if not np.array_equal(dist, scalar):
        print("error: vectorised and scalar references differ", file=sys.stderr)
        return 1
    assert (dist >= 1).all() and (dist.astype(np.int64).sum(1) == 65536).all()
    text = vector_text(model_id, LANE, dist)
    model_path = os.path.join(args.out_dir, "nn-tiny.lmnn")
    vector_path = os.path.join(args.out_dir, "nn-tiny-vector.txt")
    print(f"model {model_id}, {len(file_bytes)} bytes; {coverage(model, LANE)}")
    if args.check:
        same = open(model_path, "rb").read() == file_bytes and open(vector_path).read() == text
        print("committed files match" if same else "committed files DIFFER")
        return 0 if same else 1
    with open(model_path, "wb") as f:
        f.write(file_bytes)
    with open(vector_path, "w") as f:
        f.write(text)
    print(f"wrote {model_path} and {vector_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
