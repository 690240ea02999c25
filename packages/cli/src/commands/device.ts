import { parseArgs } from 'node:util';
import { type DeviceProfile, isCpuAdapter, measureDeviceProfile, requestDevice } from '@ruminate/gpu';
import { type CpuProfile, measureCpuProfile } from '@ruminate/wasm';
import type { Command } from '../command.ts';
import { log, out, table } from '../log.ts';

/** The DeviceProfile as the JSON object `ruminate device --json` prints. */
export function profileJson(p: DeviceProfile): Record<string, unknown> {
  return {
    adapter: {
      vendor: p.adapter.vendor,
      architecture: p.adapter.architecture,
      description: p.adapter.description,
    },
    features: p.features,
    limits: p.limits,
    bandwidthGBps: p.bandwidthGBps,
    matmulGflops: p.matmulGflops,
    dispatchUs: p.dispatchUs,
    readbackMs: p.readbackMs,
    implementation: p.implementation,
    measuredAt: p.measuredAt,
  };
}

/** The DeviceProfile as a two-column table. */
export function profileTable(p: DeviceProfile): string {
  const mib = (n: number | undefined) => (n === undefined ? '?' : `${(n / 2 ** 20).toFixed(0)} MiB`);
  return table(
    ['property', 'value'],
    [
      ['adapter', `${p.adapter.vendor} / ${p.adapter.architecture} / ${p.adapter.description}`],
      ['implementation', p.implementation],
      ['features', p.features.join(', ') || '(none)'],
      ['maxBufferSize', mib(p.limits.maxBufferSize)],
      ['maxStorageBufferBindingSize', mib(p.limits.maxStorageBufferBindingSize)],
      ['maxComputeWorkgroupStorageSize', `${p.limits.maxComputeWorkgroupStorageSize ?? '?'} B`],
      ['maxComputeInvocationsPerWorkgroup', String(p.limits.maxComputeInvocationsPerWorkgroup ?? '?')],
      ['copy bandwidth', `${p.bandwidthGBps.toFixed(2)} GB/s`],
      ['f32 matmul 512³', `${p.matmulGflops.toFixed(3)} GFLOP/s`],
      ['dispatch + submit', `${p.dispatchUs.toFixed(1)} µs`],
      ['readback (4 B)', `${p.readbackMs.toFixed(3)} ms`],
    ],
  );
}

/** The CPU backend's profile as the `wasm` object of `ruminate device --json`. */
export function cpuProfileJson(p: CpuProfile): Record<string, unknown> {
  return {
    features: {
      simd128: p.features.simd128,
      relaxedSimd: p.features.relaxedSimd,
      relaxedSimdValidates: p.features.relaxedSimdValidates,
      threads: p.features.threads,
      sharedMemory: p.features.sharedMemory,
      crossOriginIsolated: p.features.crossOriginIsolated,
    },
    cores: p.cores,
    threads: p.threads,
    threadingReason: p.threadingReason,
    memorySweepGBps: p.memorySweepGBps,
    sweepBytes: p.sweepBytes,
    q4_0GemvGflops: p.q4_0GemvGflops,
    q4_0GemvWeightGBps: p.q4_0GemvWeightGBps,
    q4_0GemvRelaxed: p.q4_0GemvRelaxed,
    measureMs: p.measureMs,
    measuredAt: p.measuredAt,
  };
}

/** The CPU backend's profile as table rows (after the WebGPU rows). */
export function cpuProfileRows(p: CpuProfile): string[][] {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const f = p.features;
  const relaxed = f.relaxedSimd
    ? 'yes'
    : f.relaxedSimdValidates
      ? 'no (validates, but the dot-add computes wrong here)'
      : 'no';
  return [
    ['wasm SIMD128', yes(f.simd128)],
    ['wasm relaxed SIMD', relaxed],
    [
      'wasm threads',
      `${yes(f.threads && f.sharedMemory)} (atomics ${yes(f.threads)}, shared memory ${yes(f.sharedMemory)})`,
    ],
    ['wasm cores / threads', `${p.cores} / ${p.threads} (${p.threadingReason})`],
    [
      'wasm memory sweep',
      `${p.memorySweepGBps.toFixed(2)} GB/s (one thread, ${(p.sweepBytes / 2 ** 20).toFixed(0)} MiB)`,
    ],
    [
      'wasm q4_0 GEMV 2048²',
      `${p.q4_0GemvGflops.toFixed(2)} GFLOP/s, ${p.q4_0GemvWeightGBps.toFixed(2)} GB/s of weights (one thread${p.q4_0GemvRelaxed ? ', relaxed dots' : ''})`,
    ],
  ];
}

