// The `budget` attribute of <ruminate-chat>: a token or latency budget written the way people
// type it ("tokens:400", "400 tokens", "latency:5000", "5000ms", "5s").
import { type Budget, RuminateError } from '@ruminate/controller';

const FORMS: [RegExp, (n: number) => Budget][] = [
  [/^tokens?\s*[:=]\s*(\d+(?:\.\d+)?)$/, (n) => ({ tokens: n })],
  [/^(\d+(?:\.\d+)?)\s*tok(?:en)?s?$/, (n) => ({ tokens: n })],
  [/^(?:latency|time)\s*[:=]\s*(\d+(?:\.\d+)?)\s*(?:ms)?$/, (n) => ({ latencyMs: n })],
  [/^(?:latency|time)\s*[:=]\s*(\d+(?:\.\d+)?)\s*s$/, (n) => ({ latencyMs: n * 1000 })],
  [/^(\d+(?:\.\d+)?)\s*ms$/, (n) => ({ latencyMs: n })],
  [/^(\d+(?:\.\d+)?)\s*s$/, (n) => ({ latencyMs: n * 1000 })],
];

/** Parses a budget attribute; empty or missing means no budget (the strategy's own N). */
export function parseBudget(text: string | null | undefined): Budget | undefined {
  const t = (text ?? '').trim().toLowerCase();
  if (t === '') return undefined;
  for (const [re, make] of FORMS) {
    const m = re.exec(t);
    if (m?.[1] !== undefined) {
      const n = Number(m[1]);
      if (n > 0 && Number.isFinite(n)) {
        const b = make(n);
        if (b.tokens !== undefined) b.tokens = Math.max(1, Math.round(b.tokens));
        if (b.latencyMs !== undefined) b.latencyMs = Math.round(b.latencyMs);
        return b;
      }
    }
  }
  throw new RuminateError(
    'invalid-argument',
    `budget="${text}" is not a budget; write "tokens:400" (total generated tokens) or "latency:5000" / "5s" (wall-clock).`,
    { field: 'budget' },
  );
}

/** The budget in words, for the plan line ("400 tokens", "5.0 s"). */
export function describeBudget(b: Budget | null | undefined): string {
  if (!b) return 'no budget';
  const parts: string[] = [];
  if (b.tokens !== undefined) parts.push(`${b.tokens} tokens`);
  if (b.latencyMs !== undefined) parts.push(`${(b.latencyMs / 1000).toFixed(1)} s`);
  return parts.join(' and ') || 'no budget';
}
