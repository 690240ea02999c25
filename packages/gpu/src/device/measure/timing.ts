/** Median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Milliseconds the GPU work recorded by `record` takes, measured on the wall clock from
 * submit to `onSubmittedWorkDone` (copies cannot carry timestamp queries, and this also
 * works on adapters without `timestamp-query`).
 */
export async function timeSubmit(
  device: GPUDevice,
  record: (encoder: GPUCommandEncoder) => void,
): Promise<number> {
  const encoder = device.createCommandEncoder();
  record(encoder);
  const commands = encoder.finish();
  const start = performance.now();
  device.queue.submit([commands]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}
