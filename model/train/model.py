"""Float model of the lmarc transformer for quantisation-aware training (torch).

Mirrors the integer inference of docs/model.md ("The transformer") in real
units, with fake quantisation (round to the integer grid, clamp to the integer
range) and straight-through estimators, so that the exported integer model
(export.py, checked by int_reference.py) computes nearly the same function:

  real value         integer                     fake quant here
  residual x         x_int / 256, |.| <= 2^20    step 1/256, clamp +-4096
  embed              s16 / 256                   step 1/256, clamp s16
  Norm(x)            a_int / 16 in [-64, 63]     x / rms(x), step 1/16
  q, k               q_int / 32 in [-127, 127]   step 1/32
  v, attention out   v_int / 16 in [-64, 63]     step 1/16
  MLP hidden         h_int / 32 in [0, 127]      ReLU, step 1/32
  weights            s8 * sw, sw = max|W| / 127  per tensor, step sw
  logits             natural (exported in 1/256 of a base-2 logit)

Pre-norm blocks, RMSNorm without gain, no biases except the learned
attention bias per head and distance (relative positions only), causal
attention over a sliding window of W positions (the current one included).
Matrices are parameters stored [in, out] (y = x @ W), as in the weight file.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

BOS = 256
RESIDUAL_LIMIT_REAL = 4096.0  # 2^20 residual units of 1/256


@dataclass
class Config:
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    context: int = 64  # attention window W, the current position included
    ffn_dim: int = 256
    vocab_size: int = 256

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def header(self) -> dict:
        return dict(vocab_size=self.vocab_size, d_model=self.d_model, n_layers=self.n_layers,
                    n_heads=self.n_heads, context=self.context, ffn_dim=self.ffn_dim)

    def to_dict(self) -> dict:
        return asdict(self)


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """round(x) forward, identity gradient."""
    return x + (torch.round(x) - x).detach()


def fake_quant(x: torch.Tensor, step: float, lo: int, hi: int) -> torch.Tensor:
    """clamp(round(x / step), lo, hi) * step; gradient 1 inside the range, 0 outside."""
    return torch.clamp(round_ste(x / step), lo, hi) * step


def weight_scale(w: torch.Tensor) -> torch.Tensor:
    """Per-tensor scale sw = max|W| / 127 (no gradient)."""
    return (w.detach().abs().max() / 127.0).clamp_min(1e-30)


def fake_quant_weight(w: torch.Tensor) -> torch.Tensor:
    s = weight_scale(w)
    return w + (torch.round(w / s) * s - w).detach()


def rms_norm_q(x: torch.Tensor) -> torch.Tensor:
    """Norm(x): x / rms(x) on the grid 1/16, clamped to [-64, 63] / 16."""
    a = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + 1e-12)
    return fake_quant(a, 1.0 / 16, -64, 63)


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        d, f = cfg.d_model, cfg.ffn_dim
        self.cfg = cfg
        self.wq = nn.Parameter(torch.randn(d, d) / math.sqrt(d))
        self.wk = nn.Parameter(torch.randn(d, d) / math.sqrt(d))
        self.wv = nn.Parameter(torch.randn(d, d) / math.sqrt(d))
        self.wo = nn.Parameter(torch.randn(d, d) / math.sqrt(d) / math.sqrt(2 * cfg.n_layers))
        self.w1 = nn.Parameter(torch.randn(d, f) / math.sqrt(d))
        self.w2 = nn.Parameter(torch.randn(f, d) / math.sqrt(f) / math.sqrt(2 * cfg.n_layers))
        # Natural-log attention bias per head and distance 0..W-1; starts with
        # a mild preference for recent positions.
        dist = torch.arange(cfg.context, dtype=torch.float32)
        self.attn_bias = nn.Parameter(-0.05 * dist.repeat(cfg.n_heads, 1))

    def attention(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """q, k, v [B, H, T, dh] (already quantised) -> [B, H, T, dh], banded causal."""
        cfg = self.cfg
        b, h, t, dh = q.shape
        w = cfg.context
        scale = 1.0 / math.sqrt(dh)
        block = t if t <= 512 else 256
        outs = []
        for start in range(0, t, block):
            stop = min(t, start + block)
            k0 = max(0, start - w + 1)
            qi = torch.arange(start, stop, device=q.device)
            kj = torch.arange(k0, stop, device=q.device)
            dist = qi[:, None] - kj[None, :]  # [tq, tk]
            visible = (dist >= 0) & (dist < w)
            bias = self.attn_bias[:, dist.clamp(0, w - 1)]  # [H, tq, tk]
            bias = bias.masked_fill(~visible, float("-inf"))
            scores = torch.matmul(q[:, :, start:stop], k[:, :, k0:stop].transpose(-1, -2)) * scale
            att = torch.softmax(scores + bias, dim=-1)
            outs.append(torch.matmul(att, v[:, :, k0:stop]))
        return outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        b, t, d = x.shape
        h, dh = cfg.n_heads, cfg.head_dim
        a = rms_norm_q(x)
        q = fake_quant(a @ fake_quant_weight(self.wq), 1.0 / 32, -127, 127)
        k = fake_quant(a @ fake_quant_weight(self.wk), 1.0 / 32, -127, 127)
        v = fake_quant(a @ fake_quant_weight(self.wv), 1.0 / 16, -64, 63)
        split = lambda z: z.view(b, t, h, dh).transpose(1, 2)  # noqa: E731
        o = self.attention(split(q), split(k), split(v)).transpose(1, 2).reshape(b, t, d)
        o = fake_quant(o, 1.0 / 16, -64, 63)
        x = residual_add(x, o @ fake_quant_weight(self.wo))
        a = rms_norm_q(x)
        hid = fake_quant(F.relu(a @ fake_quant_weight(self.w1)), 1.0 / 32, 0, 127)
        return residual_add(x, hid @ fake_quant_weight(self.w2))


def residual_add(x: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """clampR(x + Rq(delta)) in real units (grid 1/256, |.| <= 4096)."""
    delta = fake_quant(delta, 1.0 / 256, -(1 << 20), 1 << 20)
    return torch.clamp(x + delta, -RESIDUAL_LIMIT_REAL, RESIDUAL_LIMIT_REAL)


class QATTransformer(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        assert cfg.d_model % cfg.n_heads == 0
        self.cfg = cfg
        self.embed = nn.Parameter(torch.randn(257, cfg.d_model))
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.head = nn.Parameter(torch.randn(cfg.d_model, cfg.vocab_size) / math.sqrt(cfg.d_model))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [B, T] in 0..256 (BOS = 256) -> natural logits [B, T, 256]."""
        x = fake_quant(self.embed, 1.0 / 256, -32768, 32767)[tokens]
        for layer in self.layers:
            x = layer(x)
        return rms_norm_q(x) @ fake_quant_weight(self.head)

    def loss_bits(self, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy in bits per byte over targets != -100."""
        logits = self.forward(tokens)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                               ignore_index=-100) / math.log(2)

    def param_groups(self, weight_decay: float) -> list:
        decay, no_decay = [], []
        for name, p in self.named_parameters():
            (no_decay if name.endswith("attn_bias") or name == "embed" else decay).append(p)
        return [{"params": decay, "weight_decay": weight_decay},
                {"params": no_decay, "weight_decay": 0.0}]


def lane_tokens(lanes: list, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Lanes of equal length -> (inputs [B, T] starting with BOS, targets [B, T])."""
    import numpy as np
    data = np.stack([np.frombuffer(bytes(lane), dtype=np.uint8) for lane in lanes]).astype(np.int64)
    inputs = np.concatenate([np.full((len(lanes), 1), BOS, dtype=np.int64), data[:, :-1]], axis=1)
    return torch.from_numpy(inputs).to(device), torch.from_numpy(data).to(device)
