"""Export a train.py checkpoint to GGUF v3 (llama architecture, Q8_0 matrices, F32 norms).

Usage: /usr/bin/python3 tools/trainer/export_gguf.py --ckpt models/run/ckpt.pt --out models/mul-1m-q8_0.gguf

q/k weights are written as trained: the model already rotates adjacent pairs (llama.cpp's
LLAMA_ROPE_TYPE_NORM), so the Hugging Face -> GGUF permutation of convert_hf_to_gguf.py does not
apply. The tokenizer is `gpt2` (byte-level BPE) with no merges: every vocabulary character is a
printable ASCII byte, which the GPT-2 byte-to-unicode map leaves unchanged, so each character is
exactly one token.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as G  # noqa: E402
from task import BOS_ID, EOS_ID, VOCAB  # noqa: E402

#: The user's message is the problem ("347*86"); the template appends "=" and the model writes the
#: worked solution. BOS is added by the tokenizer (add_bos_token), not by the template.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ message['content'] | trim }}="
    "{% elif message['role'] == 'assistant' %}{{ message['content'] }}{{ eos_token }}"
    "{% endif %}{% endfor %}"
)


def tensor_map(n_layers: int) -> dict[str, tuple[str, bool]]:
    """PyTorch name -> (GGUF name, is_norm)."""
    m = {"tok_emb.weight": ("token_embd.weight", False), "norm.weight": ("output_norm.weight", True),
         "out.weight": ("output.weight", False)}
    per = {"attn_norm.weight": ("attn_norm.weight", True), "wq.weight": ("attn_q.weight", False),
           "wk.weight": ("attn_k.weight", False), "wv.weight": ("attn_v.weight", False),
           "wo.weight": ("attn_output.weight", False), "ffn_norm.weight": ("ffn_norm.weight", True),
           "w_gate.weight": ("ffn_gate.weight", False), "w_up.weight": ("ffn_up.weight", False),
           "w_down.weight": ("ffn_down.weight", False)}
    for i in range(n_layers):
        for k, (g, norm) in per.items():
            m[f"blocks.{i}.{k}"] = (f"blk.{i}.{g}", norm)
    return m


def export(ckpt_path: str, out: str, name: str) -> None:
    ck = torch.load(ckpt_path, map_location="cpu")
    cfg, sd = ck["cfg"], ck["model"]
    w = G.GGUFWriter()
    U32, F32, STR, ARR, BOOL = G.T_UINT32, G.T_FLOAT32, G.T_STRING, G.T_ARRAY, G.T_BOOL
    w.add("general.architecture", STR, "llama")
    w.add("general.name", STR, name)
    w.add("general.alignment", U32, G.ALIGN)
    w.add("general.file_type", U32, 7)  # LLAMA_FTYPE_MOSTLY_Q8_0
    w.add("llama.context_length", U32, cfg["max_seq"])
    w.add("llama.embedding_length", U32, cfg["dim"])
    w.add("llama.block_count", U32, cfg["n_layers"])
    w.add("llama.feed_forward_length", U32, cfg["ffn_dim"])
    w.add("llama.rope.dimension_count", U32, cfg["dim"] // cfg["n_heads"])
    w.add("llama.attention.head_count", U32, cfg["n_heads"])
    w.add("llama.attention.head_count_kv", U32, cfg["n_heads"])
    w.add("llama.attention.layer_norm_rms_epsilon", F32, cfg["norm_eps"])
    w.add("llama.rope.freq_base", F32, cfg["rope_base"])
    w.add("llama.vocab_size", U32, cfg["vocab_size"])
    w.add("tokenizer.ggml.model", STR, "gpt2")
    w.add("tokenizer.ggml.pre", STR, "default")
    w.add("tokenizer.ggml.tokens", ARR, VOCAB, G.T_STRING)
    w.add("tokenizer.ggml.token_type", ARR, [3 if i in (BOS_ID, EOS_ID) else 1 for i in range(len(VOCAB))], G.T_INT32)
    w.add("tokenizer.ggml.merges", ARR, [], G.T_STRING)
    w.add("tokenizer.ggml.bos_token_id", U32, BOS_ID)
    w.add("tokenizer.ggml.eos_token_id", U32, EOS_ID)
    w.add("tokenizer.ggml.padding_token_id", U32, EOS_ID)
    w.add("tokenizer.ggml.add_bos_token", BOOL, True)
    w.add("tokenizer.ggml.add_eos_token", BOOL, False)
    w.add("tokenizer.chat_template", STR, CHAT_TEMPLATE)
    names = tensor_map(cfg["n_layers"])
    assert set(names) == set(sd), set(names) ^ set(sd)
    # Order as llama.cpp's converter does: embeddings, blocks, output norm, output.
    order = ["tok_emb.weight"] + [k for k in sd if k.startswith("blocks.")] + ["norm.weight", "out.weight"]
    for k in order:
        g, norm = names[k]
        t = sd[k].float().numpy().astype(np.float32)
        w.add_tensor(g, t, G.GGML_F32 if norm else G.GGML_Q8_0)
    w.write(out)
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="ruminate-mul")
    a = ap.parse_args()
    export(a.ckpt, a.out, a.name)


if __name__ == "__main__":
    main()
