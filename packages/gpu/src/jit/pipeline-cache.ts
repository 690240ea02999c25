import { RuminateError } from '../errors.ts';
import { type Defines, preprocess, type UnrollCounts } from './preprocess.ts';

/** Everything that makes one compiled kernel distinct. */
export interface KernelSpecialization {
  /** Human-readable kernel name, e.g. `matmul/gemv`; also the pipeline label. */
  name: string;
  /** WGSL source before preprocessing. */
  source: string;
  /** Structural variants (`#if NAME` blocks). */
  defines?: Defines;
  /** Repeat counts of `#unroll VAR NAME` blocks. */
  counts?: UnrollCounts;
  /** WGSL `override` constants: tile sizes, workgroup size, head dim. */
  constants?: Readonly<Record<string, number>>;
  /** Compute entry point; `main` when omitted. */
  entryPoint?: string;
}

/** A compiled pipeline and what it cost to build. */
export interface CompiledKernel {
  /** The compute pipeline, with an auto layout. */
  pipeline: GPUComputePipeline;
  /** Cache key the pipeline is stored under. */
  key: string;
  /** Milliseconds spent in shader-module + pipeline creation (0 for a cache hit). */
  compileMs: number;
}

/** Stable cache key for a specialisation (source identity, defines, constants, entry point). */
export function specializationKey(spec: KernelSpecialization): string {
  const defs = Object.entries(spec.defines ?? {})
    .filter(([, v]) => v)
    .map(([k]) => k)
    .sort()
    .join(',');
  const consts = namedValues(spec.constants);
  const counts = namedValues(spec.counts);
  return `${spec.name}|${hashString(spec.source)}|${defs}|${counts}|${consts}|${spec.entryPoint ?? 'main'}`;
}

/** `a=1,b=2` in name order. */
function namedValues(values: Readonly<Record<string, number>> | undefined): string {
  return Object.entries(values ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** FNV-1a, 32-bit, as hex: enough to tell sources apart in a cache key. */
function hashString(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * JIT for WGSL kernels: specialises a source for (defines, override constants),
 * compiles it once per key, and records how long each compile took.
 */
export class PipelineCache {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  /** Total milliseconds spent compiling, for reports. */
  compileMs = 0;
  /** Number of distinct pipelines compiled. */
  compiled = 0;

  constructor(readonly device: GPUDevice) {}

  /** The pipeline for `spec`, compiling it on first use. */
  async get(spec: KernelSpecialization): Promise<CompiledKernel> {
    const key = specializationKey(spec);
    const hit = this.pipelines.get(key);
    if (hit) return { pipeline: await hit, key, compileMs: 0 };
    const started = performance.now();
    const promise = this.compile(spec);
    this.pipelines.set(key, promise);
    try {
      const pipeline = await promise;
      const ms = performance.now() - started;
      this.compileMs += ms;
      this.compiled++;
      return { pipeline, key, compileMs: ms };
    } catch (e) {
      this.pipelines.delete(key);
      throw e;
    }
  }

  /** Number of cached pipelines. */
  get size(): number {
    return this.pipelines.size;
  }

  private async compile(spec: KernelSpecialization): Promise<GPUComputePipeline> {
    const code = preprocess(spec.source, spec.defines, spec.counts);
    const module = this.device.createShaderModule({ code, label: spec.name });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const text = errors.map((m) => `${spec.name}:${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
      throw new RuminateError('shader-compile', `WGSL kernel ${spec.name} failed to compile:\n${text}`);
    }
    try {
      return await this.device.createComputePipelineAsync({
        label: spec.name,
        layout: 'auto',
        compute: { module, entryPoint: spec.entryPoint ?? 'main', constants: { ...spec.constants } },
      });
    } catch (cause) {
      throw new RuminateError(
        'shader-compile',
        `WGSL kernel ${spec.name} failed to build a pipeline (${String(cause)}).`,
        { cause },
      );
    }
  }
}
