import { type DragEvent, type FormEvent, useEffect, useId, useState } from 'react';

/** Where the model comes from. */
export type ModelChoice =
  | { kind: 'demo' }
  | { kind: 'bundled'; url: string }
  | { kind: 'url'; url: string }
  | { kind: 'file'; file: File };

/** Where a real model computes: `auto` lets the engine pick (WebAssembly without a real GPU). */
export type BackendChoice = 'auto' | 'webgpu' | 'wasm';

/** The backend switch's choices and their labels. */
export const BACKENDS: [BackendChoice, string][] = [
  ['auto', 'Auto (WebGPU on a real GPU, else WebAssembly on the CPU)'],
  ['webgpu', 'WebGPU'],
  ['wasm', 'WebAssembly (CPU, every core where the page is cross-origin isolated)'],
];

/** Which library runs the model: Ruminate's own runtime, or transformers.js (ONNX) behind the same contract. */
export type EngineChoice = 'ruminate' | 'transformers';

/** The engine switch's choices and their labels. */
export const ENGINES: [EngineChoice, string][] = [
  ['ruminate', 'Ruminate (GGUF)'],
  ['transformers', 'transformers.js (ONNX: the bundled model converted, or a model folder URL)'],
];

/** The bundled default model, served next to the site. */
export const BUNDLED_MODEL_URL: string = import.meta.env.VITE_RUMINATE_MODEL || '';

/** The bundled model in ONNX (the converter's folder), for the transformers.js engine. */
export const BUNDLED_ONNX_URL: string = import.meta.env.VITE_RUMINATE_ONNX_MODEL || '';

/** Picks the bundled model, a GGUF URL, a dropped local file, or the scripted demo; and the backend. */
export function ModelPicker(props: {
  busy: boolean;
  current: ModelChoice['kind'] | undefined;
  backend: BackendChoice;
  onBackend: (backend: BackendChoice) => void;
  engine: EngineChoice;
  onEngine: (engine: EngineChoice) => void;
  onLoad: (choice: ModelChoice) => void;
}) {
  const [kind, setKind] = useState<ModelChoice['kind']>(BUNDLED_MODEL_URL ? 'bundled' : 'demo');
  // Follow a model loaded from elsewhere (a ?model= link).
  useEffect(() => {
    if (props.current) setKind(props.current);
  }, [props.current]);
  const [url, setUrl] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [over, setOver] = useState(false);
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (kind === 'demo') props.onLoad({ kind });
    else if (kind === 'bundled')
      props.onLoad({ kind, url: props.engine === 'transformers' ? BUNDLED_ONNX_URL : BUNDLED_MODEL_URL });
    else if (kind === 'url' && url.trim()) props.onLoad({ kind, url: url.trim() });
    else if (kind === 'file' && file) props.onLoad({ kind, file });
  };
  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer.files[0];
    if (f) {
      setFile(f);
      setKind('file');
    }
  };
  const options: [ModelChoice['kind'], string][] = [
    [
      'bundled',
      BUNDLED_MODEL_URL
        ? `Bundled model (${BUNDLED_MODEL_URL.split('/').pop()}: a tiny llama that multiplies)`
        : 'Bundled model (none was built into this site)',
    ],
    ['url', 'A GGUF file from a URL'],
    ['file', 'A GGUF file from this computer'],
    ['demo', 'Scripted demo (a teaching aid, not a language model: shows how the strategies vote)'],
  ];
  return (
    <form onSubmit={submit} className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Model</h2>
      <fieldset>
        <legend>Where the model comes from</legend>
        {options.map(([k, label]) => (
          <label key={k} className="choice">
            <input
              type="radio"
              name={`${id}-kind`}
              value={k}
              checked={kind === k}
              onChange={() => setKind(k)}
            />
            {label}
          </label>
        ))}
      </fieldset>
      <fieldset disabled={kind === 'demo'}>
        <legend>Which engine runs it</legend>
        {ENGINES.map(([e, label]) => (
          <label key={e} className="choice">
            <input
              type="radio"
              name={`${id}-engine`}
              value={e}
              checked={props.engine === e}
              onChange={() => props.onEngine(e)}
            />
            {label}
          </label>
        ))}
      </fieldset>
      <fieldset disabled={kind === 'demo'} aria-describedby={kind === 'demo' ? `${id}-demo-note` : undefined}>
        <legend>Where the model computes</legend>
        {BACKENDS.map(([b, label]) => (
          <label key={b} className="choice">
            <input
              type="radio"
              name={`${id}-backend`}
              value={b}
              checked={props.backend === b}
              onChange={() => props.onBackend(b)}
            />
            {label}
          </label>
        ))}
        {kind === 'demo' && (
          <p id={`${id}-demo-note`} className="note">
            The scripted demo is a small script in this page, not a model: it uses neither backend.
          </p>
        )}
      </fieldset>
      {kind === 'url' && (
        <label className="field">
          {props.engine === 'transformers'
            ? 'Model folder URL (config.json, tokenizer.json, onnx/model.onnx)'
            : 'GGUF URL'}
          <input
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://…/model.gguf"
            required
          />
        </label>
      )}
      {kind === 'file' && (
        // biome-ignore lint/a11y/noStaticElementInteractions: the drop zone is a pointer convenience; the file input inside it is the keyboard path
        <div
          className={over ? 'drop over' : 'drop'}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={drop}
        >
          <label className="field">
            Drop a .gguf file here, or choose one
            <input type="file" accept=".gguf" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </label>
          {file && (
            <p>
              {file.name} ({(file.size / 1e6).toFixed(1)} MB)
            </p>
          )}
        </div>
      )}
      <button
        type="submit"
        disabled={props.busy || (kind === 'url' && !url.trim()) || (kind === 'file' && !file)}
      >
        Load model
      </button>
    </form>
  );
}
