"""Float QAT model -> integer tensors, requantisers and an lmarc weight file.

Units (docs/model.md "Units"): norm output a/16, q and k /32, v and attention
output /16, MLP hidden /32, residual /256, logits in 1/256 of a base-2 logit.
A weight matrix W is stored as round(W / sw) with sw = max|W| / 127 (the same
float32 torch arithmetic as the fake quantisation in model.py), [in, out]
row-major. Requantiser real scales:

  wq, wk   (1/16) * sw / (1/32)          wv      (1/16) * sw / (1/16)
  wo       (1/16) * sw * 256             w1      (1/16) * sw / (1/32)
  w2       (1/32) * sw * 256             head    (1/16) * sw * log2(e) * 256
  attn_bias (1/32)^2 / sqrt(dh) * log2(e) * 256, entries round(b * log2(e) * 256)
  embed    (1, 0) (unused), entries round(E * 256) clipped to s16

A scale r > 0 becomes (multiplier, shift) with the largest shift <= 62 such
that round(r * 2^shift) <= 2^31 - 1 (round half up), multiplier =
round(r * 2^shift).

Usage as a script: export.py CHECKPOINT.pt OUTDIR  (writes OUTDIR/<id>.lmnn).
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weights  # noqa: E402
from model import Config, QATTransformer, weight_scale  # noqa: E402

LOG2E = 1.0 / math.log(2.0)
MAX_MULTIPLIER = 2**31 - 1
LOGIT_LIMIT = 1 << 24


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def requantizer(r: float) -> tuple[int, int]:
    """(multiplier, shift) for the real scale r >= 0 (see module doc)."""
    if not (r >= 0 and math.isfinite(r)):
        raise ValueError(f"bad requantiser scale {r}")
    for shift in range(62, -1, -1):
        m = round_half_up(math.ldexp(r, shift))
        if m <= MAX_MULTIPLIER:
            return m, shift
    print(f"warning: requantiser scale {r} saturates at (2^31-1, 0)", file=sys.stderr)
    return MAX_MULTIPLIER, 0


def quantize_matrix(w: torch.Tensor) -> tuple[np.ndarray, float]:
    """Integer matrix round(W / sw) in [-127, 127] and sw (float32 math as in model.py)."""
    w = w.detach().float().cpu()
    s = weight_scale(w)
    q = torch.round(w / s).clamp(-127, 127).to(torch.int64).numpy()
    return q.astype(np.int8), float(s)


def integer_tensors(model: QATTransformer) -> list:
    """The weights.Tensor list of the model, in file order."""
    cfg = model.cfg
    dh = cfg.head_dim
    tensors = []
    embed = torch.round(model.embed.detach().float().cpu() * 256.0).clamp(-32768, 32767)
    tensors.append(weights.Tensor("embed", "s16", embed.to(torch.int64).numpy().astype(np.int16), 1, 0))
    for i, block in enumerate(model.layers):
        p = f"layers.{i}."

        def mat(name: str, param: torch.Tensor, scale_of) -> None:
            q, sw = quantize_matrix(param)
            m, s = requantizer(scale_of(sw))
            tensors.append(weights.Tensor(p + name, "s8", q, m, s))

        mat("wq", block.wq, lambda sw: (1 / 16) * sw / (1 / 32))
        mat("wk", block.wk, lambda sw: (1 / 16) * sw / (1 / 32))
        mat("wv", block.wv, lambda sw: (1 / 16) * sw / (1 / 16))
        bias = np.rint(block.attn_bias.detach().double().cpu().numpy() * LOG2E * 256.0)
        bias = np.clip(bias, -LOGIT_LIMIT, LOGIT_LIMIT).astype(np.int32)
        m, s = requantizer((1 / 32) * (1 / 32) / math.sqrt(dh) * LOG2E * 256.0)
        tensors.append(weights.Tensor(p + "attn_bias", "s32", bias, m, s))
        mat("wo", block.wo, lambda sw: (1 / 16) * sw * 256.0)
        mat("w1", block.w1, lambda sw: (1 / 16) * sw / (1 / 32))
        mat("w2", block.w2, lambda sw: (1 / 32) * sw * 256.0)
    q, sw = quantize_matrix(model.head)
    m, s = requantizer((1 / 16) * sw * LOG2E * 256.0)
    tensors.append(weights.Tensor("head", "s8", q, m, s))
    return tensors


def export_model(model: QATTransformer, out_dir: str) -> tuple[str, str]:
    """Writes OUT_DIR/<model id>.lmnn; returns (model id, path)."""
    tensors = integer_tensors(model)
    header = model.cfg.header()
    specs = weights.transformer_tensor_specs(header)
    assert [(t.name, t.dtype, t.dims) for t in tensors] == specs
    return weights.save_model(out_dir, header, tensors)


def main(argv: list) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    checkpoint = torch.load(argv[0], map_location="cpu")
    model = QATTransformer(Config(**checkpoint["config"]))
    model.load_state_dict(checkpoint["model"])
    mid, path = export_model(model, argv[1])
    print(mid, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
