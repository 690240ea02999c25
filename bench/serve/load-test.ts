// The load test of `ruminate serve` (run by `ruminate bench serve`): a fixed list of requests —
// plain and chat completions, streaming and not, n of 1, 2 and 4 — sent to a server on loopback
// twice: one at a time by one client, then by `clients` concurrent clients. Every reply is checked
// for completeness and form (status, JSON, `n` choices each with text and a finish reason,
// usage; a stream's events all JSON and ending with `data: [DONE]`), and a plain completion of
// the bundled model must be working on its own prompt's numbers (a reply carrying another
// request's text would not be). Reported: requests/s, p50/p99 latency, aggregate generated
// tokens/s (usage.completion_tokens over wall time), and the malformed and lost replies.

import { sseData } from '@ruminate/controller';

/** One request of the load. */
export interface LoadRequest {
  /** `completions` or `chat/completions`. */
  path: 'completions' | 'chat/completions';
  /** The JSON body. */
  body: Record<string, unknown>;
  /** For plain completions of `a*b=`: the operands its reply must work on. */
  operands?: [number, number];
}

/** What one reply turned out to be. */
interface Outcome {
  ok: boolean;
  lost: boolean;
  foreign: boolean;
  latencyMs: number;
  tokens: number;
  problem?: string;
}

/** One phase's numbers. */
export interface PhaseResult {
  /** "one by one" or "N clients". */
  phase: string;
  clients: number;
  requests: number;
  wallS: number;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** Generated tokens (all candidates) per second of wall time. */
  tokensPerS: number;
  tokens: number;
  /** Replies that arrived but were incomplete or ill-formed. */
  malformed: number;
  /** Requests that got no reply (connection error, non-200). */
  lost: number;
  /** Well-formed plain completions not working on their own prompt's numbers. */
  foreign: number;
  /** The first few problems, for the report. */
  problems: string[];
}

/** The requests of the load: `count` of them over `prompts`, mixing endpoint, streaming and n. */
export function loadRequests(
  prompts: string[],
  count: number,
  maxTokens: number,
  model: string,
): LoadRequest[] {
  const out: LoadRequest[] = [];
  for (let i = 0; i < count; i++) {
    const prompt = prompts[i % prompts.length] as string;
    const n = [1, 2, 4][i % 3] as number;
    const stream = i % 2 === 1;
    const common: Record<string, unknown> = {
      model,
      n,
      max_tokens: maxTokens,
      temperature: 0.8,
      seed: 1000 + i,
    };
    if (stream) common.stream = true;
    if (stream) common.stream_options = { include_usage: true };
    if (i % 4 === 3) {
      out.push({
        path: 'chat/completions',
        body: { ...common, messages: [{ role: 'user', content: prompt }] },
      });
    } else {
      const m = /^(\d+)\*(\d+)=$/.exec(prompt);
      const req: LoadRequest = { path: 'completions', body: { ...common, prompt } };
      if (m) req.operands = [Number(m[1]), Number(m[2])];
      out.push(req);
    }
  }
  return out;
}

/** Sends `requests` with `clients` concurrent clients (each takes the next unsent request). */
export async function runPhase(
  base: string,
  requests: LoadRequest[],
  clients: number,
  phase: string,
): Promise<PhaseResult> {
  const outcomes: Outcome[] = new Array(requests.length);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < requests.length; i = next++)
        outcomes[i] = await send(base, requests[i] as LoadRequest);
    }),
  );
  const wallS = (performance.now() - t0) / 1000;
  const lat = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)] ?? 0;
  const tokens = outcomes.reduce((a, o) => a + o.tokens, 0);
  return {
    phase,
    clients,
    requests: requests.length,
    wallS,
    requestsPerS: requests.length / wallS,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    tokensPerS: tokens / wallS,
    tokens,
    malformed: outcomes.filter((o) => !o.ok && !o.lost).length,
    lost: outcomes.filter((o) => o.lost).length,
    foreign: outcomes.filter((o) => o.foreign).length,
    problems: outcomes.flatMap((o, i) => (o.problem ? [`#${i}: ${o.problem}`] : [])).slice(0, 5),
  };
}

/** One request, timed and checked. */
async function send(base: string, req: LoadRequest): Promise<Outcome> {
  const t0 = performance.now();
  const fail = (lost: boolean, problem: string): Outcome => ({
    ok: false,
    lost,
    foreign: false,
    latencyMs: performance.now() - t0,
    tokens: 0,
    problem,
  });
  let res: Response;
  try {
    res = await fetch(`${base}/${req.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req.body),
    });
  } catch (e) {
    return fail(true, `no reply: ${(e as Error).message}`);
  }
  if (res.status !== 200) return fail(true, `status ${res.status}: ${(await res.text()).slice(0, 120)}`);
  const n = req.body.n as number;
  const chat = req.path === 'chat/completions';
  const texts: string[] = new Array(n).fill('');
  const finish: (string | null)[] = new Array(n).fill(null);
  let tokens = -1;
  try {
    if (req.body.stream) {
      if (!res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream'))
        return fail(false, 'stream without an event-stream body');
      let done = false;
      for await (const data of sseData(res.body)) {
        if (done) return fail(false, 'events after [DONE]');
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const chunk = JSON.parse(data) as StreamChunk;
        if (!Array.isArray(chunk.choices)) return fail(false, `chunk without choices: ${data.slice(0, 80)}`);
        for (const c of chunk.choices) {
          if (!(c.index >= 0 && c.index < n)) return fail(false, `choice index ${c.index} of n=${n}`);
          texts[c.index] += (chat ? c.delta?.content : c.text) ?? '';
          if (c.finish_reason) finish[c.index] = c.finish_reason;
        }
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
      }
      if (!done) return fail(false, 'stream ended without [DONE]');
    } else {
      const body = (await res.json()) as { choices?: ReplyChoice[]; usage?: { completion_tokens: number } };
      if (!Array.isArray(body.choices) || body.choices.length !== n)
        return fail(false, `${body.choices?.length} choices for n=${n}`);
      for (const c of body.choices) {
        texts[c.index] = (chat ? c.message?.content : c.text) ?? '';
        finish[c.index] = c.finish_reason;
      }
      tokens = body.usage?.completion_tokens ?? -1;
    }
  } catch (e) {
    return fail(false, `unreadable reply: ${(e as Error).message}`);
  }
  const latencyMs = performance.now() - t0;
  if (tokens <= 0) return fail(false, 'no usage');
  const incomplete = texts.findIndex(
    (t, i) => t.length === 0 || !['stop', 'length'].includes(finish[i] ?? ''),
  );
  if (incomplete >= 0) return fail(false, `choice ${incomplete} incomplete (finish ${finish[incomplete]})`);
  const ops = req.operands;
  const foreign = ops !== undefined && texts.some((t) => !worksOn(t, ops));
  return { ok: true, lost: false, foreign, latencyMs, tokens };
}

/** Whether a bundled-model reply ("A:68*20=…", "B:24*60=…") starts from one of the prompt's operands. */
function worksOn(text: string, [a, b]: [number, number]): boolean {
  const m = /^[AB]:(\d+)\*/.exec(text);
  return m !== null && [a, b].some((x) => (m[1] as string).startsWith(String(x)));
}

interface StreamChunk {
  choices: { index: number; text?: string; delta?: { content?: string }; finish_reason: string | null }[];
  usage?: { completion_tokens: number } | null;
}

interface ReplyChoice {
  index: number;
  text?: string;
  message?: { content?: string };
  finish_reason: string | null;
}
