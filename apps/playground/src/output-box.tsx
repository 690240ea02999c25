import { OUTPUT_MODES, type OutputMode, type OutputSettings } from './output-constraint.ts';

const BOX_LABEL: Record<Exclude<OutputMode, 'free' | 'json'>, string> = {
  json_schema: 'JSON Schema',
  grammar: 'Grammar (GBNF/EBNF, start rule root)',
  regex: 'Regular expression',
};

/**
 * The schema box: the output mode picker and, for a schema, grammar or regex, its text. `error`
 * (the settings' own problem, or the constraint error of the last run) is shown beneath it.
 */
export function OutputBox(props: {
  value: OutputSettings;
  onChange: (v: OutputSettings) => void;
  error: { message: string; code?: string } | null;
}) {
  const { value: o, onChange } = props;
  const key = o.mode === 'free' || o.mode === 'json' ? null : o.mode === 'json_schema' ? 'schema' : o.mode;
  return (
    <fieldset className="output">
      <legend>Output</legend>
      <label className="field">
        Output shape
        <select value={o.mode} onChange={(e) => onChange({ ...o, mode: e.target.value as OutputMode })}>
          {OUTPUT_MODES.map(([mode, label]) => (
            <option key={mode} value={mode}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {key && o.mode !== 'free' && o.mode !== 'json' && (
        <label className="field wide">
          {BOX_LABEL[o.mode]}
          <textarea
            value={o[key]}
            rows={key === 'regex' ? 1 : 5}
            spellCheck={false}
            aria-invalid={props.error ? true : undefined}
            aria-describedby={props.error ? 'output-error' : undefined}
            onChange={(e) => onChange({ ...o, [key]: e.target.value })}
          />
        </label>
      )}
      <p className="hint">Enforced while the model decodes: every candidate of every strategy keeps to it.</p>
      {props.error && (
        <p id="output-error" role="alert" className="error" data-testid="output-error">
          {props.error.message}
          {props.error.code ? ` [${props.error.code}]` : ''}
        </p>
      )}
    </fieldset>
  );
}
