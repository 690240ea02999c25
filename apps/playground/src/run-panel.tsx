import { listStrategies } from '@ruminate/controller';
import type { GenerateRequest } from '@ruminate/react';
import { type FormEvent, useState } from 'react';
import { OutputBox } from './output-box.tsx';
import { type OutputSettings, outputFields, outputProblem } from './output-constraint.ts';

/** What the run form asks for. */
export interface RunSettings {
  prompt: string;
  strategy: string;
  samples: number;
  budgetKind: 'none' | 'tokens' | 'latency';
  budgetValue: number;
  maxTokens: number;
  /** The output shape enforced while decoding (the schema box). */
  output: OutputSettings;
}

/** The request the settings make (a typed error when the schema box cannot be used). */
export function requestOf(s: RunSettings): GenerateRequest {
  const r: GenerateRequest = {
    messages: [{ role: 'user', content: s.prompt }],
    strategy: `${s.strategy}@${s.samples}`,
    max_tokens: s.maxTokens,
    ...outputFields(s.output),
  };
  if (s.budgetKind === 'tokens') r.budget = { tokens: s.budgetValue };
  if (s.budgetKind === 'latency') r.budget = { latencyMs: s.budgetValue };
  return r;
}

/** Strategy, budget and prompt; Plan shows what would run, Run runs it. */
export function RunPanel(props: {
  ready: boolean;
  running: boolean;
  initial: RunSettings;
  onPlan: (s: RunSettings) => void;
  onRun: (s: RunSettings) => void;
  onStop: () => void;
  /** The last run's error when it concerns the output constraint (shown beside the schema box). */
  constraintError: { message: string; code?: string } | null;
}) {
  const [s, setS] = useState<RunSettings>(props.initial);
  const set = <K extends keyof RunSettings>(k: K, v: RunSettings[K]) => setS((o) => ({ ...o, [k]: v }));
  const strategies = listStrategies();
  const problem = outputProblem(s.output);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!problem) props.onRun(s);
  };
  return (
    <form className="panel run" onSubmit={submit} aria-labelledby="run-h">
      <h2 id="run-h">Prompt and test-time compute</h2>
      <label className="field wide">
        Prompt
        <textarea
          value={s.prompt}
          rows={2}
          onChange={(e) => set('prompt', e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
          }}
        />
      </label>
      <div className="row">
        <label className="field">
          Strategy
          <select value={s.strategy} onChange={(e) => set('strategy', e.target.value)}>
            {strategies.map((d) => (
              <option key={d.name} value={d.name}>
                {d.name} — {d.summary}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Samples (N)
          <input
            type="number"
            min={1}
            max={64}
            value={s.samples}
            onChange={(e) => set('samples', Number(e.target.value) || 1)}
          />
        </label>
        <label className="field">
          Max tokens each
          <input
            type="number"
            min={1}
            max={4096}
            value={s.maxTokens}
            onChange={(e) => set('maxTokens', Number(e.target.value) || 1)}
          />
        </label>
        <label className="field">
          Budget
          <select
            value={s.budgetKind}
            onChange={(e) => set('budgetKind', e.target.value as RunSettings['budgetKind'])}
          >
            <option value="none">none (use N)</option>
            <option value="tokens">tokens (all candidates)</option>
            <option value="latency">latency (ms)</option>
          </select>
        </label>
        {s.budgetKind !== 'none' && (
          <label className="field">
            {s.budgetKind === 'tokens' ? 'Token budget' : 'Latency budget (ms)'}
            <input
              type="number"
              min={1}
              value={s.budgetValue}
              onChange={(e) => set('budgetValue', Number(e.target.value) || 1)}
            />
          </label>
        )}
      </div>
      <OutputBox
        value={s.output}
        onChange={(output) => set('output', output)}
        error={problem ?? props.constraintError}
      />
      <div className="row buttons">
        <button
          type="button"
          disabled={!props.ready || props.running || problem !== null}
          onClick={() => props.onPlan(s)}
        >
          Show plan
        </button>
        <button
          type="submit"
          disabled={!props.ready || props.running || !s.prompt.trim() || problem !== null}
        >
          Run
        </button>
        <button type="button" disabled={!props.running} onClick={props.onStop}>
          Stop
        </button>
      </div>
    </form>
  );
}
