"""Choose adaptive self-consistency's stopping rule on the `dev` set, never on `eval`.

Adaptive-Consistency (Aggarwal et al. 2023, "Let's Sample Step by Step: Adaptive-Consistency for
Efficient Reasoning and Coding with LLMs") samples in batches and stops once a stopping criterion
says the majority is settled. This script draws a large pool of samples per dev problem from the
bundled model, then simulates every candidate rule on many random orderings of each pool, exactly
as Ruminate's `asc` strategy runs it (packages/controller/src/strategies/adaptive-sc.ts): batches
of `batch`, `2·batch`, `4·batch`, … capped at 16 samples in all, the rule checked after each batch,
majority vote (ties to the answer seen first) over the samples drawn.

Selection criterion, fixed before looking at any result: among the rules whose expected dev
accuracy is at most MAX_DROP below sc@16's on the same orderings and whose expected tokens are at
most TOKEN_CAP of sc@16's, take the one with the fewest tokens. (The issue's target is "sc@16's
accuracy within its 95% interval with <= 50% of its tokens"; the margins leave room for the
eval set's sampling noise.)

The dev set (tools/trainer/sets.py: 200 problems, seed 777, disjoint from eval; train.py never
trains on either) is the only held-out data that the model has not seen besides eval: with
2-digit factors there are only 8100 problems and training draws from all the others, so a fresh
dev set from another seed would mostly contain training problems.

Usage: /usr/bin/python3 tools/trainer/select_asc_rule.py --model models/mul-q8_0.gguf \
         --json docs/eval/asc-rule-dev.json --md docs/eval/asc-rule-dev.md
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import generate, load, vote, wilson  # noqa: E402
from sets import held_out  # noqa: E402
from task import extract_answer, make_prompt  # noqa: E402

#: sc@16 is the reference; asc draws at most this many samples.
MAX_SAMPLES = 16
#: Largest accepted expected accuracy loss against sc@16 on dev (absolute).
MAX_DROP = 0.01
#: Largest accepted expected token fraction of sc@16 on dev.
TOKEN_CAP = 0.45

BETA_LEVELS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99]
SHARE_LEVELS = [0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0]
FIRST_BATCHES = [1, 2, 3, 4]
#: How later batches grow, as the strategy's ``growth`` and ``step`` parameters: ``double`` (each
#: batch twice the last: totals b, 3b, 7b, …), ``total`` (each batch as large as all drawn so far:
#: totals b, 2b, 4b, …), ``step`` (``step`` samples per later batch: b, b + step, …).
GROWTHS = [("double", 0), ("total", 0), ("step", 1), ("step", 2)]


def checkpoints(batch: int, growth: str = "double", step: int = 1, total: int = MAX_SAMPLES) -> list[int]:
    """Cumulative sample counts after each batch, capped at and ending with ``total``."""
    out, drawn, size = [], 0, batch
    while drawn < total:
        drawn += min(size, total - drawn)
        out.append(drawn)
        size = {"double": size * 2, "total": drawn, "step": step}[growth]
    return out


def beta_probability(v1: int, v2: int) -> float:
    """1 − I_{1/2}(v1 + 1, v2 + 1): P(leader's share > 1/2) under a uniform prior."""
    a, b = v1 + 1, v2 + 1
    n = a + b - 1
    return 1 - sum(math.comb(n, j) for j in range(a, n + 1)) / 2**n


def prefix_stats(answers: list[str | None], tokens: list[int], ref: str, order: list[int]):
    """Per prefix length m = 1..16 of ``order``: top two counts, whether the vote is right, tokens."""
    v1 = np.zeros(MAX_SAMPLES + 1, dtype=np.int64)
    v2 = np.zeros(MAX_SAMPLES + 1, dtype=np.int64)
    right = np.zeros(MAX_SAMPLES + 1, dtype=bool)
    toks = np.zeros(MAX_SAMPLES + 1, dtype=np.int64)
    counts: dict[str, int] = {}
    for m in range(1, MAX_SAMPLES + 1):
        i = order[m - 1]
        a = answers[i]
        if a is not None:
            counts[a] = counts.get(a, 0) + 1
        top = sorted(counts.values(), reverse=True) + [0, 0]
        v1[m], v2[m] = top[0], top[1]
        right[m] = vote([answers[j] for j in order[:m]]) == ref
        toks[m] = toks[m - 1] + tokens[i]
    return v1, v2, right, toks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/mul-q8_0.gguf")
    ap.add_argument("--samples", type=int, default=64, help="pool size per dev problem")
    ap.add_argument("--orderings", type=int, default=100, help="random orderings per problem")
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pool", default=".cache/asc-dev-pool.json", help="cache of the sampled pool")
    ap.add_argument("--json")
    ap.add_argument("--md")
    args = ap.parse_args()
    torch.set_num_threads(1)
    probs = held_out("dev")
    prompts = [make_prompt(p) for p in probs]
    refs = [str(p.answer) for p in probs]
    n = args.samples
    key = {"model": args.model, "samples": n, "temperature": args.temperature, "seed": args.seed}
    pool = None
    if os.path.exists(args.pool):
        with open(args.pool) as f:
            cached = json.load(f)
        if cached["key"] == key:
            pool = cached["pool"]
    if pool is None:
        t0 = time.time()
        model = load(args.model)
        flat = generate(model, [p for p in prompts for _ in range(n)], args.temperature, args.seed)
        pool = [flat[i * n : (i + 1) * n] for i in range(len(probs))]
        print(f"sampled {len(probs)}×{n} in {time.time() - t0:.0f} s", file=sys.stderr)
        os.makedirs(os.path.dirname(args.pool) or ".", exist_ok=True)
        with open(args.pool, "w") as f:
            json.dump({"key": key, "pool": pool}, f)

    rng = random.Random(args.seed)
    P, R = len(probs), args.orderings
    V1 = np.zeros((P, R, MAX_SAMPLES + 1), dtype=np.int64)
    V2 = np.zeros_like(V1)
    RIGHT = np.zeros((P, R, MAX_SAMPLES + 1), dtype=bool)
    TOK = np.zeros_like(V1)
    pass1 = 0.0
    for p in range(P):
        answers = [extract_answer(t) for t, _ in pool[p]]
        tokens = [k for _, k in pool[p]]
        pass1 += sum(a == refs[p] for a in answers) / n
        for r in range(R):
            order = rng.sample(range(n), MAX_SAMPLES)
            V1[p, r], V2[p, r], RIGHT[p, r], TOK[p, r] = prefix_stats(answers, tokens, refs[p], order)
    m_idx = np.arange(MAX_SAMPLES + 1)
    beta_table = np.array(
        [[beta_probability(a, b) if b <= a else 0.0 for b in range(MAX_SAMPLES + 1)] for a in range(MAX_SAMPLES + 1)]
    )
    sc16_acc = float(RIGHT[:, :, MAX_SAMPLES].mean())
    sc16_tok = float(TOK[:, :, MAX_SAMPLES].mean())

    rows = []
    for rule, levels in (("beta", BETA_LEVELS), ("share", SHARE_LEVELS)):
        for level in levels:
            if rule == "beta":
                decided = (beta_table[V1, V2] >= level) & (V1 > 0)
            else:
                decided = (V1 / np.maximum(m_idx, 1) >= level) & (V1 > 0)
            for (growth, step), batch in itertools.product(GROWTHS, FIRST_BATCHES):
                stop = np.full((P, R), MAX_SAMPLES)
                settled = np.zeros((P, R), dtype=bool)
                for c in checkpoints(batch, growth, step):
                    now = ~settled & (decided[:, :, c] | (c == MAX_SAMPLES))
                    stop[now] = c
                    settled |= now
                acc_pr = np.take_along_axis(RIGHT, stop[:, :, None], 2)[:, :, 0]
                tok_pr = np.take_along_axis(TOK, stop[:, :, None], 2)[:, :, 0]
                rows.append(
                    {
                        "rule": rule,
                        "level": level,
                        "batch": batch,
                        "growth": growth,
                        **({"step": step} if growth == "step" else {}),
                        "checkpoints": checkpoints(batch, growth, step),
                        "accuracy": round(float(acc_pr.mean()), 4),
                        "accuracy_drop_vs_sc16": round(sc16_acc - float(acc_pr.mean()), 4),
                        "mean_samples": round(float(stop.mean()), 2),
                        "mean_tokens": round(float(tok_pr.mean()), 1),
                        "token_fraction_of_sc16": round(float(tok_pr.mean()) / sc16_tok, 3),
                    }
                )
    ok = [r for r in rows if r["accuracy_drop_vs_sc16"] <= MAX_DROP and r["token_fraction_of_sc16"] <= TOKEN_CAP]
    chosen = min(ok, key=lambda r: (r["mean_tokens"], -r["accuracy"])) if ok else None
    res = {
        "task": "mul",
        "set": "dev",
        "problems": P,
        "pool_per_problem": n,
        "orderings_per_problem": R,
        "temperature": args.temperature,
        "model": args.model,
        "criterion": f"fewest tokens among rules with dev accuracy >= sc@16 - {MAX_DROP} and tokens <= {TOKEN_CAP} x sc@16",
        "pass@1": round(pass1 / P, 4),
        "sc@16": {"accuracy": round(sc16_acc, 4), "ci95": wilson(sc16_acc * P, P), "mean_tokens": round(sc16_tok, 1)},
        "chosen": chosen,
        "rules": sorted(rows, key=lambda r: r["mean_tokens"]),
    }
    print(json.dumps({k: v for k, v in res.items() if k != "rules"}, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    if args.md:
        write_md(res, args.md)


def write_md(res: dict, path: str) -> None:
    """Markdown table of the candidate rules, fewest tokens first."""
    sc = res["sc@16"]
    lines = [
        f"# Adaptive self-consistency: stopping rule chosen on the dev set ({res['problems']} problems)",
        "",
        f"Model `{res['model']}`, {res['pool_per_problem']} samples per dev problem at temperature {res['temperature']}, "
        f"each rule simulated on {res['orderings_per_problem']} random orderings of each pool (16 samples at most, "
        f"batches as Ruminate's `asc` draws them for each `batch` and `growth`). sc@16 on the same orderings: "
        f"{sc['accuracy'] * 100:.1f}% with {sc['mean_tokens']} tokens; sampled pass@1 {res['pass@1'] * 100:.1f}%.",
        "",
        f"Criterion: {res['criterion']}.",
        "",
        "Chosen: "
        + (
            f"`rule: {res['chosen']['rule']}, level: {res['chosen']['level']}, batch: {res['chosen']['batch']}, "
            f"growth: {res['chosen']['growth']}"
            + (f", step: {res['chosen']['step']}" if "step" in res["chosen"] else "")
            + "` — "
            f"{res['chosen']['accuracy'] * 100:.1f}% with {res['chosen']['token_fraction_of_sc16'] * 100:.1f}% of sc@16's tokens."
            if res["chosen"]
            else "none met the criterion."
        ),
        "",
        "| rule | level | batch | growth | checkpoints | accuracy | drop vs sc@16 | samples | tokens | tokens vs sc@16 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["rules"]:
        lines.append(
            f"| {r['rule']} | {r['level']} | {r['batch']} | {r['growth']}{' ' + str(r['step']) if 'step' in r else ''} | {','.join(map(str, r['checkpoints']))} | "
            f"{r['accuracy'] * 100:.1f}% | {r['accuracy_drop_vs_sc16'] * 100:+.1f} | {r['mean_samples']} | "
            f"{r['mean_tokens']} | {r['token_fraction_of_sc16']:.3f} |"
        )
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
