// "Run a small eval": the first few problems of the bundled eval set (models/*-eval.jsonl, copied
// into the site), each under greedy and under self-consistency, on the loaded model; accuracy and
// tokens per strategy, filled in as the runs finish (the candidate board shows each run live).
import { extractAnswer, normalizeAnswer } from '@ruminate/controller';
import type { GenerateRequest, RunView } from '@ruminate/react';
import { useRef, useState } from 'react';

/** The eval set's URL (empty when none was built into the site). */
export const EVAL_SET_URL: string = import.meta.env.VITE_RUMINATE_EVAL || '';

interface Problem {
  prompt: string;
  answer: string;
}
interface Row {
  strategy: string;
  done: number;
  correct: number;
  tokens: number;
}

const STRATEGIES = ['greedy', 'sc@4'];

/** Runs `problems` problems per strategy through `generate` and tabulates accuracy. */
export function LiveEval(props: {
  ready: boolean;
  generate: (r: GenerateRequest) => Promise<RunView>;
  problems?: number;
}) {
  const [rows, setRows] = useState<Row[]>([]);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const stop = useRef(false);
  const count = props.problems ?? 5;
  if (!EVAL_SET_URL) return null;
  const run = async () => {
    setRunning(true);
    setError(null);
    stop.current = false;
    try {
      const text = await (await fetch(EVAL_SET_URL)).text();
      const problems: Problem[] = text
        .split('\n')
        .filter((l) => l.trim())
        .slice(0, count)
        .map((l) => JSON.parse(l) as Problem);
      const table: Row[] = STRATEGIES.map((strategy) => ({ strategy, done: 0, correct: 0, tokens: 0 }));
      setRows(table.map((r) => ({ ...r })));
      for (const [i, strategy] of STRATEGIES.entries()) {
        for (const p of problems) {
          if (stop.current) return;
          const result = await props.generate({
            messages: [{ role: 'user', content: p.prompt.replace(/=\s*$/, '') }],
            strategy,
            max_tokens: 90,
            seed: 1,
          });
          const got = extractAnswer(result.text, { mode: 'last-number' });
          const row = table[i] as Row;
          row.done++;
          if (got !== null && normalizeAnswer(got) === normalizeAnswer(p.answer)) row.correct++;
          row.tokens += result.extras?.usage?.generatedTokens ?? 0;
          setRows(table.map((r) => ({ ...r })));
        }
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setRunning(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="live-eval-h">
      <h2 id="live-eval-h">Small eval, live</h2>
      <p>
        The first {count} problems of the bundled eval set, greedy against self-consistency with 4 samples, on
        the loaded model.
      </p>
      <div className="row buttons">
        <button type="button" disabled={!props.ready || running} onClick={run}>
          Run a small eval
        </button>
        <button
          type="button"
          disabled={!running}
          onClick={() => {
            stop.current = true;
          }}
        >
          Stop after this problem
        </button>
      </div>
      {error && <p role="alert">{error}</p>}
      {rows.length > 0 && (
        <table data-testid="live-eval">
          <thead>
            <tr>
              <th scope="col">Strategy</th>
              <th scope="col">Correct</th>
              <th scope="col">Accuracy</th>
              <th scope="col">Tokens per problem</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.strategy}>
                <td>{r.strategy}</td>
                <td>
                  {r.correct} of {r.done}
                </td>
                <td>{r.done ? `${Math.round((100 * r.correct) / r.done)}%` : '—'}</td>
                <td>{r.done ? Math.round(r.tokens / r.done) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
