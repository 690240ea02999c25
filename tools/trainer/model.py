"""A small Llama-architecture decoder (RMSNorm, RoPE, SwiGLU, no biases) in PyTorch.

RoPE rotates adjacent pairs (x[2i], x[2i+1]) by pos * base^(-2i/head_dim): the pairing of
llama.cpp's LLAMA_ROPE_TYPE_NORM, which GGUF llama files use. So q/k weights are written to GGUF
as trained, without the permutation llama.cpp's convert_hf_to_gguf.py applies to Hugging Face
checkpoints (whose rotary embedding rotates halves instead).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Config:
    """Model hyper-parameters (also written to the GGUF metadata)."""

    vocab_size: int
    dim: int = 160
    n_layers: int = 4
    n_heads: int = 4
    ffn_dim: int = 432
    max_seq: int = 96
    norm_eps: float = 1e-5
    rope_base: float = 10000.0

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg: Config) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin of shape [max_seq, head_dim/2] for adjacent-pair RoPE."""
    hd = cfg.dim // cfg.n_heads
    inv = cfg.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    ang = torch.arange(cfg.max_seq, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: [B, H, T, hd]; rotate (x[2i], x[2i+1]) pairs."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        d, f = cfg.dim, cfg.ffn_dim
        self.n_heads = cfg.n_heads
        self.attn_norm = RMSNorm(d, cfg.norm_eps)
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.norm_eps)
        self.w_gate = nn.Linear(d, f, bias=False)
        self.w_up = nn.Linear(d, f, bias=False)
        self.w_down = nn.Linear(f, d, bias=False)

    def forward(self, x, cos, sin, cache=None):
        B, T, D = x.shape
        H = self.n_heads
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, H, -1).transpose(1, 2)
        k = self.wk(h).view(B, T, H, -1).transpose(1, 2)
        v = self.wv(h).view(B, T, H, -1).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            if "k" in cache:
                k = torch.cat((cache["k"], k), dim=2)
                v = torch.cat((cache["v"], v), dim=2)
            cache["k"], cache["v"] = k, v
        S = k.shape[2]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        # Causal mask: query t (absolute position S - T + t) sees keys 0..S-T+t.
        mask = torch.ones(T, S, dtype=torch.bool).tril(diagonal=S - T)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.wo(o)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Llama(nn.Module):
    """Decoder-only Llama with untied input and output embeddings."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.out = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        cos, sin = rope_tables(cfg)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        for n, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * cfg.n_layers) if n.endswith(("wo.weight", "w_down.weight")) else 0.02
                nn.init.normal_(p, std=std)

    def forward(self, idx: torch.Tensor, caches: list[dict] | None = None, pos: int = 0) -> torch.Tensor:
        """Logits [B, T, V] for tokens idx [B, T] starting at position ``pos``."""
        T = idx.shape[1]
        cos, sin = self.cos[pos : pos + T], self.sin[pos : pos + T]
        x = self.tok_emb(idx)
        for i, blk in enumerate(self.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[i])
        return self.out(self.norm(x))

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
