import { RuminateError } from '@ruminate/errors';
import { WASM_PAGE_BYTES } from './limits.ts';
import type { MemoryPlan, Region } from './plan.ts';

/** One allocated WebAssembly memory and where the plan's regions lie in it. */
export interface Arena {
  /** The memory: initial = maximum = `pages`, so it never grows and views never go stale. */
  readonly memory: WebAssembly.Memory;
  /** Whether `memory.buffer` is a SharedArrayBuffer. */
  readonly shared: boolean;
  /** Pages allocated (the kernels' memory import must declare this minimum and maximum). */
  readonly pages: number;
  /** Bytes allocated. */
  readonly bytes: number;
  /** Regions by name. */
  readonly regions: ReadonlyMap<string, Region>;
  /** The region planned under `name`; throws when there is none. */
  region(name: string): Region;
}

/** Options of createMemory. */
export interface CreateMemoryOptions {
  /** A shared memory (for the thread pool); needs SharedArrayBuffer. */
  shared: boolean;
}

/** Allocates one memory for `plan` (initial = maximum), refusing plans over 4 GiB with RuminateError('model-too-large') before allocating. */
export function createMemory(plan: MemoryPlan, options: CreateMemoryOptions): Arena {
  plan.assertFits();
  const pages = plan.pages;
  if (options.shared && typeof SharedArrayBuffer === 'undefined') {
    throw new RuminateError(
      'wasm-unsupported',
      'a shared WebAssembly memory needs SharedArrayBuffer, which this page does not have (it is not cross-origin isolated)',
    );
  }
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: options.shared });
  } catch (cause) {
    throw new RuminateError(
      'model-too-large',
      `could not reserve ${pages * WASM_PAGE_BYTES} bytes of WebAssembly memory (${pages} pages): ` +
        `${cause instanceof Error ? cause.message : String(cause)}; close other tabs or pick a smaller model`,
      { cause },
    );
  }
  const regions = new Map(plan.regions.map((r) => [r.name, r] as const));
  return {
    memory,
    shared: options.shared,
    pages,
    bytes: pages * WASM_PAGE_BYTES,
    regions,
    region(name: string): Region {
      const r = regions.get(name);
      if (!r) throw new RuminateError('internal', `no memory region named '${name}' was planned`);
      return r;
    },
  };
}
