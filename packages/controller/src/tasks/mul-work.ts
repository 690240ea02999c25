/**
 * The `mul` task's work checker (multiplication with worked steps): prompt, answer extraction
 * and the verifier. Mirrors tools/trainer/task.py; tools/trainer/task.test.ts checks the two
 * agree on a fixture of real model outputs.
 *
 * Solution format (method A splits the second factor by place value, B the first):
 *   A:347*80=27760,347*6=2082,27760+2082=29842#29842
 *   B:86*300=25800,86*40=3440,86*7=602,25800+3440=29240,29240+602=29842#29842
 */

/** A problem `a * b`. */
export interface MulProblem {
  a: number;
  b: number;
}

/** The verifier's verdict: `reason` names the first failed check, or is `'ok'`. */
export interface Verdict {
  ok: boolean;
  reason: string;
}

/** The text the model continues after BOS (the chat template renders user `"a*b"` to this). */
export function makePrompt(problem: MulProblem): string {
  return `${problem.a}*${problem.b}=`;
}

/** Inverse of {@link makePrompt}; accepts the prompt with or without its trailing `=`. */
export function parsePrompt(prompt: string): MulProblem | null {
  const m = /^(\d+)\*(\d+)=?$/.exec(prompt.trim());
  return m ? { a: Number(m[1]), b: Number(m[2]) } : null;
}

/** The final answer (digits after a trailing `#`, leading zeros dropped), or null. */
export function extractAnswer(text: string): string | null {
  const m = /#(\d+)\s*$/.exec(text);
  if (!m) return null;
  return m[1]!.replace(/^0+/, '') || '0';
}

/** Non-zero place-value parts of n, largest first: 347 → [300, 40, 7]. */
export function placeParts(n: number): number[] {
  const s = String(n);
  const parts: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const d = Number(s[i]);
    if (d !== 0) parts.push(d * 10 ** (s.length - 1 - i));
  }
  return parts;
}

interface Step {
  x: bigint;
  op: '*' | '+';
  y: bigint;
  z: bigint;
  text: string;
}

const STEP = /^(\d+)([*+])(\d+)=(\d+)$/;

/**
 * Checks the written work for the problem in `prompt` without the reference answer: the partial
 * products split one factor by place value (A: the second, B: the first), every product and
 * running sum is right, and the answer after `#` is the last running sum.
 */
export function verify(prompt: string, text: string): Verdict {
  const p = parsePrompt(prompt);
  if (!p) return { ok: false, reason: `not a mul prompt: ${JSON.stringify(prompt)}` };
  const m = /^([AB]):(.*)#(\d+)$/.exec(text.trim());
  if (!m) return { ok: false, reason: "format: expected 'M:steps#answer'" };
  const method = m[1]!;
  const answer = BigInt(m[3]!);
  const steps: Step[] = [];
  for (const s of m[2]!.split(',')) {
    const sm = STEP.exec(s);
    if (!sm) return { ok: false, reason: `format: bad step ${JSON.stringify(s)}` };
    steps.push({ x: BigInt(sm[1]!), op: sm[2] as '*' | '+', y: BigInt(sm[3]!), z: BigInt(sm[4]!), text: s });
  }
  for (const st of steps) {
    if ((st.op === '*' ? st.x * st.y : st.x + st.y) !== st.z)
      return { ok: false, reason: `arithmetic: ${st.text}` };
  }
  const prods = steps.filter((st) => st.op === '*');
  const sums = steps.filter((st) => st.op === '+');
  if (prods.length === 0 || steps.slice(0, prods.length).some((st) => st.op !== '*')) {
    return { ok: false, reason: 'structure: partial products must come first' };
  }
  const fixed = prods[0]!.x;
  if (prods.some((st) => st.x !== fixed)) {
    return { ok: false, reason: 'structure: partial products must share one factor' };
  }
  let split: number;
  if (method === 'A' && fixed === BigInt(p.a)) split = p.b;
  else if (method === 'B' && fixed === BigInt(p.b)) split = p.a;
  else return { ok: false, reason: 'structure: method A multiplies the first factor, B the second' };
  const parts = placeParts(split);
  if (parts.length !== prods.length || parts.some((v, i) => BigInt(v) !== prods[i]!.y)) {
    return { ok: false, reason: `structure: parts do not split ${split} by place value` };
  }
  if (sums.length !== prods.length - 1)
    return { ok: false, reason: 'structure: wrong number of running sums' };
  let acc = prods[0]!.z;
  for (let i = 0; i < sums.length; i++) {
    const s = sums[i]!;
    if (s.x !== acc || s.y !== prods[i + 1]!.z) {
      return {
        ok: false,
        reason: `structure: running sum ${s.text} does not add the previous total and next product`,
      };
    }
    acc = s.z;
  }
  if (answer !== acc) return { ok: false, reason: 'answer: differs from the last total' };
  return { ok: true, reason: 'ok' };
}
