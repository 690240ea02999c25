"""Evaluate a checkpoint on the `dev` or `eval` set: greedy, sampled pass@1, majority@k, pass@k,
verifier best-of-k and adaptive self-consistency, all from one pool of samples per problem.

Usage: /usr/bin/python3 tools/trainer/evaluate.py --ckpt models/run/ckpt.pt --set dev
       [--samples 16 --temperature 0.8 --json docs/eval/pytorch-mul.json --md docs/eval/pytorch-mul.md]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from collections import Counter

# One BLAS thread: on a shared, oversubscribed 2-core machine two threads spin at every
# barrier (measured here: 0.17 CPU-s/step with 1 thread, 2.8 CPU-s/step with 2).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Llama  # noqa: E402
from sets import held_out  # noqa: E402
from task import BOS_ID, EOS_ID, MAX_SOLUTION_CHARS, decode, encode, extract_answer, make_prompt, verify  # noqa: E402


def load(path: str) -> Llama:
    """The model saved by train.py at ``path``, or the dequantized weights of a ``.gguf``."""
    if path.endswith(".gguf"):
        from gguf_reader import load_gguf_model

        return load_gguf_model(path)
    ck = torch.load(path, map_location="cpu")
    model = Llama(Config(**ck["cfg"]))
    model.load_state_dict(ck["model"])
    return model.eval()


@torch.no_grad()
def generate(model: Llama, prompts: list[str], temperature: float, seed: int, chunk: int = 1000):
    """Completions (text, generated token count incl. EOS) of each prompt; temperature 0 = greedy.

    Prompts must all have the same length (true for this task) so one KV cache serves a chunk.
    """
    gen = torch.Generator().manual_seed(seed)
    out: list[tuple[str, int]] = []
    for c in range(0, len(prompts), chunk):
        ps = prompts[c : c + chunk]
        idx = torch.tensor([[BOS_ID] + encode(p) for p in ps])
        caches = [{} for _ in model.blocks]
        logits = model(idx, caches, 0)[:, -1]
        pos = idx.shape[1]
        toks = torch.zeros(len(ps), 0, dtype=torch.long)
        done = torch.zeros(len(ps), dtype=torch.bool)
        n_gen = torch.zeros(len(ps), dtype=torch.long)
        for _ in range(MAX_SOLUTION_CHARS + 1):
            if temperature == 0:
                nxt = logits.argmax(-1)
            else:
                nxt = torch.multinomial((logits / temperature).softmax(-1), 1, generator=gen)[:, 0]
            nxt = torch.where(done, torch.full_like(nxt, EOS_ID), nxt)
            n_gen += (~done).long()
            toks = torch.cat((toks, nxt[:, None]), 1)
            done |= nxt == EOS_ID
            if bool(done.all()) or pos >= model.cfg.max_seq:
                break
            logits = model(nxt[:, None], caches, pos)[:, -1]
            pos += 1
        out.extend((decode(t.tolist()), int(n)) for t, n in zip(toks, n_gen))
    return out


def wilson(k: float, n: int) -> list[float]:
    """95% Wilson score interval of a proportion k/n."""
    if n == 0:
        return [0.0, 1.0]
    z, p = 1.96, k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(c - h, 4), round(c + h, 4)]


def vote(answers: list[str | None]) -> str | None:
    """Most frequent non-None answer; ties go to the one seen first."""
    c = Counter(a for a in answers if a is not None)
    if not c:
        return None
    best = max(c.values())
    return next(a for a in answers if a is not None and c[a] == best)


def beta_stop(answers: list[str | None], conf: float = 0.95) -> bool:
    """Adaptive-consistency Beta rule: P(p1 > p2 | v1, v2) = 1 - I_0.5(v1+1, v2+1) >= conf."""
    c = sorted(Counter(a for a in answers if a is not None).values(), reverse=True) + [0, 0]
    a, b = c[0] + 1, c[1] + 1
    n = a + b - 1  # I_0.5(a, b) = P(Binomial(a+b-1, 1/2) >= a)
    i_half = sum(math.comb(n, j) for j in range(a, n + 1)) / 2**n
    return 1 - i_half >= conf


def share_stop(answers: list[str | None], share: float = 0.75) -> bool:
    """its_hub-style rule: the leading answer holds at least ``share`` of the samples so far."""
    c = Counter(a for a in answers if a is not None)
    return bool(c) and max(c.values()) / len(answers) >= share


def majority_at(answers: list[str | None], ref: str, k: int) -> float:
    """Expected majority@k accuracy over all k-subsets of the pool (ties: first in pool order)."""
    combos = list(itertools.combinations(range(len(answers)), k))
    return sum(vote([answers[i] for i in s]) == ref for s in combos) / len(combos)


def pass_at(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from c correct of n samples (Chen et al. 2021, HumanEval)."""
    return 1.0 if n - c < k else 1 - math.comb(n - c, k) / math.comb(n, k)


