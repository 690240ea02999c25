"""The `mul` task: 3-digit x 2-digit multiplication with short worked steps.

A problem is the prompt ``"347*86="``; a solution names its method and writes every step:

* method A (split the 2-digit factor by place value)::

    A:347*80=27760,347*6=2082,27760+2082=29842#29842

* method B (split the 3-digit factor by place value)::

    B:86*300=25800,86*40=3440,86*7=602,25800+3440=29240,29240+602=29842#29842

Zero digits are skipped (``347*80`` has one partial product and no addition). Training mixes both
methods half and half, so sampled solutions take different paths whose mistakes disagree, which
is what lets voting beat a single greedy answer. The verifier checks the work without the
reference answer: the partial products must split one factor of the problem by place value, every
product and every running sum must be arithmetically right, and the answer after ``#`` must be the
last running sum.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass

#: Token 0 is BOS, token 1 is EOS; every other token is one character.
SPECIALS = ["<s>", "</s>"]
CHARS = "0123456789*+=,#:AB"
VOCAB = SPECIALS + list(CHARS)
BOS_ID, EOS_ID = 0, 1
STOI = {c: i + len(SPECIALS) for i, c in enumerate(CHARS)}
ITOS = {i: c for c, i in STOI.items()}

#: Longest solution: method B with three parts is 73 characters; prompt is 7.
MAX_SOLUTION_CHARS = 80


def encode(text: str) -> list[int]:
    """Character ids of ``text`` (no BOS/EOS)."""
    return [STOI[c] for c in text]


def decode(ids: list[int]) -> str:
    """Text of ``ids``, stopping at EOS and skipping BOS."""
    out = []
    for i in ids:
        if i == EOS_ID:
            break
        if i in ITOS:
            out.append(ITOS[i])
    return "".join(out)


@dataclass(frozen=True)
class Problem:
    """``a * b`` with ``a`` of three digits and ``b`` of two."""

    a: int
    b: int

    @property
    def answer(self) -> int:
        return self.a * self.b


def make_prompt(p: Problem) -> str:
    """The prompt text the model continues (the chat template adds the ``=``)."""
    return f"{p.a}*{p.b}="


def parse_prompt(prompt: str) -> Problem:
    """Inverse of :func:`make_prompt` (accepts a trailing ``=`` or not)."""
    m = re.fullmatch(r"(\d+)\*(\d+)=?", prompt.strip(), re.ASCII)
    if not m:
        raise ValueError(f"not a mul prompt: {json.dumps(prompt)}")
    return Problem(int(m.group(1)), int(m.group(2)))


def place_parts(n: int) -> list[int]:
    """Non-zero place-value parts of ``n``, largest first: 347 -> [300, 40, 7]."""
    s = str(n)
    return [int(d) * 10 ** (len(s) - 1 - i) for i, d in enumerate(s) if d != "0"]


def solution(p: Problem, method: str) -> str:
    """The worked solution of ``p`` with method ``'A'`` (split b) or ``'B'`` (split a)."""
    fixed, split = (p.a, p.b) if method == "A" else (p.b, p.a)
    parts = place_parts(split)
    steps = [f"{fixed}*{x}={fixed * x}" for x in parts]
    acc = fixed * parts[0]
    for x in parts[1:]:
        steps.append(f"{acc}+{fixed * x}={acc + fixed * x}")
        acc += fixed * x
    return f"{method}:" + ",".join(steps) + f"#{acc}"


#: Digits of the first factor (the second always has two).
A_DIGITS = int(os.environ.get("MUL_A_DIGITS", "2"))


def sample_problem(rng: random.Random) -> Problem:
    """A uniformly random problem (a of A_DIGITS digits, b in 10..99)."""
    return Problem(rng.randint(10 ** (A_DIGITS - 1), 10**A_DIGITS - 1), rng.randint(10, 99))


def eval_problems(seed: int, n: int, exclude: set[Problem] | None = None) -> list[Problem]:
    """``n`` distinct problems from ``seed``, none in ``exclude``."""
    rng = random.Random(seed)
    seen: set[Problem] = set(exclude or ())
    out: list[Problem] = []
    while len(out) < n:
        p = sample_problem(rng)
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


_ANSWER = re.compile(r"#(\d+)\s*\Z", re.ASCII)


def extract_answer(text: str) -> str | None:
    """The final answer (digits after the last ``#``, at the end), or None."""
    m = _ANSWER.search(text)
    return m.group(1).lstrip("0") or "0" if m else None


_STEP = re.compile(r"(\d+)([*+])(\d+)=(\d+)", re.ASCII)


def verify(prompt: str, text: str) -> tuple[bool, str]:
    """Check the written work of ``text`` for the problem in ``prompt`` (no reference answer).

    Returns ``(ok, reason)``; ``reason`` names the first failed check or is ``"ok"``.
    """
    try:
        p = parse_prompt(prompt)
    except ValueError as e:
        return False, str(e)
    m = re.fullmatch(r"([AB]):(.*)#(\d+)", text.strip(), re.ASCII)
    if not m:
        return False, "format: expected 'M:steps#answer'"
    steps_txt, answer = m.group(2), int(m.group(3))
    steps = []
    for s in steps_txt.split(","):
        sm = _STEP.fullmatch(s)
        if not sm:
            return False, f"format: bad step {json.dumps(s)}"
        steps.append((int(sm.group(1)), sm.group(2), int(sm.group(3)), int(sm.group(4)), s))
    for x, op, y, z, s in steps:
        if (x * y if op == "*" else x + y) != z:
            return False, f"arithmetic: {s}"
    prods = [st for st in steps if st[1] == "*"]
    sums = [st for st in steps if st[1] == "+"]
    if not prods or steps[: len(prods)] != prods:
        return False, "structure: partial products must come first"
    fixed = prods[0][0]
    if any(st[0] != fixed for st in prods):
        return False, "structure: partial products must share one factor"
    if (m.group(1), fixed) == ("A", p.a):
        split = p.b
    elif (m.group(1), fixed) == ("B", p.b):
        split = p.a
    else:
        return False, "structure: method A multiplies the first factor, B the second"
    if [st[2] for st in prods] != place_parts(split):
        return False, f"structure: parts do not split {split} by place value"
    if len(sums) != len(prods) - 1:
        return False, "structure: wrong number of running sums"
    acc = prods[0][3]
    for (x, _, y, z, s), prod in zip(sums, prods[1:]):
        if x != acc or y != prod[3]:
            return False, f"structure: running sum {s} does not add the previous total and next product"
        acc = z
    if answer != acc:
        return False, "answer: differs from the last total"
    return True, "ok"
