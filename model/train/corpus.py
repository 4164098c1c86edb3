"""Training bytes for the transformer predictor.

Corpus(paths): every regular file under the given files/directories (walked in
sorted order, symlinks to files followed). Any path with a directory component
named `dev` is refused (the dev corpora are for evaluation only). Of each file
the last 1% (floor(len / 100) bytes) is held out for validation, the rest is
for training.

sample(rng, batch, seq_len) -> (inputs, targets), int64 [batch, seq_len]:
a random window of seq_len bytes from one training file (file chosen with
probability proportional to its training length); inputs are BOS = 256 then
the window's first seq_len - 1 bytes; targets are the window's bytes. A file
shorter than seq_len gives its whole training part, the rest of the targets
is -100 (ignored by the loss).
"""

from __future__ import annotations

import os

import numpy as np

BOS = 256
IGNORE = -100


def _has_dev_component(path: str) -> bool:
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    return "dev" in parts


def list_files(paths: list) -> list:
    files = []
    for path in paths:
        if _has_dev_component(path):
            raise ValueError(f"refusing {path}: a 'dev' corpus is not training data")
        if os.path.isfile(path):
            files.append(path)
        elif os.path.isdir(path):
            for root, dirs, names in os.walk(path, followlinks=False):
                dirs.sort()
                for name in sorted(names):
                    full = os.path.join(root, name)
                    if os.path.isfile(full):
                        files.append(full)
        else:
            raise FileNotFoundError(path)
    for f in files:
        if _has_dev_component(f) or _has_dev_component(os.path.realpath(f)):
            raise ValueError(f"refusing {f}: a 'dev' corpus is not training data")
    return files


class Corpus:
    def __init__(self, paths: list, holdout: float = 0.01):
        self.files = list_files(paths)
        if not self.files:
            raise ValueError("no training files")
        train_parts, val_parts = [], []
        self.file_sizes = []
        for path in self.files:
            with open(path, "rb") as f:
                data = np.frombuffer(f.read(), dtype=np.uint8)
            n_val = int(len(data) * holdout)
            self.file_sizes.append(len(data))
            train_parts.append(data[:len(data) - n_val])
            val_parts.append(data[len(data) - n_val:])
        self.train_lengths = np.array([len(p) for p in train_parts], dtype=np.int64)
        self.train_starts = np.concatenate([[0], np.cumsum(self.train_lengths)[:-1]]).astype(np.int64)
        self.train = np.concatenate(train_parts) if train_parts else np.zeros(0, np.uint8)
        self.val = np.concatenate(val_parts) if val_parts else np.zeros(0, np.uint8)
        if len(self.train) == 0:
            raise ValueError("training corpus is empty")
        self.file_probability = self.train_lengths / self.train_lengths.sum()

    def describe(self) -> str:
        lines = [f"{len(self.files)} files, {len(self.train)} training bytes, "
                 f"{len(self.val)} validation bytes"]
        lines += [f"  {path}: {size} bytes" for path, size in zip(self.files, self.file_sizes)]
        return "\n".join(lines)

    def sample(self, rng: np.random.Generator, batch: int, seq_len: int):
        file_index = rng.choice(len(self.files), size=batch, p=self.file_probability)
        lengths = self.train_lengths[file_index]
        offsets = rng.integers(0, np.maximum(lengths - seq_len, 0) + 1)
        pos = np.arange(seq_len)[None, :]
        valid = pos < lengths[:, None]
        index = self.train_starts[file_index][:, None] + offsets[:, None] + pos
        index = np.minimum(index, len(self.train) - 1)
        window = self.train[index].astype(np.int64)
        targets = np.where(valid, window, IGNORE)
        inputs = np.concatenate([np.full((batch, 1), BOS, dtype=np.int64), window[:, :-1]], axis=1)
        return inputs, targets

    def val_windows(self, count: int, length: int) -> list:
        """count byte strings of `length` from evenly spaced offsets of the validation bytes."""
        if len(self.val) < length:
            raise ValueError(f"validation part ({len(self.val)} bytes) is shorter than {length}")
        span = len(self.val) - length
        return [self.val[(i * span) // max(count - 1, 1):][:length].tobytes() for i in range(count)]
