// Plumbing every op of the decoder-step families shares: where dispatches are recorded,
// how a buffer argument is bound, and how a long 1-D workgroup count is folded into the
// 2-D grid that `maxComputeWorkgroupsPerDimension` (65535 by default) allows.
import { RuminateError } from '../../errors.ts';
import type { BufferSlice } from '../../tensor.ts';

/** Where an op records its dispatches: a command encoder (the op opens one pass) or an open compute pass. */
export type EncodeTarget = GPUCommandEncoder | GPUComputePassEncoder;

/** A buffer argument: a whole buffer, or a slice of one (offset aligned to minStorageBufferOffsetAlignment). */
export type BufferArg = GPUBuffer | BufferSlice;

/** The bind-group resource for a buffer argument. */
export function bindingOf(arg: BufferArg): GPUBufferBinding {
  return 'buffer' in arg ? { buffer: arg.buffer, offset: arg.offset, size: arg.size } : { buffer: arg };
}

/** Byte length bound for a buffer argument. */
export function byteLengthOf(arg: BufferArg): number {
  return arg.size;
}

/** Runs `record` inside a compute pass: the caller's pass, or one opened and closed on its encoder. */
export function withPass(
  target: EncodeTarget,
  label: string,
  record: (pass: GPUComputePassEncoder) => void,
): void {
  if ('beginComputePass' in target) {
    const pass = target.beginComputePass({ label });
    record(pass);
    pass.end();
  } else {
    record(target);
  }
}

/** A 2-D grid with at least `count` workgroups (x ≤ maxPerDim); kernels linearise it as y·gridX + x. */
export function grid(count: number, maxPerDim = 65535): [number, number] {
  if (count <= maxPerDim) return [Math.max(1, count), 1];
  const y = Math.ceil(count / maxPerDim);
  if (y > maxPerDim) {
    throw new RuminateError(
      'invalid-argument',
      `${count} workgroups exceed a ${maxPerDim}² grid; split the call.`,
    );
  }
  return [Math.ceil(count / y), y];
}

/** Throws `invalid-argument` naming `field` unless `ok`. */
export function check(ok: boolean, field: string, message: string): asserts ok {
  if (!ok) throw new RuminateError('invalid-argument', message, { field });
}

/** Bind group over `entries` given in binding order (binding i = entries[i]; undefined: binding i unused). */
export function bindGroup(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  label: string,
  entries: readonly (GPUBuffer | GPUBufferBinding | undefined)[],
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: entries.flatMap((e, binding) =>
      e === undefined ? [] : [{ binding, resource: 'buffer' in e ? e : { buffer: e } }],
    ),
  });
}

/** Records one dispatch of `pipeline` (bind group 0: `group`) over x·y·z workgroups, in the caller's pass or one of its own named `label`. */
export function dispatch(
  target: EncodeTarget,
  label: string,
  pipeline: GPUComputePipeline,
  group: GPUBindGroup,
  x: number,
  y = 1,
  z = 1,
): void {
  withPass(target, label, (pass) => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
  });
}
