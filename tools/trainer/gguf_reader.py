"""Read back a GGUF v3 file written by gguf_writer.py (metadata and F32/Q8_0 tensors, dequantized),
and load it into the PyTorch model, so evaluation can run on exactly the exported weights.
"""

from __future__ import annotations

import struct

import numpy as np

import gguf_writer as G


class _Buf:
    def __init__(self, data: bytes):
        self.d, self.o = data, 0

    def take(self, fmt: str):
        v = struct.unpack_from("<" + fmt, self.d, self.o)
        self.o += struct.calcsize("<" + fmt)
        return v[0] if len(v) == 1 else v

    def string(self) -> str:
        n = self.take("Q")
        s = self.d[self.o : self.o + n].decode("utf-8")
        self.o += n
        return s

    def value(self, t: int):
        if t == G.T_STRING:
            return self.string()
        if t == G.T_ARRAY:
            et, n = self.take("I"), self.take("Q")
            return [self.value(et) for _ in range(n)]
        fmt = {G.T_UINT8: "B", G.T_INT8: "b", G.T_UINT16: "H", G.T_INT16: "h", G.T_UINT32: "I", G.T_INT32: "i",
               G.T_FLOAT32: "f", G.T_BOOL: "?", G.T_UINT64: "Q", G.T_INT64: "q", G.T_FLOAT64: "d"}[t]
        return self.take(fmt)


def read_gguf(path: str) -> tuple[dict, dict[str, np.ndarray]]:
    """(metadata, tensors) of a GGUF file; tensors are float32 numpy arrays in row-major shape."""
    b = _Buf(open(path, "rb").read())
    assert b.d[:4] == b"GGUF", "not a GGUF file"
    b.o = 4
    version, n_t, n_kv = b.take("I"), b.take("Q"), b.take("Q")
    assert version == 3, version
    meta = {}
    for _ in range(n_kv):
        k = b.string()
        meta[k] = b.value(b.take("I"))
    infos = []
    for _ in range(n_t):
        name = b.string()
        nd = b.take("I")
        dims = [b.take("Q") for _ in range(nd)]
        infos.append((name, dims, b.take("I"), b.take("Q")))
    align = meta.get("general.alignment", G.ALIGN)
    start = b.o + (-b.o % align)
    tensors = {}
    for name, dims, t, off in infos:
        shape = tuple(reversed(dims))
        n = int(np.prod(shape))
        if t == G.GGML_F32:
            tensors[name] = np.frombuffer(b.d, dtype="<f4", count=n, offset=start + off).reshape(shape).copy()
        elif t == G.GGML_Q8_0:
            raw = b.d[start + off : start + off + n // G.QK8_0 * 34]
            tensors[name] = G.dequantize_q8_0(raw, shape)
        else:
            raise ValueError(f"{name}: unsupported type {t}")
    return meta, tensors


def load_gguf_model(path: str):
    """The PyTorch Llama holding the (dequantized) weights of a GGUF written by export_gguf.py."""
    import torch

    from export_gguf import tensor_map
    from model import Config, Llama

    meta, tensors = read_gguf(path)
    cfg = Config(
        vocab_size=meta["llama.vocab_size"],
        dim=meta["llama.embedding_length"],
        n_layers=meta["llama.block_count"],
        n_heads=meta["llama.attention.head_count"],
        ffn_dim=meta["llama.feed_forward_length"],
        max_seq=meta["llama.context_length"],
        norm_eps=meta["llama.attention.layer_norm_rms_epsilon"],
        rope_base=meta["llama.rope.freq_base"],
    )
    model = Llama(cfg)
    sd = {k: torch.from_numpy(tensors[g]) for k, (g, _) in tensor_map(cfg.n_layers).items()}
    model.load_state_dict(sd)
    return model.eval()