/** What `ruminate device --adapter --json` prints: the adapter found, measured nothing. */
export interface AdapterReport {
  /** Whether WebGPU gave an adapter; `reason` says why not. */
  available: boolean;
  reason?: string;
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** The adapter computes on the CPU (SwiftShader, llvmpipe, WARP): not a real GPU. */
  cpu?: boolean;
  features?: string[];
}

/** Acquires the default adapter and says what it is, without measuring it. */
export async function adapterReport(): Promise<AdapterReport> {
  try {
    const acquired = await requestDevice();
    const { vendor, architecture, device, description } = acquired.info;
    const report = {
      available: true,
      vendor,
      architecture,
      device,
      description,
      cpu: isCpuAdapter(acquired.info),
      features: acquired.features,
    };
    acquired.device.destroy();
    return report;
  } catch (e) {
    return { available: false, reason: reasonOf(e) };
  }
}

/** Why WebGPU could not be measured, in one line. */
function reasonOf(e: unknown): string {
  if (e instanceof Error)
    return 'code' in e && typeof e.code === 'string' ? `${e.code}: ${e.message}` : e.message;
  return String(e);
}

export const deviceCommand: Command = {
  name: 'device',
  summary: 'Measure this machine’s WebGPU device and WebAssembly CPU backend and print their profiles',
  usage:
    'ruminate device [--adapter] [--json]\n\n' +
    '  --adapter  only say which adapter WebGPU gives (vendor, architecture, device, description, whether it\n' +
    '           computes on the CPU, features), measuring nothing\n' +
    '  --json   print one JSON object: the WebGPU DeviceProfile (adapter, features, limits, bandwidthGBps, matmulGflops,\n' +
    '           dispatchUs, readbackMs; absent when WebGPU is missing), webgpu { available, reason }, and the CPU\n' +
    '           backend as wasm { features, cores, threads, memorySweepGBps, q4_0GemvGflops, … }',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, adapter: { type: 'boolean' } },
    });
    if (values.adapter) {
      const a = await adapterReport();
      if (values.json) out(JSON.stringify(a));
      else if (!a.available) out(`WebGPU unavailable: ${a.reason}`);
      else {
        out(
          table(
            ['adapter', 'value'],
            [
              ['vendor / architecture', `${a.vendor} / ${a.architecture}`],
              ['device / description', `${a.device || '?'} / ${a.description || '?'}`],
              ['computes on', a.cpu ? 'the CPU (a software adapter)' : 'a GPU'],
              ['features', (a.features ?? []).join(', ') || '(none)'],
            ],
          ),
        );
      }
      return 0;
    }
    log('measuring the WebGPU device (bandwidth, matmul, dispatch, readback)…');
    let profile: DeviceProfile | undefined;
    let reason: string | undefined;
    try {
      profile = await measureDeviceProfile();
    } catch (e) {
      reason = reasonOf(e);
      log(`WebGPU unavailable: ${reason}`);
    }
    log('measuring the WebAssembly CPU backend (features, memory sweep, q4_0 GEMV)…');
    const cpu = await measureCpuProfile();
    if (values.json) {
      out(
        JSON.stringify({
          ...(profile ? profileJson(profile) : {}),
          webgpu: profile ? { available: true } : { available: false, reason },
          wasm: cpuProfileJson(cpu),
        }),
      );
      return 0;
    }
    const gpu = profile
      ? profileTable(profile)
      : table(['property', 'value'], [['WebGPU', `unavailable: ${reason}`]]);
    out(`${gpu}\n\n${table(['CPU backend (WebAssembly)', 'value'], cpuProfileRows(cpu))}`);
    return 0;
  },
};
