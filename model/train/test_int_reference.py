#!/usr/bin/python3
"""Checks int_reference.py and weights.py against the committed test vector.

Exits 0 iff
  - tests/data/nn-tiny.lmnn reads, validates, has the vector's model id, and
    weights.write_weight_file() of what was read reproduces it byte for byte;
  - int_reference.distributions() of the vector's input has the vector's
    SHA-256 and last row, every row sums to 65536 and every entry is >= 1;
  - the literal scalar transcription (distributions_scalar) agrees on the
    first 40 positions (longer than the window, W = 16);
  - the Exp2 table has its documented endpoints and the kernels pass a few
    hand-computed cases (ties away from zero, FloorDiv, softmax extremes).
numpy only; runs in about a second.
"""

from __future__ import annotations

import hashlib
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import int_reference as ir  # noqa: E402
import weights  # noqa: E402

DATA = os.path.join(HERE, "..", "..", "tests", "data")
failures = []


def check(condition: bool, what: str) -> None:
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def kernels() -> None:
    t = ir.EXP2_FRACTION_TABLE
    check(t[0] == 2**30 and t[128] == round(2**30 / 2**0.5) and all(np.diff(t) < 0), "Exp2 table")
    check(all(abs(int(t[r]) - 2**30 * 2 ** (-r / 256)) <= 0.5 for r in range(256)),
          "Exp2 table rounding")
    rsr = ir.rounding_shift_right(np.array([5, -5, 3, -3, 4, -4, 0]), 1).tolist()
    check(rsr == [3, -3, 2, -2, 2, -2, 0], f"RoundingShiftRight ties away from zero: {rsr}")
    check(ir.requantize(np.array([2**31, -(2**31), 3]), 2**31 - 1, 62, -5, 5).tolist() == [1, -1, 0],
          "Requantize extremes")
    check(ir.inverse_sqrt_q31(0) == 2**31 and ir.inverse_sqrt_q31(4) == 2**30
          and ir.inverse_sqrt_q31(3) == 1239850262, "InverseSqrtQ31")
    extremes = np.array([[-(2**31)] * 256, [2**31 - 1] * 256,
                         [2**31 - 1 if i == 7 else -(2**31) for i in range(256)],
                         [(-1) ** i * (2**31 - 1) for i in range(256)]])
    p = ir.logits_to_distribution(extremes)
    check((p >= 1).all() and (p.astype(np.int64).sum(1) == 65536).all(), "softmax extremes sum")
    check((p[0] == 256).all() and (p[1] == 256).all() and p[2, 7] == 65281, 
          "softmax remainder to the first maximum")


def vector() -> None:
    fields = {}
    with open(os.path.join(DATA, "nn-tiny-vector.txt")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            fields[key] = value
    with open(os.path.join(DATA, "nn-tiny.lmnn"), "rb") as f:
        file_bytes = f.read()
    wf = weights.read_weight_file(file_bytes, expected_id=fields["model"])
    check(wf.model_id == fields["model"], "model id")
    check(weights.write_weight_file(wf.header, wf.tensors) == file_bytes, "weights.py round trip")
    weights.check_transformer(wf)
    check(len(file_bytes) < 50_000, "tiny model under 50 KB")
    lane = bytes.fromhex(fields["input"])
    model = ir.IntModel(wf)
    dist = ir.distributions(model, lane)
    check(dist.shape == (len(lane), 256) and dist.dtype == np.uint32, "distribution shape")
    check((dist >= 1).all(), "every probability >= 1")
    check((dist.astype(np.int64).sum(axis=1) == 65536).all(), "every row sums to 65536")
    digest = hashlib.sha256(dist.astype("<u4").tobytes()).hexdigest()
    check(digest == fields["distributions_sha256"], f"distributions_sha256 {digest}")
    check(dist[-1].tolist() == [int(v) for v in fields["last"].split()], "last row")
    prefix = 40
    check(np.array_equal(ir.distributions_scalar(model, lane[:prefix]), dist[:prefix]),
          "scalar transcription agrees on the first 40 positions")


def main() -> int:
    kernels()
    vector()
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("test_int_reference: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
