#!/usr/bin/python3
"""Quantisation-aware training of the lmarc transformer predictor.

Example (GPU, 7 minutes of training):
  /usr/bin/python3 model/train/train.py --data /work/traincorpus /work/shared/corpus/text/train \
      --d-model 128 --layers 2 --heads 4 --context 64 --ffn 256 --seq-len 256 --batch 128 \
      --minutes 7 --device cuda --out OUTDIR

Every sample is BOS then seq_len bytes of one training file. AdamW with linear
warm-up then cosine decay to --min-lr-ratio * --lr at the end of the budget:
--minutes (training time, excluding evaluation/export pauses) or --steps.
Outputs in OUTDIR:
  train-log.txt   human log (the command line first), same as stdout
  train-log.csv   step, seconds (wall), train_seconds, lr, train_bpb, val_bpb
                  (float QAT model), and at export rows int_bpb (the exported
                  integer model through int_reference on the fixed validation
                  lanes), float_lane_bpb (the float model on the same lanes), model_id
  <id>.lmnn       every export (every --export-every minutes and at the end)
  latest.txt      the id of the latest export
  checkpoint.pt   float model + optimiser state of the latest export
  loss.png        train/val bits per byte vs step (int points at exports)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", required=True, help="training files/directories")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--context", type=int, default=64, help="attention window W")
    p.add_argument("--ffn", type=int, default=256)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--batch", type=int, default=128)
    budget = p.add_mutually_exclusive_group(required=True)
    budget.add_argument("--minutes", type=float, help="training time budget (time-based schedule)")
    budget.add_argument("--steps", type=int, help="number of steps (step-based schedule)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.05)
    p.add_argument("--warmup", type=int, default=200, help="warm-up steps")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cuda", help="cuda or cpu")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: library default)")
    p.add_argument("--tf32", action="store_true", help="allow TF32 matrix products on CUDA")
    p.add_argument("--compile", action="store_true", help="torch.compile the training step (torch 2)")
    p.add_argument("--log-every", type=int, default=100, help="steps between log rows")
    p.add_argument("--val-windows", type=int, default=32, help="validation windows of seq-len")
    p.add_argument("--export-every", type=float, default=2.0, help="minutes between exports")
    p.add_argument("--int-eval-lanes", type=int, default=8)
    p.add_argument("--int-eval-len", type=int, default=2048)
    return p.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
if ARGS.threads > 0:  # before numpy/torch load their thread pools
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import int_reference  # noqa: E402
from corpus import Corpus  # noqa: E402
from export import export_model  # noqa: E402
from model import Config, QATTransformer, lane_tokens  # noqa: E402

CSV_FIELDS = ["step", "seconds", "train_seconds", "lr", "train_bpb", "val_bpb", "int_bpb",
              "float_lane_bpb", "model_id"]


class Logger:
    def __init__(self, out_dir: str):
        self.text = open(os.path.join(out_dir, "train-log.txt"), "w")
        self.csv = open(os.path.join(out_dir, "train-log.csv"), "w")
        self.csv.write(",".join(CSV_FIELDS) + "\n")
        self.rows = []

    def say(self, line: str) -> None:
        print(line, flush=True)
        self.text.write(line + "\n")
        self.text.flush()

    def row(self, **values) -> None:
        self.rows.append(values)
        cells = []
        for name in CSV_FIELDS:
            v = values.get(name, "")
            cells.append(f"{v:.6g}" if isinstance(v, float) else str(v))
        self.csv.write(",".join(cells) + "\n")
        self.csv.flush()


def lr_at(args, step: int, progress: float) -> float:
    """Linear warm-up over --warmup steps (or the first 5% of the budget if
    that is shorter), then cosine from --lr down to --min-lr-ratio * --lr."""
    warm = min(1.0, max((step + 1) / max(args.warmup, 1), progress / 0.05))
    progress = min(max(progress, 0.0), 1.0)
    cosine = args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return args.lr * warm * cosine


@torch.no_grad()
def float_bpb(model, inputs, targets, batch: int) -> float:
    model.eval()
    total, count = 0.0, 0
    for i in range(0, inputs.shape[0], batch):
        x, y = inputs[i:i + batch], targets[i:i + batch]
        n = int((y != -100).sum())
        total += float(model.loss_bits(x, y)) * n
        count += n
    model.train()
    return total / max(count, 1)


def plot(rows: list, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    tr = [(r["step"], r["train_bpb"]) for r in rows if isinstance(r.get("train_bpb"), float)]
    va = [(r["step"], r["val_bpb"]) for r in rows if isinstance(r.get("val_bpb"), float)]
    it = [(r["step"], r["int_bpb"]) for r in rows if isinstance(r.get("int_bpb"), float)]
    fl = [(r["step"], r["float_lane_bpb"]) for r in rows if isinstance(r.get("float_lane_bpb"), float)]
    if tr:
        ax.plot(*zip(*tr), label="train (float QAT)")
    if va:
        ax.plot(*zip(*va), label="val (float QAT)")
    if fl:
        ax.plot(*zip(*fl), "s", label="val lanes (float QAT)")
    if it:
        ax.plot(*zip(*it), "o", label="val lanes (exported integer)")
    ax.set_xlabel("step")
    ax.set_ylabel("bits per byte")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(args) -> int:
    os.makedirs(args.out, exist_ok=True)
    log = Logger(args.out)
    log.say("command: " + " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv))
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            log.say("error: --device cuda but CUDA is not available")
            return 1
        # fp32 throughout (never bf16). TF32 matrix products are allowed with
        # --tf32; off by default: the model is launch-bound, not FLOP-bound,
        # and TF32's 10-bit mantissa moves values across the fake-quant grid,
        # widening the float/integer gap.
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)

    cfg = Config(d_model=args.d_model, n_layers=args.layers, n_heads=args.heads,
                 context=args.context, ffn_dim=args.ffn)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump({"args": vars(args), "config": cfg.to_dict()}, f, indent=1)
    corpus = Corpus(args.data)
    log.say(corpus.describe())
    model = QATTransformer(cfg).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    log.say(f"config {cfg.to_dict()}, {n_params} parameters, device {device}, "
            f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    train_loss = model.loss_bits
    if args.compile:
        if hasattr(torch, "compile"):
            train_loss = torch.compile(model.loss_bits)
        else:
            log.say(f"warning: --compile ignored (torch {torch.__version__} has no torch.compile)")
    optimizer = torch.optim.AdamW(model.param_groups(args.weight_decay), lr=args.lr,
                                  betas=(0.9, 0.95), eps=1e-8)

    # Validation windows: BOS + seq_len bytes each, fixed for the whole run.
    val_inputs, val_targets = lane_tokens(corpus.val_windows(args.val_windows, args.seq_len), device)
    int_lanes = corpus.val_windows(args.int_eval_lanes, args.int_eval_len)
    int_inputs, int_targets = lane_tokens(int_lanes, device)
    eval_batch = max(1, min(args.batch, 8 * 2048 // max(args.int_eval_len, 1)))

    start = time.time()
    train_seconds = 0.0
    budget_s = args.minutes * 60 if args.minutes is not None else None
    step = 0
    last_export = 0.0
    running, running_n = 0.0, 0

    def progress() -> float:
        return train_seconds / budget_s if budget_s else step / args.steps

    def export(final: bool) -> None:
        t0 = time.time()
        mid, path = export_model(model, args.out)
        with open(os.path.join(args.out, "latest.txt.partial"), "w") as f:
            f.write(mid + "\n")
        os.replace(os.path.join(args.out, "latest.txt.partial"), os.path.join(args.out, "latest.txt"))
        torch.save({"config": cfg.to_dict(), "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(), "step": step, "args": vars(args)},
                   os.path.join(args.out, "checkpoint.pt"))
        t1 = time.time()
        int_bpb = int_reference.bits_per_byte(int_reference.IntModel(path), int_lanes)
        t2 = time.time()
        fl_bpb = float_bpb(model, int_inputs, int_targets, eval_batch)
        log.row(step=step, seconds=round(time.time() - start, 2), train_seconds=round(train_seconds, 2),
                int_bpb=int_bpb, float_lane_bpb=fl_bpb, model_id=mid)
        plot(log.rows, os.path.join(args.out, "loss.png"))
        log.say(f"export step {step}: {path}\n  integer model {int_bpb:.4f} bits/byte, float QAT "
                f"{fl_bpb:.4f} on the same {len(int_lanes)}x{args.int_eval_len} validation lanes "
                f"(export {t1 - t0:.1f}s, int eval {t2 - t1:.1f}s){' [final]' if final else ''}")

    while True:
        if budget_s is not None and train_seconds >= budget_s:
            break
        if args.steps is not None and step >= args.steps:
            break
        t0 = time.time()
        lr = lr_at(args, step, progress())
        for group in optimizer.param_groups:
            group["lr"] = lr
        inputs, targets = corpus.sample(rng, args.batch, args.seq_len)
        inputs = torch.from_numpy(inputs).to(device, non_blocking=True)
        targets = torch.from_numpy(targets).to(device, non_blocking=True)
        loss = train_loss(inputs, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        step += 1
        if step % 10 == 0 or step < 10:
            running += float(loss)  # syncs the device; every 10 steps is enough
            running_n += 1
        train_seconds += time.time() - t0
        done = (budget_s is not None and train_seconds >= budget_s) or \
               (args.steps is not None and step >= args.steps)
        if step % args.log_every == 0 or done:
            t_eval = time.time()
            val = float_bpb(model, val_inputs, val_targets, args.batch)
            now = time.time()
            train_bpb = running / max(running_n, 1)
            log.row(step=step, seconds=round(now - start, 2), train_seconds=round(train_seconds, 2),
                    lr=lr, train_bpb=train_bpb, val_bpb=val)
            log.say(f"step {step:6d}  {now - start:7.1f}s  lr {lr:.2e}  train {train_bpb:.4f}  "
                    f"val {val:.4f} bits/byte  ({1000 * train_seconds / step:.0f} ms/step, "
                    f"val {now - t_eval:.1f}s)")
            running, running_n = 0.0, 0
        if not done and train_seconds - last_export >= args.export_every * 60:
            export(final=False)
            last_export = train_seconds
    export(final=True)
    log.say(f"done: {step} steps, {train_seconds:.1f}s training, {time.time() - start:.1f}s wall, "
            f"{1000 * train_seconds / max(step, 1):.0f} ms/step")
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
