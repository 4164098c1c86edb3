"""Normative integer forward pass of the lmarc transformer, in numpy.

Re-implements docs/model.md ("Integer kernels" and "The transformer") bit for
bit: the C++ engine (model/nn/transformer.cc, scalar path) must produce the
same distributions (tests/data/nn-tiny-vector.txt). numpy and Python ints
only; no floating point touches a value except in exact_matmul, where every
operand and every partial sum is an integer below 2^53 in magnitude (checked),
so float64 arithmetic is exact in any summation order.

    distributions(weight_file_bytes_or_path, lane) -> uint32 [len(lane), 256]

Position p's input token is BOS = 256 for p = 0, else lane[p - 1]; its row is
the coder distribution of lane[p] (each entry >= 1, rows sum to 65536).

Speed: positions are processed layer by layer (the result of a position only
depends on positions before it, so this equals the per-row order of the C++
engine); matrix products are vectorised over positions, attention over
positions and heads.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weights  # noqa: E402

BOS = 256
RESIDUAL_LIMIT = 1 << 20
LOGIT_LIMIT = 1 << 24
DISTRIBUTION_TOTAL = 65536
NORM_SHIFT = 27  # a = x * InverseSqrtQ31(ms) >> 27 = 16 x / rms(x)

# ----------------------------------------------------------------------------
# Kernels (model/nn/fixed_point.cc)

_LN2_Q62 = 3196577161300663915  # round(ln 2 * 2^62)
_ONE_Q62 = 1 << 62


def _exp2_fraction_entry(r: int) -> int:
    """round(2^30 * 2^(-r/256)) by the integer Taylor series of exp(-x) in Q62."""
    x = r * _LN2_Q62 // 256
    term = _ONE_Q62
    positive = negative = 0
    k = 0
    while term != 0:
        if k % 2 == 0:
            positive += term
        else:
            negative += term
        term = term * x // ((k + 1) * _ONE_Q62)
        k += 1
    return (positive - negative + (1 << 31)) >> 32


EXP2_FRACTION_TABLE = np.array([_exp2_fraction_entry(r) for r in range(256)], dtype=np.int64)


def rounding_shift_right(x: np.ndarray, shift: int) -> np.ndarray:
    """x / 2^shift rounded to nearest, ties away from zero (int64, |x| <= 2^62)."""
    x = np.asarray(x, dtype=np.int64)
    if shift == 0:
        return x.copy()
    half = np.int64(1 << (shift - 1))
    return np.where(x >= 0, (x + half) >> shift, -((-x + half) >> shift))


def requantize(value: np.ndarray, multiplier: int, shift: int, lo: int, hi: int) -> np.ndarray:
    """clamp(RoundingShiftRight(value * multiplier, shift), lo, hi); |value| <= 2^31."""
    value = np.asarray(value, dtype=np.int64)
    assert 0 <= multiplier <= 2**31 - 1 and 0 <= shift <= 62
    assert value.size == 0 or np.abs(value).max() <= 2**31, "requantize input above 2^31"
    return np.clip(rounding_shift_right(value * np.int64(multiplier), shift), lo, hi)


def exp2_weights(d: np.ndarray) -> np.ndarray:
    """Exp2FractionTable()[d & 255] >> (d >> 8), or 0 when d >> 8 >= 31 (d >= 0, int64)."""
    whole = d >> 8
    safe = np.minimum(whole, 31)
    w = EXP2_FRACTION_TABLE[d & 255] >> safe
    return np.where(whole >= 31, 0, w)


def attention_weights(d: np.ndarray) -> np.ndarray:
    """15-bit attention weights: Exp2FractionTable()[d & 255] >> (16 + (d >> 8)), or 0 when
    d >> 8 >= 15 (d >= 0, int64); the largest logit gets 2^14."""
    whole = d >> 8
    safe = np.minimum(whole, 15)
    w = EXP2_FRACTION_TABLE[d & 255] >> (16 + safe)
    return np.where(whole >= 15, 0, w)


def logits_to_distribution(logits: np.ndarray) -> np.ndarray:
    """LogitsToDistribution over the last axis (n <= 65536), rows of uint32 summing to 65536."""
    logits = np.asarray(logits, dtype=np.int64)
    n = logits.shape[-1]
    assert 1 <= n <= DISTRIBUTION_TOTAL
    first_max = np.argmax(logits, axis=-1)  # first index on ties
    max_logit = np.take_along_axis(logits, first_max[..., None], axis=-1)
    weight = exp2_weights(max_logit - logits)
    total = weight.sum(axis=-1, keepdims=True)
    budget = DISTRIBUTION_TOTAL - n
    share = weight * budget // total  # weight * budget < 2^46
    probabilities = 1 + share
    remainder = budget - share.sum(axis=-1)
    np.put_along_axis(probabilities, first_max[..., None],
                      np.take_along_axis(probabilities, first_max[..., None], axis=-1)
                      + remainder[..., None], axis=-1)
    return probabilities.astype(np.uint32)


def integer_sqrt(x: int) -> int:
    return math.isqrt(x)


def inverse_sqrt_q31(x: int) -> int:
    """floor(2^31 / sqrt(x)) = IntegerSqrt(floor(2^62 / x)); x = 0 counts as 1."""
    return math.isqrt((1 << 62) // max(int(x), 1))


# ----------------------------------------------------------------------------
# Transformer


def exact_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact integer a @ b (int64 result), via float64 BLAS when provably exact."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if a.size == 0 or b.size == 0:
        return np.zeros(a.shape[:-1] + b.shape[-1:], dtype=np.int64)
    bound = int(np.abs(a).max()) * int(np.abs(b).max()) * a.shape[-1]
    if bound < 2**53:
        return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    return a @ b


def norm(x: np.ndarray) -> np.ndarray:
    """RMSNorm without gain: a = clamp(RSR(x * InverseSqrtQ31(floor(sum x^2 / D)), 27), -64, 63)."""
    d = x.shape[-1]
    sum_sq = (x * x).sum(axis=-1)  # < 2^51
    ms = sum_sq // d
    r = np.array([inverse_sqrt_q31(m) for m in ms.tolist()], dtype=np.int64)
    return np.clip(rounding_shift_right(x * r[:, None], NORM_SHIFT), -64, 63)


class IntModel:
    """A loaded weight file, tensors as int64 arrays."""

    def __init__(self, source):
        wf = source if isinstance(source, weights.WeightFile) else weights.read_weight_file(source)
        weights.check_transformer(wf)
        self.model_id = wf.model_id
        self.hp = dict(wf.header)
        self.t = {}
        self.rq = {}
        for tensor in wf.tensors:
            self.t[tensor.name] = np.asarray(tensor.data, dtype=np.int64)
            self.rq[tensor.name] = (int(tensor.multiplier), int(tensor.shift))

    def rq_apply(self, name: str, value: np.ndarray, lo: int, hi: int) -> np.ndarray:
        m, s = self.rq[name]
        return requantize(value, m, s, lo, hi)

    def attention(self, layer: int, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Windowed integer softmax attention of every position; q, k, v [n, D] -> o [n, D]."""
        n, d = q.shape
        heads = self.hp["n_heads"]
        window = self.hp["context"]
        dh = d // heads
        name = f"layers.{layer}.attn_bias"
        bias = self.t[name]  # [H, W], entry [h][distance]
        # Window slot s in [0, W) of position p holds key position j = p - W + 1 + s,
        # distance W - 1 - s.
        bias_by_slot = bias[:, ::-1]  # [H, W]
        pad = np.zeros((window - 1, d), dtype=np.int64)
        k_win = np.lib.stride_tricks.sliding_window_view(np.concatenate([pad, k]), window, axis=0)
        v_win = np.lib.stride_tricks.sliding_window_view(np.concatenate([pad, v]), window, axis=0)
        # k_win, v_win: [n, D, W]
        o = np.empty((n, d), dtype=np.int64)
        block = 256
        slots = np.arange(window)
        for start in range(0, n, block):
            stop = min(n, start + block)
            p = np.arange(start, stop)
            visible = slots[None, :] >= (window - 1 - p)[:, None]  # [b, W]
            qb = q[start:stop].reshape(-1, heads, dh)
            kb = k_win[start:stop].reshape(stop - start, heads, dh, window)
            vb = v_win[start:stop].reshape(stop - start, heads, dh, window)
            score = np.einsum("bhc,bhcw->bhw", qb, kb)  # |score| < 2^23
            logit = self.rq_apply(name, score, -LOGIT_LIMIT, LOGIT_LIMIT) + bias_by_slot[None]
            logit = np.where(visible[:, None, :], logit, np.iinfo(np.int64).min // 4)
            m = logit.max(axis=-1, keepdims=True)
            w = attention_weights(np.where(visible[:, None, :], m - logit, 0))
            w = np.where(visible[:, None, :], w, 0)
            s = w.sum(axis=-1)  # [b, H], in [2^14, 2^22]
            num = np.einsum("bhw,bhcw->bhc", w, vb)  # |num| < 2^28
            o[start:stop] = ((2 * num + s[..., None]) // (2 * s[..., None])).reshape(-1, d)
        return o

    def logits(self, lane: bytes) -> np.ndarray:
        """Output logits (int64 [n, 256], logit units) of every position of a lane."""
        tokens = np.array([BOS] + list(lane[:-1]), dtype=np.int64) if len(lane) else \
            np.zeros(0, dtype=np.int64)
        x = self.t["embed"][tokens]
        for layer in range(self.hp["n_layers"]):
            p = f"layers.{layer}."
            a = norm(x)
            q = self.rq_apply(p + "wq", exact_matmul(a, self.t[p + "wq"]), -127, 127)
            k = self.rq_apply(p + "wk", exact_matmul(a, self.t[p + "wk"]), -127, 127)
            v = self.rq_apply(p + "wv", exact_matmul(a, self.t[p + "wv"]), -64, 63)
            o = self.attention(layer, q, k, v)
            x = np.clip(x + self.rq_apply(p + "wo", exact_matmul(o, self.t[p + "wo"]),
                                          -RESIDUAL_LIMIT, RESIDUAL_LIMIT),
                        -RESIDUAL_LIMIT, RESIDUAL_LIMIT)
            a = norm(x)
            h = self.rq_apply(p + "w1", exact_matmul(a, self.t[p + "w1"]), 0, 127)
            x = np.clip(x + self.rq_apply(p + "w2", exact_matmul(h, self.t[p + "w2"]),
                                          -RESIDUAL_LIMIT, RESIDUAL_LIMIT),
                        -RESIDUAL_LIMIT, RESIDUAL_LIMIT)
        a = norm(x)
        return self.rq_apply("head", exact_matmul(a, self.t["head"]), -LOGIT_LIMIT, LOGIT_LIMIT)

    def distributions(self, lane: bytes) -> np.ndarray:
        if len(lane) == 0:
            return np.zeros((0, 256), dtype=np.uint32)
        return logits_to_distribution(self.logits(lane))


def distributions(weight_file, lane: bytes) -> np.ndarray:
    """uint32 [len(lane), 256]: the coder distribution of every byte of the lane."""
    model = weight_file if isinstance(weight_file, IntModel) else IntModel(weight_file)
    return model.distributions(bytes(lane))


def distributions_scalar(weight_file, lane: bytes) -> np.ndarray:
    """The same as distributions(), transcribed literally from docs/model.md with
    Python ints: one position at a time, a ring-buffer KV cache of W slots per
    layer, loops over heads and channels. Slow; an independent cross-check of
    the vectorised path (make_test_vector.py, test_int_reference.py)."""
    model = weight_file if isinstance(weight_file, IntModel) else IntModel(weight_file)
    hp = model.hp
    d, heads, window, n_layers = hp["d_model"], hp["n_heads"], hp["context"], hp["n_layers"]
    dh = d // heads
    t = {name: value.tolist() for name, value in model.t.items()}
    table = EXP2_FRACTION_TABLE.tolist()

    def rsr(x: int, s: int) -> int:
        if s == 0:
            return x
        return (x + (1 << (s - 1))) >> s if x >= 0 else -((-x + (1 << (s - 1))) >> s)

    def rq(v: int, name: str, lo: int, hi: int) -> int:
        m, s = model.rq[name]
        assert abs(v) <= 1 << 31
        return min(max(rsr(v * m, s), lo), hi)

    def mul(a: list, name: str) -> list:
        w = t[name]
        return [sum(a[i] * w[i][j] for i in range(len(a))) for j in range(len(w[0]))]

    def norm_s(x: list) -> list:
        ms = sum(c * c for c in x) // len(x)
        r = math.isqrt((1 << 62) // max(ms, 1))
        return [min(max(rsr(c * r, NORM_SHIFT), -64), 63) for c in x]

    def clamp_r(v: int) -> int:
        return min(max(v, -RESIDUAL_LIMIT), RESIDUAL_LIMIT)

    k_cache = [[None] * window for _ in range(n_layers)]
    v_cache = [[None] * window for _ in range(n_layers)]
    rows = []
    for p in range(len(lane)):
        token = BOS if p == 0 else lane[p - 1]
        x = list(t["embed"][token])
        for layer in range(n_layers):
            pre = f"layers.{layer}."
            a = norm_s(x)
            q = [rq(v, pre + "wq", -127, 127) for v in mul(a, pre + "wq")]
            k = [rq(v, pre + "wk", -127, 127) for v in mul(a, pre + "wk")]
            v = [rq(v, pre + "wv", -64, 63) for v in mul(a, pre + "wv")]
            k_cache[layer][p % window] = k
            v_cache[layer][p % window] = v
            o = [0] * d
            for h in range(heads):
                chans = range(h * dh, (h + 1) * dh)
                logits = []
                for j in range(max(0, p - window + 1), p + 1):
                    kj = k_cache[layer][j % window]
                    score = sum(q[c] * kj[c] for c in chans)
                    logits.append((j, rq(score, pre + "attn_bias", -LOGIT_LIMIT, LOGIT_LIMIT)
                                   + t[pre + "attn_bias"][h][p - j]))
                m = max(lg for _, lg in logits)
                ws = []
                for j, lg in logits:
                    dist = m - lg
                    ws.append((j, 0 if dist >> 8 >= 15 else table[dist & 255] >> (16 + (dist >> 8))))
                s = sum(w for _, w in ws)
                for c in chans:
                    num = sum(w * v_cache[layer][j % window][c] for j, w in ws)
                    o[c] = (2 * num + s) // (2 * s)
            delta = mul(o, pre + "wo")
            x = [clamp_r(x[c] + rq(delta[c], pre + "wo", -RESIDUAL_LIMIT, RESIDUAL_LIMIT))
                 for c in range(d)]
            a = norm_s(x)
            hid = [rq(v, pre + "w1", 0, 127) for v in mul(a, pre + "w1")]
            delta = mul(hid, pre + "w2")
            x = [clamp_r(x[c] + rq(delta[c], pre + "w2", -RESIDUAL_LIMIT, RESIDUAL_LIMIT))
                 for c in range(d)]
        a = norm_s(x)
        logits = [rq(v, "head", -LOGIT_LIMIT, LOGIT_LIMIT) for v in mul(a, "head")]
        # LogitsToDistribution, literally.
        first = max(range(len(logits)), key=lambda i: (logits[i], -i))
        weights_ = []
        for lg in logits:
            dist = logits[first] - lg
            weights_.append(0 if dist >> 8 >= 31 else table[dist & 255] >> (dist >> 8))
        total = sum(weights_)
        budget = DISTRIBUTION_TOTAL - len(logits)
        shares = [w * budget // total for w in weights_]
        probs = [1 + sh for sh in shares]
        probs[first] += budget - sum(shares)
        rows.append(probs)
    return np.array(rows, dtype=np.uint32).reshape(len(lane), 256)


def bits_per_byte(model: IntModel, lanes: list) -> float:
    """Ideal code length of the lanes under the integer model, in bits per byte."""
    total_bits = 0.0
    total_bytes = 0
    for lane in lanes:
        lane = bytes(lane)
        dist = model.distributions(lane)
        p = dist[np.arange(len(lane)), np.frombuffer(lane, dtype=np.uint8)].astype(np.float64)
        total_bits += float(np.sum(16.0 - np.log2(p)))
        total_bytes += len(lane)
    return total_bits / max(total_bytes, 1)


def _main(argv: list) -> int:
    import argparse
    import hashlib
    parser = argparse.ArgumentParser(description="Integer model: bits/byte of files (first N bytes)")
    parser.add_argument("model")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--bytes", type=int, default=4096)
    args = parser.parse_args(argv)
    model = IntModel(args.model)
    print(f"model {model.model_id} {model.hp}")
    for path in args.files:
        with open(path, "rb") as f:
            lane = f.read(args.bytes)
        dist = model.distributions(lane)
        print(f"{path}: {bits_per_byte(model, [lane]):.4f} bits/byte over {len(lane)} bytes, "
              f"distributions_sha256 {hashlib.sha256(dist.astype('<u4').tobytes()).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
