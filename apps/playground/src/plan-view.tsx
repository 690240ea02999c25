import type { Plan } from '@ruminate/controller';

/** What the planner decided, before or after a run. */
export function PlanView(props: { plan: Plan | null }) {
  const p = props.plan;
  if (!p) return null;
  const rows: [string, string][] = [
    ['Strategy', `${p.strategy}, N = ${p.n}, ${p.choices} choice${p.choices === 1 ? '' : 's'}`],
    ['Batch width', String(p.batchWidth)],
    ['Max tokens each', String(p.maxTokens)],
    ['Expected tokens', `≤ ${p.expectedTokens}`],
    [
      'Expected time',
      p.expectedMs === null ? 'unknown (no speed measured)' : `${(p.expectedMs / 1000).toFixed(1)} s`,
    ],
    [
      'Budget',
      p.budget
        ? [p.budget.tokens && `${p.budget.tokens} tokens`, p.budget.latencyMs && `${p.budget.latencyMs} ms`]
            .filter(Boolean)
            .join(', ')
        : 'none',
    ],
    ['Speed from', p.speedSource],
  ];
  return (
    <section className="panel" aria-labelledby="plan-h" data-testid="plan">
      <h2 id="plan-h">Plan</h2>
      <table>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.notes.length > 0 && (
        <ul className="notes">
          {p.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
