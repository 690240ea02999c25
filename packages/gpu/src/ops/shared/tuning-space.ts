// Every kernel's tuning space, in one format and through one loader: the JSON file next to its
// WGSL source (`kernels-wgsl/<family>/<kernel>.tuning.json`, embedded by `pnpm run gen:wgsl`).
// The schema (kernels-wgsl/README.md):
//   op          the tuner's op id; equals the file's path without `.tuning.json`
//   knobs       what each knob means (override constants, host-side knobs, `#if` variants)
//   defines     the knobs that switch `#if` variants (value 1 on, 0 off); optional
//   default     the point shipped for devices with no tuning cache
//   cpuDefault  what CPU adapters get instead (a list: the first that can run the shape); optional
//   candidates  every point the tuner times and the tests check (each may carry an `id` for reports)
// Other keys (`notes`, `source`, `order`, `fixedByShape`) are documentation.
import { RuminateError } from '../../errors.ts';
import { kernelSources } from '../../kernels/sources.generated.ts';
import type { KernelConfig, KernelContext } from '../context.ts';

/** One point of a tuning space: a value for each knob (override constants, host-side knobs, `#if` variants as 0/1). */
export type TuningPoint = Readonly<Record<string, number>>;

/** A kernel's declared tuning space. */
export interface TuningSpace {
  /** Op id the tuner files winners under; equals the file's path (e.g. `norm/rms-norm`). */
  op: string;
  /** What each knob means. */
  knobs: Readonly<Record<string, string>>;
  /** Knobs that switch `#if` variants (the rest are override constants or host-side knobs). */
  defines: readonly string[];
  /** The configuration shipped for devices with no tuning cache. */
  default: TuningPoint;
  /** What CPU adapters (`KernelContext.cpuAdapter`) get instead, where it differs: the first that can run. */
  cpuDefaults: readonly TuningPoint[];
  /** Every candidate (the defaults among them). */
  candidates: readonly TuningPoint[];
  /** Each candidate's name for reports (its `id`, else its knob values), by index. */
  ids: readonly string[];
}

interface TuningFile {
  op: string;
  knobs: Record<string, string>;
  defines?: string[];
  default: Record<string, number>;
  cpuDefault?: Record<string, number> | Record<string, number>[];
  candidates: (Record<string, number> & { id?: string })[];
}

const pointKey = (p: TuningPoint) => JSON.stringify(Object.entries(p).sort());
const pointId = (p: TuningPoint) =>
  Object.entries(p)
    .map(([k, v]) => `${k}${v}`)
    .join('-');

/** Loads and checks the embedded tuning space at `path` (relative to kernels-wgsl/, ending `.tuning.json`). */
export function tuningSpace(path: string): TuningSpace {
  const text = kernelSources[path];
  if (text === undefined) {
    throw new RuminateError('internal', `Tuning space ${path} is not embedded; run \`pnpm run gen:wgsl\`.`);
  }
  const file = JSON.parse(text) as TuningFile;
  const bad = (why: string) => new RuminateError('internal', `Tuning space ${path}: ${why}.`);
  if (`${file.op}.tuning.json` !== path) throw bad(`op "${file.op}" must equal the file's path`);
  const ids: string[] = [];
  const candidates = file.candidates.map(({ id, ...point }) => {
    ids.push(id ?? pointId(point));
    return point as TuningPoint;
  });
  const cpuDefaults = file.cpuDefault === undefined ? [] : [file.cpuDefault].flat();
  const keys = new Set(candidates.map(pointKey));
  for (const d of [file.default, ...cpuDefaults]) {
    if (!keys.has(pointKey(d))) throw bad('a default is not one of the candidates');
  }
  return {
    op: file.op,
    knobs: file.knobs,
    defines: file.defines ?? [],
    default: file.default,
    cpuDefaults,
    candidates,
    ids,
  };
}

/** A point as the kernel compiles it: `defines` knobs set to 1 become `#if` variants, the rest override constants. */
export function kernelConfigOf(space: TuningSpace, point: TuningPoint): KernelConfig {
  const constants: Record<string, number> = {};
  const defines: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(point)) {
    if (!space.defines.includes(name)) constants[name] = value;
    else if (value) defines[name] = true;
  }
  return Object.keys(defines).length > 0 ? { constants, defines } : { constants };
}

/** Index of `point` among the space's candidates, or -1. */
export function candidateIndex(space: TuningSpace, point: TuningPoint): number {
  const key = pointKey(point);
  return space.candidates.findIndex((c) => pointKey(c) === key);
}

/** The shipped default for this adapter: the first CPU default on CPU adapters where declared, else `default`. */
export function shippedDefault(space: TuningSpace, ctx?: Pick<KernelContext, 'cpuAdapter'>): TuningPoint {
  return (ctx?.cpuAdapter && space.cpuDefaults[0]) || space.default;
}

/** Index of the adapter's shipped default among the candidates (timed first; for `candidateSample`). */
export function defaultIndex(space: TuningSpace, ctx?: Pick<KernelContext, 'cpuAdapter'>): number {
  return candidateIndex(space, shippedDefault(space, ctx));
}

/**
 * The configuration an op compiles with: an explicit one (tests, the tuner), else the tuner's
 * winner for `shapeBucket`, else the adapter's shipped default. Missing knobs fall back to the default.
 */
export function chooseConfig(
  ctx: KernelContext,
  space: TuningSpace,
  shapeBucket: string,
  explicit?: TuningPoint,
): TuningPoint {
  const tuned = explicit ?? ctx.tuned?.(space.op, shapeBucket)?.constants;
  return { ...shippedDefault(space, ctx), ...tuned };
}
