"""Unit tests for the trainer: task/verifier, RoPE pairing, Q8_0 and the GGUF round trip.

Run: /usr/bin/python3 -m unittest discover -s tools/trainer -p 'test_*.py'
"""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as G  # noqa: E402
from gguf_reader import read_gguf  # noqa: E402
from model import Config, apply_rope, rope_tables  # noqa: E402
from task import Problem, extract_answer, make_prompt, sample_problem, solution, verify  # noqa: E402

SEED = random.SystemRandom().randrange(1 << 30)


class TaskTest(unittest.TestCase):
    def test_generated_solutions_verify(self):
        rng = random.Random(SEED)
        for _ in range(500):
            p = sample_problem(rng)
            for m in "AB":
                s = solution(p, m)
                self.assertEqual(verify(make_prompt(p), s), (True, "ok"), f"seed {SEED}: {p} {s}")
                self.assertEqual(extract_answer(s), str(p.answer))

    def test_any_single_digit_change_is_caught(self):
        rng = random.Random(SEED)
        for _ in range(50):
            p = Problem(rng.randint(100, 999), rng.randint(10, 99))
            s = solution(p, rng.choice("AB"))
            for i, c in enumerate(s):
                if c.isdigit():
                    bad = s[:i] + str((int(c) + rng.randint(1, 9)) % 10) + s[i + 1 :]
                    self.assertFalse(verify(make_prompt(p), bad)[0], f"seed {SEED}: {bad}")

    def test_method_must_match_split(self):
        self.assertFalse(verify("68*24=", "B:68*20=1360,68*4=272,1360+272=1632#1632")[0])
        self.assertEqual(verify("60*40=", "A:60*40=2400#2400"), (True, "ok"))


class RopeTest(unittest.TestCase):
    def test_adjacent_pairs_match_float64_reference(self):
        cfg = Config(vocab_size=4, dim=64, n_heads=2, max_seq=16)
        cos, sin = rope_tables(cfg)
        g = torch.Generator().manual_seed(SEED)
        x = torch.randn(1, 1, 16, 32, generator=g)
        got = apply_rope(x, cos, sin).double()
        ref = x.double().clone()
        for t in range(16):
            for i in range(16):
                th = t * 10000.0 ** (-2 * i / 32)
                a, b = x[0, 0, t, 2 * i].item(), x[0, 0, t, 2 * i + 1].item()
                ref[0, 0, t, 2 * i] = a * math.cos(th) - b * math.sin(th)
                ref[0, 0, t, 2 * i + 1] = a * math.sin(th) + b * math.cos(th)
        # float32 tables and products: a few ulps.
        self.assertLess((got - ref).abs().max().item(), 1e-5, f"seed {SEED}")


class GGUFTest(unittest.TestCase):
    def test_q8_0_error_is_within_half_a_step(self):
        rng = np.random.default_rng(SEED)
        w = rng.standard_normal((7, 96)).astype(np.float32) * rng.uniform(0.01, 3, (7, 1)).astype(np.float32)
        w[3, :32] = 0  # an all-zero block
        back = G.dequantize_q8_0(G.quantize_q8_0(w), w.shape)
        step = np.abs(w.reshape(-1, 32)).max(1) / 127
        # Half a quantisation step, plus the f16 rounding of the scale (2^-11 relative) times 127.
        bound = step * 0.5 + step * 127 * 2.0**-11 + 1e-12
        err = np.abs(back - w).reshape(-1, 32).max(1)
        self.assertTrue((err <= bound).all(), f"seed {SEED}: {err} > {bound}")
        self.assertTrue((back[3, :32] == 0).all())

    def test_round_trip(self):
        rng = np.random.default_rng(SEED)
        w = G.GGUFWriter()
        w.add("general.architecture", G.T_STRING, "llama")
        w.add("llama.block_count", G.T_UINT32, 3)
        w.add("x.f", G.T_FLOAT32, 1e-5)
        w.add("x.b", G.T_BOOL, True)
        w.add("x.tokens", G.T_ARRAY, ["<s>", "a", "#"], G.T_STRING)
        w.add("x.types", G.T_ARRAY, [3, 1, 1], G.T_INT32)
        w.add("x.empty", G.T_ARRAY, [], G.T_STRING)
        norm = rng.standard_normal(33).astype(np.float32)
        mat = rng.standard_normal((5, 64)).astype(np.float32)
        w.add_tensor("n.weight", norm, G.GGML_F32)
        w.add_tensor("m.weight", mat, G.GGML_Q8_0)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.gguf")
            w.write(path)
            raw = open(path, "rb").read()
            meta, tensors = read_gguf(path)
        self.assertEqual(raw[:8], b"GGUF\x03\x00\x00\x00")
        self.assertEqual(meta["llama.block_count"], 3)
        self.assertAlmostEqual(meta["x.f"], 1e-5, places=10)
        self.assertEqual(meta["x.tokens"], ["<s>", "a", "#"])
        self.assertEqual(meta["x.types"], [3, 1, 1])
        self.assertEqual(meta["x.empty"], [])
        np.testing.assert_array_equal(tensors["n.weight"], norm)
        self.assertEqual(tensors["m.weight"].shape, (5, 64))
        self.assertLess(np.abs(tensors["m.weight"] - mat).max(), np.abs(mat).max() / 127)


class AscRuleTest(unittest.TestCase):
    """select_asc_rule.py simulates the same schedules and Beta rule as Ruminate's `asc`
    (packages/controller/test/asc-stopping-rule.test.ts checks the same sequences)."""

    def test_schedules_match_the_strategy(self):
        from select_asc_rule import checkpoints

        self.assertEqual(checkpoints(3, "step", 1), list(range(3, 17)))
        self.assertEqual(checkpoints(3, "step", 2, total=10), [3, 5, 7, 9, 10])
        self.assertEqual(checkpoints(2, "double"), [2, 6, 14, 16])
        self.assertEqual(checkpoints(2, "total"), [2, 4, 8, 16])
        self.assertEqual(checkpoints(20, "total"), [16])

    def test_beta_probability_is_exact(self):
        from select_asc_rule import beta_probability

        # 1 - I_1/2(v1+1, v2+1) = P(Binomial(v1+v2+1, 1/2) <= v1).
        for (v1, v2), p in {(3, 0): 15 / 16, (2, 1): 11 / 16, (3, 2): 42 / 64, (4, 2): 99 / 128, (1, 0): 3 / 4}.items():
            self.assertAlmostEqual(beta_probability(v1, v2), p, places=12)


if __name__ == "__main__":
    unittest.main()
