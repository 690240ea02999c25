import type { LoadProgress } from '@ruminate/react';
import { useEffect, useState } from 'react';

const PHASES: [LoadProgress['phase'], string][] = [
  ['download', 'Download'],
  ['upload', 'Weights to the backend'],
  ['compile', 'Kernel compilation'],
  ['tune', 'Kernel tuning'],
];

function amount(p: LoadProgress): string {
  if (p.phase === 'download' || p.phase === 'upload') {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    return p.total ? `${mb(p.done)} of ${mb(p.total)} MB` : `${mb(p.done)} MB`;
  }
  return p.total ? `${p.done} of ${p.total}` : String(p.done);
}

/** One bar per load phase; a phase keeps its last value once the next begins. */
export function LoadProgressBars(props: { progress: LoadProgress | null; loading: boolean }) {
  const [seen, setSeen] = useState<Partial<Record<LoadProgress['phase'], LoadProgress>>>({});
  const p = props.progress;
  useEffect(() => {
    if (p) setSeen((s) => ({ ...s, [p.phase]: p }));
  }, [p]);
  useEffect(() => {
    if (props.loading && !p) setSeen({});
  }, [props.loading, p]);
  if (!props.loading && Object.keys(seen).length === 0) return null;
  return (
    <div className="progress" aria-live="polite">
      {PHASES.map(([phase, label]) => {
        const q = seen[phase];
        const done = q?.total ? q.done / q.total : undefined;
        return (
          <div key={phase} className="bar">
            <span id={`progress-${phase}`}>{label}</span>
            <progress aria-labelledby={`progress-${phase}`} max={1} value={q ? (done ?? undefined) : 0} />
            <span className="amount">{q ? amount(q) : props.loading ? 'waiting' : '—'}</span>
          </div>
        );
      })}
    </div>
  );
}
