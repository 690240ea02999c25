// A run as a UI sees it, folded from streamed chunks: each candidate's text as it decodes, a
// provisional answer and vote count while voting strategies run, then the final trace's scores,
// votes and fates (winner, pruned, resampled, stopped early) once the last chunk arrives.
import {
  type AnswerOptions,
  type CandidateTrace,
  type ChatCompletionChunk,
  extractAnswer,
  normalizeAnswer,
  type OpenAIFinishReason,
  type RuminateExtras,
  type ToolCall,
  type Usage,
} from '@ruminate/controller';

/** What happened to a candidate, for display. */
export type CandidateFate =
  | 'running'
  | 'finished'
  | 'winner'
  | 'pruned'
  | 'resampled'
  | 'stopped early'
  | 'length'
  | 'rejected';

/** One candidate of a run. */
export interface CandidateView {
  /** Candidate id (as in the trace). */
  id: number;
  /** The candidate it was forked from, or null. */
  parent: number | null;
  /** Text so far. */
  text: string;
  /** The extracted answer (provisional while running). */
  answer: string | null;
  /** Candidates agreeing with its answer (provisional while running; final from the trace). */
  votes: number | null;
  /** The strategy's score (verifier score, confidence, weight), once known. */
  score: number | null;
  /** How it ended. */
  fate: CandidateFate;
}

/** A run in progress or done. */
export interface RunView {
  /** Candidates in order of first appearance. */
  candidates: CandidateView[];
  /** The chosen answer's text (streams for greedy/sample; set at the end otherwise). */
  text: string;
  /** True once the last chunk arrived. */
  done: boolean;
  /** Plan, winner, trace and usage, from the last chunk. */
  extras: Partial<RuminateExtras> | null;
  /** Token usage, from the last chunk. */
  usage: Usage | null;
  /** The functions the chosen answer calls (a request with `tools`), from the last chunk; null when it calls none. */
  toolCalls: ToolCall[] | null;
  /** Why the chosen answer ended (`stop`, `length`, `tool_calls`), from the last chunk. */
  finishReason: OpenAIFinishReason | null;
}

/** An empty run. */
export function emptyRun(): RunView {
  return {
    candidates: [],
    text: '',
    done: false,
    extras: null,
    usage: null,
    toolCalls: null,
    finishReason: null,
  };
}

/** Final fate of a traced candidate. */
export function fateOf(c: CandidateTrace, winner: number | null | undefined): CandidateFate {
  if (c.id === winner) return 'winner';
  const types = new Set(c.events.map((e) => e.type));
  if (types.has('pruned') || c.finishReason === 'pruned') return 'pruned';
  if (types.has('stopped')) return 'stopped early';
  if (types.has('resampled')) return 'resampled';
  if (types.has('rejected')) return 'rejected';
  if (c.finishReason === 'length') return 'length';
  return 'finished';
}

function withLiveVotes(cands: CandidateView[], answer: AnswerOptions | undefined): CandidateView[] {
  const answers = cands.map((c) => {
    const a = c.text ? extractAnswer(c.text, answer) : null;
    return a === null ? null : normalizeAnswer(a);
  });
  const counts = new Map<string, number>();
  for (const a of answers) if (a !== null) counts.set(a, (counts.get(a) ?? 0) + 1);
  return cands.map((c, i) => {
    const a = answers[i] ?? null;
    return { ...c, answer: a, votes: a === null ? null : (counts.get(a) ?? 0) };
  });
}

/** Folds one chunk into the run (pure: returns a new RunView). */
export function applyChunk(run: RunView, chunk: ChatCompletionChunk, answer?: AnswerOptions): RunView {
  const r = chunk.ruminate;
  if (chunk.usage) {
    const extras = r ?? {};
    const byId = new Map((extras.trace ?? []).map((c) => [c.id, c]));
    const seen = new Set(run.candidates.map((c) => c.id));
    const merged: CandidateView[] = run.candidates.map((c) => {
      const t = byId.get(c.id);
      return t
        ? {
            ...c,
            text: t.text,
            answer: t.answer,
            votes: t.votes,
            score: t.score,
            fate: fateOf(t, extras.winner),
          }
        : { ...c, fate: 'finished' };
    });
    for (const t of extras.trace ?? []) {
      if (!seen.has(t.id)) {
        merged.push({
          id: t.id,
          parent: t.parent,
          text: t.text,
          answer: t.answer,
          votes: t.votes,
          score: t.score,
          fate: fateOf(t, extras.winner),
        });
      }
    }
    const first = chunk.choices[0];
    const chosen = first?.delta.content;
    const calls = first?.delta.tool_calls;
    return {
      candidates: merged,
      text: extras.abstained ? '' : chosen !== undefined && chosen !== '' ? chosen : run.text,
      done: true,
      extras,
      usage: chunk.usage,
      toolCalls: calls?.length ? calls.map(({ index: _, ...call }) => call) : null,
      finishReason: first?.finish_reason ?? null,
    };
  }
  let text = run.text;
  for (const c of chunk.choices) if (c.index === 0 && c.delta.content) text += c.delta.content;
  if (r?.candidate === undefined || r.delta === undefined) return { ...run, text };
  let cands = run.candidates;
  const i = cands.findIndex((c) => c.id === r.candidate);
  if (i < 0) {
    cands = [
      ...cands,
      {
        id: r.candidate,
        parent: r.parent ?? null,
        text: r.delta,
        answer: null,
        votes: null,
        score: null,
        fate: 'running',
      },
    ];
  } else {
    cands = cands.slice();
    const c = cands[i] as CandidateView;
    cands[i] = { ...c, text: c.text + r.delta };
  }
  return { ...run, text, candidates: withLiveVotes(cands, answer) };
}
