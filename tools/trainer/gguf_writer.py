"""A minimal GGUF v3 writer (metadata, F32 and Q8_0 tensors).

Layout from the GGUF spec (ggml docs/gguf.md): little-endian header ``GGUF``, version 3,
tensor count (u64), metadata count (u64); metadata key/value pairs; tensor infos (name, n_dims,
dims innermost first, ggml type, offset into the data section); padding to ``general.alignment``
(32); tensor data, each tensor aligned to 32. Q8_0 (ggml-common.h ``block_q8_0``): blocks of 32
values along a row, each an f16 scale d = max|x| / 127 followed by 32 int8 q = round(x / d).
"""

from __future__ import annotations

import struct

import numpy as np

ALIGN = 32
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
QK8_0 = 32

# GGUF metadata value types.
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY = range(10)
T_UINT64, T_INT64, T_FLOAT64 = 10, 11, 12


def _str(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _scalar(t: int, v) -> bytes:
    fmt = {T_UINT8: "B", T_INT8: "b", T_UINT16: "H", T_INT16: "h", T_UINT32: "I", T_INT32: "i",
           T_FLOAT32: "f", T_BOOL: "?", T_UINT64: "Q", T_INT64: "q", T_FLOAT64: "d"}[t]
    return struct.pack("<" + fmt, v)


def _value(t: int, v, elem: int | None = None) -> bytes:
    if t == T_STRING:
        return _str(v)
    if t == T_ARRAY:
        assert elem is not None
        body = b"".join(_str(x) if elem == T_STRING else _scalar(elem, x) for x in v)
        return struct.pack("<IQ", elem, len(v)) + body
    return _scalar(t, v)


def quantize_q8_0(w: np.ndarray) -> bytes:
    """Q8_0 bytes of a 2-D float array whose rows have a multiple of 32 values."""
    w = np.ascontiguousarray(w, dtype=np.float32)
    assert w.shape[-1] % QK8_0 == 0, f"row length {w.shape[-1]} is not a multiple of {QK8_0}"
    blocks = w.reshape(-1, QK8_0)
    amax = np.abs(blocks).max(axis=1)
    d = amax / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0.0)
    q = np.clip(np.round(blocks * inv[:, None]), -127, 127).astype(np.int8)
    rec = np.zeros(len(blocks), dtype=[("d", "<f2"), ("q", "i1", (QK8_0,))])
    rec["d"] = d.astype(np.float16)
    rec["q"] = q
    return rec.tobytes()


def dequantize_q8_0(raw: bytes, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`quantize_q8_0` (for checks)."""
    rec = np.frombuffer(raw, dtype=[("d", "<f2"), ("q", "i1", (QK8_0,))])
    return (rec["d"].astype(np.float32)[:, None] * rec["q"].astype(np.float32)).reshape(shape)


class GGUFWriter:
    """Collects metadata and tensors, then writes one GGUF v3 file."""

    def __init__(self) -> None:
        self.kv: list[tuple[str, int, object, int | None]] = []
        self.tensors: list[tuple[str, tuple[int, ...], int, bytes]] = []

    def add(self, key: str, vtype: int, value, elem: int | None = None) -> None:
        """One metadata pair; arrays give ``vtype=T_ARRAY`` and the element type in ``elem``."""
        self.kv.append((key, vtype, value, elem))

    def add_tensor(self, name: str, w: np.ndarray, ggml_type: int) -> None:
        """A tensor with numpy (row-major) shape; GGUF stores dims innermost first."""
        w = np.ascontiguousarray(w, dtype=np.float32)
        if ggml_type == GGML_F32:
            data = w.tobytes()
        elif ggml_type == GGML_Q8_0:
            data = quantize_q8_0(w)
        else:
            raise ValueError(f"unsupported ggml type {ggml_type}")
        self.tensors.append((name, tuple(reversed(w.shape)), ggml_type, data))

    def write(self, path: str) -> None:
        head = b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv))
        meta = b"".join(_str(k) + struct.pack("<I", t) + _value(t, v, e) for k, t, v, e in self.kv)
        infos, offset = [], 0
        for name, dims, t, data in self.tensors:
            infos.append(_str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
                         + struct.pack("<IQ", t, offset))
            offset += len(data)
            offset += -offset % ALIGN
        out = bytearray(head + meta + b"".join(infos))
        out += b"\0" * (-len(out) % ALIGN)
        for _, _, _, data in self.tensors:
            out += data
            out += b"\0" * (-len(out) % ALIGN)
        with open(path, "wb") as f:
            f.write(out)
