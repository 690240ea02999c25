"""Write the verifier fixture for task.test.ts: model outputs (from evaluate.py --dump) plus
hand-made edge cases, each with the Python verifier's verdict and extracted answer.

Usage: /usr/bin/python3 tools/trainer/make_fixture.py --dump /tmp/samples.jsonl [--n 150]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from task import extract_answer, verify  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "verifier-cases.jsonl")

EDGE = [
    ("347*86=", "A:347*80=27760,347*6=2082,27760+2082=29842#29842"),
    ("347*86=", "B:86*300=25800,86*40=3440,86*7=602,25800+3440=29240,29240+602=29842#29842"),
    ("347*86=", "B:86*300=25800,86*40=3440,86*7=602,25800+3440=29240,29240+602=29842#029842"),
    ("347*86=", "A:347*80=27760,347*6=2082,27760+2082=29852#29852"),
    ("347*86=", "A:347*80=27760,347*6=2082,27760+2082=29842#29843"),
    ("347*86=", "B:347*80=27760,347*6=2082,27760+2082=29842#29842"),
    ("347*86=", "A:347*86=29842#29842"),
    ("347*86=", "A:347*6=2082,347*80=27760,2082+27760=29842#29842"),
    ("347*86=", "A:347*80=27760,27760+2082=29842,347*6=2082#29842"),
    ("347*86=", "A:347*80=27760,347*6=2082#29842"),
    ("347*86=", "A:347*80=27760,347*6=2082,27760+2082=29842"),
    ("347*86=", "A:347*80=27760,,347*6=2082,27760+2082=29842#29842"),
    ("347*86=", ""),
    ("68*24=", "A:68*20=1360,68*4=272,1360+272=1632#1632"),
    ("68*24=", "B:24*60=1440,24*8=192,1440+192=1632#1632"),
    ("68*24=", "B:24*60=1440,24*8=192,1440+192=1632#1632  "),
    ("68*24=", "B:24*60=1440,24*8=192,1440+192=1632#"),
    ("68*24=", "B:24*60=1440,24*8=192,1440+192=1633#1633"),
    ("68*24=", "B:24*60=1440,24*8=192,1440+193=1633#1633"),
    ("60*40=", "A:60*40=2400#2400"),
    ("60*40=", "B:40*60=2400#2400"),
    ("60*40=", "B:40*60=2400,40*0=0,2400+0=2400#2400"),
    ("12*30=", "B:30*10=300,30*2=60,300+60=360#360"),
    ("not a prompt", "A:1*1=1#1"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--n", type=int, default=150)
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.dump)]
    rng = random.Random(5)
    ok = [r for r in rows if r["ok"]]
    bad = [r for r in rows if not r["ok"]]
    pick = rng.sample(ok, min(len(ok), a.n // 2)) + rng.sample(bad, min(len(bad), a.n - a.n // 2))
    cases = [(r["prompt"], r["text"]) for r in pick] + EDGE
    with open(OUT, "w") as f:
        for prompt, text in cases:
            v, reason = verify(prompt, text)
            f.write(json.dumps({"prompt": prompt, "text": text, "ok": v, "reason": reason,
                                "answer": extract_answer(text)}) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
