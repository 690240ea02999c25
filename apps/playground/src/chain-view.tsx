// The MCMC chains of a QAlign run (or any run whose trace has accepted/rejected proposals): one row
// per chain, from its first sample through every proposal in order, each marked accepted or
// rejected, with the cut it was forked at and the rewards the decision compared.
import type { CandidateTrace } from '@ruminate/controller';
import type { RunView } from '@ruminate/react';

/** One proposal of a chain. */
interface Move {
  id: number;
  accepted: boolean;
  detail: string;
}

/** The chains of a trace: each chain's first candidate and its proposals in order. */
export function chainsOf(trace: readonly CandidateTrace[]): { start: CandidateTrace; moves: Move[] }[] {
  const byId = new Map(trace.map((c) => [c.id, c]));
  const chainOf = (c: CandidateTrace): number => {
    let at = c;
    while (at.parent !== null) {
      const up = byId.get(at.parent);
      if (!up) break;
      at = up;
    }
    return at.id;
  };
  const starts = trace.filter((c) => c.parent === null);
  return starts.map((start) => ({
    start,
    moves: trace
      .filter((c) => c.parent !== null && chainOf(c) === start.id)
      .flatMap((c) => {
        const e = c.events.find((x) => x.type === 'accepted' || x.type === 'rejected');
        return e ? [{ id: c.id, accepted: e.type === 'accepted', detail: e.detail ?? '' }] : [];
      }),
  }));
}

/** The chains drawn as rows of accepted (✓) and rejected (✗) proposals; nothing for other strategies. */
export function ChainView(props: { run: RunView | null }) {
  const trace = props.run?.extras?.trace;
  if (!trace?.some((c) => c.events.some((e) => e.type === 'accepted' || e.type === 'rejected'))) return null;
  const chains = chainsOf(trace);
  const stats = props.run?.extras?.stats ?? {};
  return (
    <section className="panel" aria-labelledby="chains-h">
      <h2 id="chains-h">
        MCMC chains{' '}
        <span className="muted">
          ({stats.accepted ?? 0} accepted, {stats.rejected ?? 0} rejected of {stats.proposals ?? 0} proposals)
        </span>
      </h2>
      <ol className="chains" data-testid="chains">
        {chains.map(({ start, moves }, i) => (
          <li key={start.id}>
            <span className="chain-name">
              chain {i + 1}: #{start.id}
            </span>
            <ol className="moves" aria-label={`chain ${i + 1} proposals`}>
              {moves.map((m) => (
                <li
                  key={m.id}
                  className={m.accepted ? 'move accepted' : 'move rejected'}
                  data-move={m.accepted ? 'accepted' : 'rejected'}
                  title={`#${m.id}: ${m.detail}`}
                >
                  {m.accepted ? '✓' : '✗'}
                  <span className="sr-only">
                    {' '}
                    #{m.id} {m.accepted ? 'accepted' : 'rejected'}: {m.detail}
                  </span>
                </li>
              ))}
            </ol>
          </li>
        ))}
      </ol>
    </section>
  );
}
