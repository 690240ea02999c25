// DOM views of a run for <ruminate-chat>: the live candidate columns while it streams, and the
// finished trace (every candidate with its answer, votes, score and fate; the winner marked).
import type { CandidateTrace, RuminateExtras } from '@ruminate/controller';

/** Creates an element with a class and optional text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** How a candidate ended, in words. */
export function fateOf(c: CandidateTrace, winner: number | null): string {
  if (c.id === winner) return 'winner';
  if (c.events.some((e) => e.type === 'pruned') || c.finishReason === 'pruned') return 'pruned';
  if (c.events.some((e) => e.type === 'stopped')) return 'stopped early';
  if (c.events.some((e) => e.type === 'resampled')) return 'resampled';
  return c.finishReason ?? 'running';
}

/** Live columns, one per candidate, filled by `append` as deltas arrive. */
export class LiveCandidates {
  /** The container to insert into the page. */
  readonly root: HTMLElement;
  private readonly cells = new Map<number, HTMLElement>();

  constructor() {
    this.root = el('div', 'candidates');
    this.root.setAttribute('role', 'group');
    this.root.setAttribute('aria-label', 'Candidates as they are generated');
  }

  /** Appends `delta` to candidate `id` (creating its column, forked from `parent`). */
  append(id: number, parent: number | null, delta: string): void {
    let cell = this.cells.get(id);
    if (!cell) {
      const box = el('section', 'candidate');
      box.dataset.candidate = String(id);
      box.append(el('h4', '', parent === null ? `#${id}` : `#${id} ← #${parent}`));
      cell = el('pre', 'candidate-text');
      box.append(cell);
      this.root.append(box);
      this.cells.set(id, cell);
    }
    cell.textContent = (cell.textContent ?? '') + delta;
  }

  /** Marks each column with its final fate and the winner. */
  settle(extras: Partial<RuminateExtras>): void {
    for (const c of extras.trace ?? []) {
      const cell = this.cells.get(c.id);
      const box = cell?.parentElement;
      if (!box) continue;
      const fate = fateOf(c, extras.winner ?? null);
      box.dataset.fate = fate;
      const h = box.querySelector('h4');
      if (h) h.textContent += ` · ${fate}`;
    }
  }

  /** Candidates seen so far. */
  get size(): number {
    return this.cells.size;
  }
}

function num(v: number | null, digits = 3): string {
  return v === null || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

/** The finished run's trace: a summary line and one table row per candidate. */
export function traceTable(extras: Partial<RuminateExtras>): HTMLElement {
  const trace = extras.trace ?? [];
  const winner = extras.winner ?? null;
  const plan = extras.plan;
  const details = el('details', 'trace');
  const answer = extras.answer ?? trace.find((c) => c.id === winner)?.answer ?? null;
  const win = trace.find((c) => c.id === winner);
  const votes = win?.votes ?? null;
  const parts = [
    plan ? `${plan.strategy}@${plan.n}` : 'run',
    `${trace.length} candidate${trace.length === 1 ? '' : 's'}`,
  ];
  if (extras.abstained) parts.push('abstained: no candidate passed');
  else if (answer !== null)
    parts.push(`answer ${answer}${votes !== null ? ` (${votes} of ${trace.length} votes)` : ''}`);
  if (extras.usage)
    parts.push(`${extras.usage.generatedTokens} tokens in ${(extras.usage.timeMs / 1000).toFixed(1)} s`);
  details.append(el('summary', '', `Trace: ${parts.join(' · ')}`));
  const table = el('table');
  table.append(el('caption', '', 'Every candidate; the chosen one is marked winner.'));
  const head = el('tr');
  for (const h of ['Candidate', 'Answer', 'Votes', 'Score', 'Tokens', 'Fate']) {
    const th = el('th', '', h);
    th.scope = 'col';
    head.append(th);
  }
  table.append(el('thead'));
  table.tHead?.append(head);
  const body = el('tbody');
  for (const c of trace) {
    const tr = el('tr');
    const fate = fateOf(c, winner);
    tr.dataset.fate = fate;
    tr.dataset.candidate = String(c.id);
    const th = el('th', '', c.parent === null ? `#${c.id}` : `#${c.id} ← #${c.parent}`);
    th.scope = 'row';
    tr.append(
      th,
      el('td', '', c.answer ?? '—'),
      el('td', '', c.votes === null ? '—' : String(c.votes)),
      el('td', '', num(c.score)),
      el('td', '', String(c.tokens.length)),
      el('td', '', fate),
    );
    body.append(tr);
  }
  table.append(body);
  details.append(table);
  if (plan?.notes.length) {
    const notes = el('ul', 'notes');
    for (const n of plan.notes) notes.append(el('li', '', n));
    details.append(notes);
  }
  return details;
}
