"""lmarc transformer weight files (docs/model.md, "Weight file format"), numpy only.

write_weight_file() produces exactly the bytes of the C++ WriteWeightFile
(model/nn/weight_file.cc): magic, version 1, header size, the six
hyper-parameters, 4 reserved u32 zeros, the tensor table, then each tensor's
data at the next 64-byte aligned offset with zero padding. The model id is the
lower-case hex SHA-256 of the whole file. read_weight_file() validates like
LoadWeightFile and returns the tensors as numpy arrays; re-writing what was
read reproduces the file (the layout is canonical).

transformer_tensor_specs() lists the tensors of the transformer
(docs/model.md, "Tensors") in file order.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"LMARCNN\0"
VERSION = 1
ALIGNMENT = 64
RESERVED_FIELDS = 4
MAX_NAME_LENGTH = 64
MAX_RANK = 4
SUFFIX = ".lmnn"

# dtype byte -> (name, little-endian numpy dtype)
DTYPES = {1: ("s8", np.dtype("<i1")), 2: ("s16", np.dtype("<i2")), 3: ("s32", np.dtype("<i4"))}
DTYPE_CODES = {name: code for code, (name, _) in DTYPES.items()}

HEADER_FIELDS = ("vocab_size", "d_model", "n_layers", "n_heads", "context", "ffn_dim")


class WeightFileError(ValueError):
    """A malformed weight file (the C++ loader's Corrupt/Unsupported)."""


@dataclass
class Tensor:
    name: str
    dtype: str  # "s8", "s16" or "s32"
    data: np.ndarray  # integer array; its shape is the tensor's dims
    multiplier: int = 0  # requantiser: real scale multiplier * 2^-shift
    shift: int = 0

    @property
    def dims(self) -> tuple:
        return tuple(int(d) for d in self.data.shape)


@dataclass
class WeightFile:
    header: dict  # HEADER_FIELDS -> int
    tensors: list = field(default_factory=list)
    model_id: str = ""

    def find(self, name: str) -> Tensor:
        for tensor in self.tensors:
            if tensor.name == name:
                return tensor
        raise KeyError(name)


def align_up(offset: int) -> int:
    return (offset + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def model_id_of(file_bytes: bytes) -> str:
    return hashlib.sha256(file_bytes).hexdigest()


def _tensor_bytes(tensor: Tensor) -> bytes:
    if tensor.dtype not in DTYPE_CODES:
        raise ValueError(f"tensor '{tensor.name}': unknown dtype {tensor.dtype}")
    np_dtype = DTYPES[DTYPE_CODES[tensor.dtype]][1]
    data = np.asarray(tensor.data)
    info = np.iinfo(np_dtype)
    if data.size and (data.min() < info.min or data.max() > info.max):
        raise ValueError(f"tensor '{tensor.name}': values outside {tensor.dtype}")
    return np.ascontiguousarray(data.astype(np_dtype)).tobytes()


def write_weight_file(header: dict, tensors: list) -> bytes:
    """The canonical file bytes (same as C++ WriteWeightFile)."""
    header_size = len(MAGIC) + 4 + 4 + 4 * len(HEADER_FIELDS) + 4 + 4 * RESERVED_FIELDS + 4
    for tensor in tensors:
        header_size += 25 + len(tensor.name.encode("ascii")) + 4 * len(tensor.dims)
    out = bytearray(MAGIC)
    out += struct.pack("<II", VERSION, header_size)
    out += struct.pack("<6I", *(int(header[name]) for name in HEADER_FIELDS))
    out += struct.pack("<I", RESERVED_FIELDS) + b"\0" * (4 * RESERVED_FIELDS)
    out += struct.pack("<I", len(tensors))
    datas = [_tensor_bytes(t) for t in tensors]
    data_offset = align_up(header_size)
    for tensor, data in zip(tensors, datas):
        name = tensor.name.encode("ascii")
        out += struct.pack("<H", len(name)) + name
        out += struct.pack("<BB", DTYPE_CODES[tensor.dtype], len(tensor.dims))
        out += struct.pack(f"<{len(tensor.dims)}I", *tensor.dims)
        out += struct.pack("<QQ", data_offset, len(data))
        out += struct.pack("<IB", int(tensor.multiplier) & 0xFFFFFFFF, int(tensor.shift))
        data_offset = align_up(data_offset + len(data))
    assert len(out) == header_size
    for data in datas:
        out += b"\0" * (align_up(len(out)) - len(out))
        out += data
    return bytes(out)


def read_weight_file(source, expected_id: str | None = None) -> WeightFile:
    """Parses and validates a weight file (bytes or a path), like LoadWeightFile."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            data = f.read()
    else:
        data = bytes(source)
    size = len(data)
    pos = 0

    def take(n: int, what: str) -> bytes:
        nonlocal pos
        if n > size - pos:
            raise WeightFileError(f"weight file truncated in {what}")
        chunk = data[pos:pos + n]
        pos += n
        return chunk

    def u(fmt: str, what: str):
        return struct.unpack("<" + fmt, take(struct.calcsize("<" + fmt), what))[0]

    if take(8, "magic") != MAGIC:
        raise WeightFileError("not an lmarc weight file (wrong magic)")
    version = u("I", "format version")
    if version > VERSION:
        raise WeightFileError(f"weight file version {version} is newer than this reads ({VERSION})")
    if version == 0:
        raise WeightFileError("weight file version 0 is invalid")
    header_size = u("I", "header size")
    header = {name: u("I", "hyper-parameters") for name in HEADER_FIELDS}
    reserved = u("I", "reserved field count")
    for i in range(reserved):
        if u("I", "reserved fields") != 0:
            raise WeightFileError(f"reserved field {i} is nonzero")
    count = u("I", "tensor count")
    entries = []
    for _ in range(count):
        n = u("H", "tensor name length")
        if not 1 <= n <= MAX_NAME_LENGTH:
            raise WeightFileError(f"bad tensor name length {n}")
        raw = take(n, "tensor name")
        if any(c < 0x21 or c > 0x7E for c in raw):
            raise WeightFileError("bad tensor name: not printable ASCII")
        name = raw.decode("ascii")
        code = u("B", "tensor dtype")
        if code not in DTYPES:
            raise WeightFileError(f"tensor '{name}': unknown dtype {code}")
        rank = u("B", "tensor rank")
        if not 1 <= rank <= MAX_RANK:
            raise WeightFileError(f"tensor '{name}': rank {rank} is outside [1, {MAX_RANK}]")
        dims = [u("I", "tensor dims") for _ in range(rank)]
        offset = u("Q", "tensor data offset")
        nbytes = u("Q", "tensor data size")
        multiplier = u("I", "tensor requantisation multiplier")
        shift = u("B", "tensor requantisation shift")
        if multiplier > 2**31 - 1 or shift > 62:
            raise WeightFileError(f"tensor '{name}': invalid requantiser")
        if any(d == 0 for d in dims):
            raise WeightFileError(f"tensor '{name}': a dimension is 0")
        expected = DTYPES[code][1].itemsize
        for d in dims:
            expected *= d
        if expected != nbytes:
            raise WeightFileError(f"tensor '{name}': dims need {expected} bytes, data size is {nbytes}")
        if offset > size or nbytes > size - offset:
            raise WeightFileError(f"tensor '{name}': data is outside the file")
        if offset % ALIGNMENT:
            raise WeightFileError(f"tensor '{name}': data offset {offset} is not aligned")
        entries.append((name, code, dims, offset, nbytes, multiplier, shift))
    if header_size != pos:
        raise WeightFileError(f"header size mismatch: field says {header_size}, table ends at {pos}")
    names = [e[0] for e in entries]
    if len(set(names)) != len(names):
        raise WeightFileError("duplicate tensor name")
    expected_offset = align_up(header_size)
    padding_start = header_size
    for name, _, _, offset, nbytes, _, _ in entries:
        if offset != expected_offset:
            raise WeightFileError(f"tensor '{name}': data at offset {offset}, expected {expected_offset}")
        if any(data[padding_start:offset]):
            raise WeightFileError("nonzero padding byte")
        padding_start = offset + nbytes
        expected_offset = align_up(padding_start)
    if size != padding_start:
        raise WeightFileError(f"weight file has {size - padding_start} trailing bytes")
    file_id = model_id_of(data)
    if expected_id is not None and expected_id != file_id:
        raise WeightFileError(f"model id mismatch: expected {expected_id}, file is {file_id}")
    tensors = []
    for name, code, dims, offset, nbytes, multiplier, shift in entries:
        array = np.frombuffer(data, dtype=DTYPES[code][1], count=nbytes // DTYPES[code][1].itemsize,
                              offset=offset).reshape(dims)
        tensors.append(Tensor(name, DTYPES[code][0], array, multiplier, shift))
    return WeightFile(header, tensors, file_id)


def save_model(out_dir: str, header: dict, tensors: list) -> tuple[str, str]:
    """Writes <out_dir>/<model id>.lmnn; returns (model id, path)."""
    file_bytes = write_weight_file(header, tensors)
    mid = model_id_of(file_bytes)
    path = os.path.join(out_dir, mid + SUFFIX)
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.write(file_bytes)
    os.replace(tmp, path)
    return mid, path


def transformer_tensor_specs(header: dict) -> list:
    """(name, dtype, dims) of every transformer tensor, in file order."""
    d, f, h, w = header["d_model"], header["ffn_dim"], header["n_heads"], header["context"]
    specs = [("embed", "s16", (257, d))]
    for layer in range(header["n_layers"]):
        p = f"layers.{layer}."
        specs += [(p + "wq", "s8", (d, d)), (p + "wk", "s8", (d, d)), (p + "wv", "s8", (d, d)),
                  (p + "attn_bias", "s32", (h, w)), (p + "wo", "s8", (d, d)),
                  (p + "w1", "s8", (d, f)), (p + "w2", "s8", (f, d))]
    specs.append(("head", "s8", (d, header["vocab_size"])))
    return specs


def check_transformer(wf: WeightFile) -> None:
    """Raises WeightFileError unless wf holds exactly the transformer's tensors."""
    hp = wf.header
    if hp["vocab_size"] != 256:
        raise WeightFileError("vocab_size must be 256")
    if not (16 <= hp["d_model"] <= 1024 and 1 <= hp["n_layers"] <= 16 and 1 <= hp["n_heads"] <= 16
            and hp["d_model"] % hp["n_heads"] == 0 and hp["d_model"] // hp["n_heads"] <= 256
            and 1 <= hp["context"] <= 256 and 16 <= hp["ffn_dim"] <= 4096):
        raise WeightFileError(f"invalid hyper-parameters {hp}")
    specs = transformer_tensor_specs(hp)
    got = [(t.name, t.dtype, t.dims) for t in wf.tensors]
    if got != specs:
        raise WeightFileError("tensors differ from the transformer's (name, dtype, dims) list")
    for layer in range(hp["n_layers"]):
        bias = wf.find(f"layers.{layer}.attn_bias").data
        if np.abs(bias.astype(np.int64)).max() > 2**24:
            raise WeightFileError("attn_bias entry outside [-2^24, 2^24]")
