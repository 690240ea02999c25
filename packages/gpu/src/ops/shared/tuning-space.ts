// A kernel's tuning space as declared in the JSON file next to its WGSL source
// (`kernels-wgsl/<family>/<kernel>.tuning.json`): the knobs, the shipped default, and the
// candidates the tuner times and the tests check.
import { RuminateError } from '../../errors.ts';
import { kernelSources } from '../../kernels/sources.generated.ts';
import type { KernelContext } from '../context.ts';

/** One point of a tuning space: a value for each knob (override constants and host-side knobs). */
export type TuningPoint = Readonly<Record<string, number>>;

/** A kernel's declared tuning space. */
export interface TuningSpace {
  /** Op name the tuner files winners under (e.g. `norm/rms-norm`). */
  op: string;
  /** What each knob means. */
  knobs: Readonly<Record<string, string>>;
  /** The configuration shipped for devices with no tuning cache. */
  default: TuningPoint;
  /** What CPU adapters (`KernelContext.cpuAdapter`) get instead, where it differs. */
  cpuDefault?: TuningPoint;
  /** Every candidate (the default among them). */
  candidates: readonly TuningPoint[];
}

/** Parses the embedded tuning-space JSON at `path` (relative to kernels-wgsl/). */
export function tuningSpace(path: string): TuningSpace {
  const text = kernelSources[path];
  if (text === undefined) {
    throw new RuminateError('internal', `Tuning space ${path} is not embedded; run \`pnpm run gen:wgsl\`.`);
  }
  const space = JSON.parse(text) as TuningSpace;
  for (const d of [space.default, space.cpuDefault]) {
    if (d && !space.candidates.some((c) => pointKey(c) === pointKey(d))) {
      throw new RuminateError('internal', `Tuning space ${path}: a default is not one of the candidates.`);
    }
  }
  return space;
}

const pointKey = (p: TuningPoint) => JSON.stringify(Object.entries(p).sort());

/** The shipped default for this adapter: `cpuDefault` on CPU adapters where declared, else `default`. */
export function shippedDefault(space: TuningSpace, ctx?: Pick<KernelContext, 'cpuAdapter'>): TuningPoint {
  return (ctx?.cpuAdapter && space.cpuDefault) || space.default;
}

/** Index of the adapter's shipped default among the candidates (timed first; for `candidateSample`). */
export function defaultIndex(space: TuningSpace, ctx?: Pick<KernelContext, 'cpuAdapter'>): number {
  const d = pointKey(shippedDefault(space, ctx));
  return space.candidates.findIndex((c) => pointKey(c) === d);
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
