"""Train the `mul` model on freshly generated problems (never the held-out or dev sets).

Usage: /usr/bin/python3 tools/trainer/train.py --out models/run --steps 2400 [--seed 1234]
Logs one line per 50 steps to <out>/train.log and checkpoints to <out>/ckpt.pt every 200 steps.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

# One BLAS thread: on a shared, oversubscribed 2-core machine two threads spin at every
# barrier (measured here: 0.17 CPU-s/step with 1 thread, 2.8 CPU-s/step with 2).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Llama  # noqa: E402
from task import BOS_ID, EOS_ID, VOCAB, encode, make_prompt, sample_problem, solution  # noqa: E402
from sets import held_out  # noqa: E402


def batch(rng: random.Random, n: int, exclude: set) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets [n, T]; targets are -100 on the prompt and padding."""
    seqs, starts = [], []
    while len(seqs) < n:
        p = sample_problem(rng)
        if p in exclude:
            continue
        prompt = [BOS_ID] + encode(make_prompt(p))
        sol = encode(solution(p, rng.choice("AB"))) + [EOS_ID]
        seqs.append(prompt + sol)
        starts.append(len(prompt))
    T = max(len(s) for s in seqs)
    x = torch.full((n, T - 1), EOS_ID, dtype=torch.long)
    y = torch.full((n, T - 1), -100, dtype=torch.long)
    for i, (s, st) in enumerate(zip(seqs, starts)):
        t = torch.tensor(s)
        x[i, : len(s) - 1] = t[:-1]
        y[i, st - 1 : len(s) - 1] = t[st:]
    return x, y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=2400)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--dim", type=int, default=160)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=432)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-minutes", type=float, default=20.0, help="wall-time budget (decay at 80%%)")
    ap.add_argument("--decay-start", type=int, default=0, help="step where LR decay starts (0: by time)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    cfg = Config(vocab_size=len(VOCAB), dim=args.dim, n_layers=args.layers, n_heads=args.heads, ffn_dim=args.ffn)
    model = Llama(cfg)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.98),
    )
    exclude = set(held_out("eval")) | set(held_out("dev"))
    log = open(os.path.join(args.out, "train.log"), "a")
    say = lambda s: (print(s), log.write(s + "\n"), log.flush())  # noqa: E731
    say(f"config {json.dumps(cfg.to_dict())} params {model.n_params()} args {json.dumps(vars(args))}")
    t0 = time.time()
    ema = None
    step = 0
    decay_start = args.decay_start
    while step < args.steps:
        step += 1
        # Warmup-stable-decay: linear warmup, constant, then linear decay to 5% over the last
        # part. Decay starts at --decay-start, or (if 0) once 80% of --max-minutes has passed;
        # the log records the step, so a rerun with --steps/--decay-start replays the schedule.
        if decay_start == 0 and time.time() - t0 > 0.8 * args.max_minutes * 60:
            decay_start = step
            decay_len = max(1, int((step - 1) * 0.25))
            args.steps = min(args.steps, step + decay_len)
            say(f"decay starts at step {decay_start}, ends at step {args.steps}")
        if step <= args.warmup:
            lr = args.lr * step / args.warmup
        elif decay_start and step >= decay_start:
            prog = (step - decay_start) / max(1, args.steps - decay_start)
            lr = args.lr * (1 - 0.95 * min(1.0, prog))
        else:
            lr = args.lr
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch(rng, args.batch, exclude)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        elapsed = time.time() - t0
        if step % 50 == 0:
            say(f"step {step} loss {ema:.4f} lr {lr:.2e} elapsed {elapsed:.0f}s")
        if step % 100 == 0 or step == args.steps:
            torch.save({"cfg": cfg.to_dict(), "model": model.state_dict(), "step": step}, os.path.join(args.out, "ckpt.pt"))
        if elapsed > args.max_minutes * 60 * 1.05:
            say(f"stopping at step {step}: wall time limit")
            break
    torch.save({"cfg": cfg.to_dict(), "model": model.state_dict(), "step": step}, os.path.join(args.out, "ckpt.pt"))
    say(f"done step {step} wall {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
