"""The fixed problem sets: `eval` (500 held-out problems, committed) and `dev` (200, for tuning).

Both are drawn from fixed seeds; dev never overlaps eval and training never sees either.
Usage: /usr/bin/python3 tools/trainer/sets.py  (writes models/mul-eval.jsonl)
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from task import Problem, eval_problems, make_prompt  # noqa: E402

EVAL_SEED, EVAL_N = 20261128, 500
DEV_SEED, DEV_N = 777, 200
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EVAL_PATH = os.path.join(ROOT, "models", "mul-eval.jsonl")


def held_out(name: str) -> list[Problem]:
    """The `eval` or `dev` problems."""
    ev = eval_problems(EVAL_SEED, EVAL_N)
    if name == "eval":
        return ev
    if name == "dev":
        return eval_problems(DEV_SEED, DEV_N, exclude=set(ev))
    raise ValueError(name)


def main() -> None:
    with open(EVAL_PATH, "w") as f:
        for i, p in enumerate(held_out("eval")):
            f.write(json.dumps({"id": i, "prompt": make_prompt(p), "answer": str(p.answer)}) + "\n")
    print(f"wrote {EVAL_PATH}")


if __name__ == "__main__":
    main()
