// Answer extraction and normalisation for voting and exact match. Reasoning blocks such as
// <think>…</think> are skipped first (an unclosed <think> hides everything after it).
// Extractors follow the conventions of the math-reasoning evaluations: the last \boxed{…},
// an "answer is …" phrase, the last number.

/** How to find the answer in a candidate's text. */
export type AnswerMode = 'auto' | 'boxed' | 'last-number' | 'regex' | 'full' | 'json';

/** Options of `extractAnswer`. */
export interface AnswerOptions {
  /** Which extractor: `auto` tries boxed, then "answer is", then the last number, then the last line; `json` the parsed JSON value (canonical). */
  mode?: AnswerMode;
  /** For `regex`: the answer is capture group 1 (or the whole match) of the last match. */
  pattern?: RegExp | string;
  /** Reasoning-block tags to skip (default think, thinking, reasoning). */
  thinkTags?: readonly string[];
}

const DEFAULT_THINK_TAGS = ['think', 'thinking', 'reasoning'];

/** Removes reasoning blocks; an opened but unclosed block removes the rest of the text. */
export function stripThinking(text: string, tags: readonly string[] = DEFAULT_THINK_TAGS): string {
  let out = text;
  for (const tag of tags) {
    const closed = new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`, 'g');
    out = out.replace(closed, '');
    const open = out.indexOf(`<${tag}>`);
    if (open >= 0) out = out.slice(0, open);
    // A block whose opening tag was in the prompt (e.g. a template that starts the assistant turn with <think>).
    const close = out.indexOf(`</${tag}>`);
    if (close >= 0) out = out.slice(close + tag.length + 3);
  }
  return out;
}

/** The content of the last `\boxed{…}` (nested braces allowed), or null. */
export function lastBoxed(text: string): string | null {
  const at = Math.max(text.lastIndexOf('\\boxed{'), text.lastIndexOf('\\fbox{'));
  if (at < 0) return null;
  const open = text.indexOf('{', at);
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  return null;
}

const NUMBER = /-?\d[\d,]*(?:\.\d+)?(?:\/\d+)?|-?\.\d+/g;

/** The last number in the text (thousands separators allowed), or null. */
export function lastNumber(text: string): string | null {
  const all = text.match(NUMBER);
  return all && all.length > 0 ? (all[all.length - 1] as string) : null;
}

/** Finds the answer in `text` (reasoning blocks skipped) and normalises it; null when none is found. */
export function extractAnswer(text: string, opts: AnswerOptions = {}): string | null {
  const body = stripThinking(text, opts.thinkTags);
  const mode = opts.mode ?? 'auto';
  if (mode === 'json') return canonicalJson(body);
  let raw: string | null = null;
  if (mode === 'boxed') raw = lastBoxed(body);
  else if (mode === 'last-number') raw = lastNumber(body);
  else if (mode === 'full') raw = body;
  else if (mode === 'regex') {
    const re = new RegExp(opts.pattern ?? '(.*)', 'g');
    let last: RegExpExecArray | null = null;
    for (let m = re.exec(body); m !== null; m = re.exec(body)) {
      last = m;
      if (m[0].length === 0) re.lastIndex++;
    }
    raw = last ? (last[1] ?? last[0]) : null;
  } else {
    raw = lastBoxed(body);
    if (raw === null) {
      const phrase = /answer(?: is|:)\s*\$?([^\n$]+)/gi;
      let m: RegExpExecArray | null = null;
      for (let x = phrase.exec(body); x !== null; x = phrase.exec(body)) m = x;
      if (m?.[1]) raw = lastNumber(m[1]) ?? m[1];
    }
    raw ??= lastNumber(body);
    if (raw === null) {
      const lines = body.split('\n').filter((l) => l.trim().length > 0);
      raw = lines.length > 0 ? (lines[lines.length - 1] as string) : null;
    }
  }
  if (raw === null) return null;
  const norm = normalizeAnswer(raw);
  return norm.length > 0 ? norm : null;
}

/**
 * Canonical form for comparing answers: trimmed, lower-cased, TeX wrappers (\text{}, \mathrm{},
 * $…$, \left/\right) and trailing punctuation removed, whitespace collapsed, numbers without
 * thousands separators or trailing zeros ("1,000.50" → "1000.5").
 */
export function normalizeAnswer(answer: string): string {
  let s = answer.trim().replace(/[.。;,!\s]+$/, '');
  s = s.replace(/^\$+|\$+$/g, '');
  s = s.replace(/\\(?:text|textbf|mathrm|mathbf)\{([^{}]*)\}/g, '$1');
  s = s.replace(/\\left|\\right|\\!|\\,|\\;/g, '');
  s = s.replace(/^\\boxed\{([\s\S]*)\}$/, '$1');
  s = s.replace(/[.。;,!\s]+$/, '');
  s = s.replace(/\s+/g, ' ').trim().toLowerCase();
  const num = s.replace(/,(?=\d{3}\b)/g, '');
  if (/^-?(\d+\.?\d*|\.\d+)$/.test(num)) {
    const v = Number(num);
    if (Number.isFinite(v)) return String(v);
  }
  return s;
}

/** The JSON value in `text` as canonical JSON (object keys sorted, no whitespace), or null when it does not parse. */
export function canonicalJson(text: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sortKeys(value));
}