def best_of(answers, oks, idxs) -> str | None:
    """Verifier best-of: vote among verified samples, else among all."""
    good = [answers[i] for i in idxs if oks[i]]
    return vote(good) if good else vote([answers[i] for i in idxs])


def write_md(res: dict, path: str) -> None:
    """The markdown table of an evaluation result (as written to --json)."""
    P, n = res["problems"], res["samples"]
    rows = [
        f"# PyTorch evaluation: task `mul`, {res['set']} set ({P} problems)",
        "",
        f"Checkpoint `{res['checkpoint']}` ({res['params']} parameters), {n} samples per problem at temperature "
        f"{res['temperature']}; 95% Wilson intervals. sc@k: majority vote (exact mean over "
        "k-subsets of the pool); pass@k: unbiased estimator; bon@k: vote among verifier-approved samples "
        "(all samples if none); asc: Beta rule (0.95) in batches 2, 4, 8, 16; asc_step1: the same rule "
        "after every sample; asc_share75: stop when the leading answer has >= 75% of the samples "
        "(batches 2, 4, 8, 16); asc_chosen: Ruminate's default, chosen on the dev set "
        "(tools/trainer/select_asc_rule.py, docs/eval/asc-rule-dev.md): Beta rule at 0.7 after 3, 4, 5, ... samples. "
        f"Verifier precision (approved samples that are correct): "
        f"{res['verifier_precision']}.",
        "",
        "| strategy | accuracy | 95% CI | mean generated tokens / problem | tokens vs sc@16 |",
        "|---|---|---|---|---|",
    ]
    for k, v in res["strategies"].items():
        tok = "" if v["mean_tokens"] is None else f"{v['mean_tokens']}"
        frac = v.get("token_fraction_of_sc16", "")
        rows.append(
            f"| {k} | {v['accuracy'] * 100:.1f}% | {v['ci95'][0] * 100:.1f}–{v['ci95'][1] * 100:.1f} | {tok} | {frac} |"
        )
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--set", default="dev", choices=["dev", "eval"])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    ap.add_argument("--md")
    ap.add_argument("--greedy-dump", help="write greedy solutions (prompt, text) as JSONL")
    ap.add_argument("--greedy-only", action="store_true")
    ap.add_argument("--dump", help="write every sample (prompt, text, answer, verdict) as JSONL")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load(args.ckpt)
    probs = held_out(args.set)
    if args.limit:
        probs = probs[: args.limit]
    prompts = [make_prompt(p) for p in probs]
    refs = [str(p.answer) for p in probs]
    t0 = time.time()
    greedy = generate(model, prompts, 0.0, args.seed)
    t_greedy = time.time() - t0
    if args.greedy_dump:
        with open(args.greedy_dump, "w") as f:
            for p, (t, _) in zip(prompts, greedy):
                f.write(json.dumps({"prompt": p, "text": t}) + "\n")
    g_acc = sum(extract_answer(t) == r for (t, _), r in zip(greedy, refs))
    print(f"greedy {g_acc}/{len(refs)} in {t_greedy:.1f}s", file=sys.stderr)
    if args.greedy_only:
        return
    n = args.samples
    pool = generate(model, [p for p in prompts for _ in range(n)], args.temperature, args.seed)
    t_pool = time.time() - t0 - t_greedy
    P = len(probs)
    acc = Counter()
    tokens = Counter()
    first_method = Counter()
    verified_correct = verified = 0
    dump = open(args.dump, "w") if args.dump else None
    for i in range(P):
        ref = refs[i]
        g_text, g_tok = greedy[i]
        samp = pool[i * n : (i + 1) * n]
        texts = [t for t, _ in samp]
        toks = [k for _, k in samp]
        ans = [extract_answer(t) for t in texts]
        oks = [verify(prompts[i], t)[0] for t in texts]
        correct = [a == ref for a in ans]
        verified += sum(oks)
        verified_correct += sum(o and c for o, c in zip(oks, correct))
        first_method.update(t[:1] for t in texts)
        acc["greedy"] += extract_answer(g_text) == ref
        tokens["greedy"] += g_tok
        acc["greedy_verified"] += verify(prompts[i], g_text)[0]
        acc["pass@1"] += sum(correct) / n
        tokens["pass@1"] += sum(toks) / n
        for k in (4, 16):
            if k <= n:
                acc[f"sc@{k}"] += majority_at(ans, ref, k) if k < n else vote(ans) == ref
                tokens[f"sc@{k}"] += sum(toks) * k / n
                acc[f"pass@{k}"] += pass_at(n, sum(correct), k)
        acc[f"bon@{n}"] += best_of(ans, oks, range(n)) == ref
        tokens[f"bon@{n}"] += sum(toks)
        acc[f"verified_any@{n}"] += any(oks)
        # Adaptive SC, batches of 2, 4, 8, ... (cumulative 2, 4, 8, 16) and one sample at a time.
        # asc_share75: batches 2, 4, 8, 16 with the leading-share >= 0.75 rule instead.
        for name, sizes, rule in (
            ("asc", [2, 4, 8, 16], beta_stop),
            ("asc_step1", list(range(2, n + 1)), beta_stop),
            ("asc_share75", [2, 4, 8, 16], share_stop),
            # Ruminate's default, chosen on the dev set by select_asc_rule.py: Beta rule at 0.7,
            # checked after 3 samples and then after every sample.
            ("asc_chosen", list(range(3, n + 1)), lambda a: beta_stop(a, 0.7)),
        ):
            for m in sizes:
                if m >= n or rule(ans[:m]):
                    break
            m = min(m, n)
            acc[name] += vote(ans[:m]) == ref
            tokens[name] += sum(toks[:m])
            tokens[name + "_samples"] += m
        if dump:
            for t, a, o in zip(texts, ans, oks):
                dump.write(json.dumps({"prompt": prompts[i], "text": t, "answer": a, "ok": o, "correct": a == ref}) + "\n")
    res = {
        "task": "mul",
        "set": args.set,
        "problems": P,
        "samples": n,
        "temperature": args.temperature,
        "checkpoint": args.ckpt,
        "params": model.n_params(),
        "strategies": {},
        "verifier_precision": round(verified_correct / max(1, verified), 4),
        "sample_method_share": {k: round(v / (P * n), 3) for k, v in first_method.items()},
        "greedy_method_share": dict(Counter(t[:1] for t, _ in greedy)),
        "gen_seconds": {"greedy": round(t_greedy, 1), "pool": round(t_pool, 1)},
    }
    for k in acc:
        res["strategies"][k] = {
            "accuracy": round(acc[k] / P, 4),
            "ci95": wilson(acc[k], P),
            "mean_tokens": round(tokens[k] / P, 1) if k in tokens else None,
        }
    for name in ("asc", "asc_step1", "asc_share75", "asc_chosen"):
        res["strategies"][name]["mean_samples"] = round(tokens[name + "_samples"] / P, 2)
        res["strategies"][name]["token_fraction_of_sc16"] = round(tokens[name] / tokens["sc@16"], 3)
    print(json.dumps(res, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    if args.md:
        write_md(res, args.md)

if __name__ == "__main__":
    main()
