import { parseArgs } from 'node:util';
import { type DeviceProfile, measureDeviceProfile } from '@ruminate/gpu';
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

export const deviceCommand: Command = {
  name: 'device',
  summary: 'Measure this machine’s WebGPU device and print its DeviceProfile',
  usage:
    'ruminate device [--json]\n\n  --json   print one JSON object (adapter, features, limits, bandwidthGBps, matmulGflops, dispatchUs, readbackMs)',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } } });
    log('measuring the device (bandwidth, matmul, dispatch, readback)…');
    const profile = await measureDeviceProfile();
    out(values.json ? JSON.stringify(profileJson(profile)) : profileTable(profile));
    return 0;
  },
};
