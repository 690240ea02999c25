import { type DeviceProfile, measureDeviceProfile } from '@ruminate/gpu';
import type { ProfileMessage } from './device-profile-message.ts';

declare global {
  interface Window {
    /** Set when both profiles are measured (or one failed), for the e2e test to read. */
    __ruminateProfiles?: { page?: DeviceProfile; worker?: DeviceProfile; error?: string };
  }
}

function row(label: string, p: DeviceProfile): string {
  return `<tr><th>${label}</th><td>${p.adapter.vendor} / ${p.adapter.architecture}</td><td>${p.bandwidthGBps.toFixed(2)} GB/s</td><td>${p.matmulGflops.toFixed(3)} GFLOP/s</td><td>${p.dispatchUs.toFixed(1)} µs</td><td>${p.readbackMs.toFixed(3)} ms</td></tr>`;
}

function profileInWorker(): Promise<DeviceProfile> {
  const worker = new Worker(new URL('./device-worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<ProfileMessage>) => {
      worker.terminate();
      e.data.ok ? resolve(e.data.profile) : reject(new Error(`worker: ${e.data.error}`));
    };
    worker.onerror = (e) => reject(new Error(`worker failed: ${e.message}`));
  });
}

async function main() {
  const status = document.getElementById('status') as HTMLElement;
  try {
    const page = await measureDeviceProfile();
    const worker = await profileInWorker();
    window.__ruminateProfiles = { page, worker };
    status.textContent = 'done';
    (document.getElementById('out') as HTMLElement).innerHTML =
      `<table><tr><th>where</th><th>adapter</th><th>copy</th><th>matmul 512³</th><th>dispatch</th><th>readback</th></tr>${row('page', page)}${row('worker', worker)}</table>`;
  } catch (e) {
    window.__ruminateProfiles = { error: String((e as Error).message ?? e) };
    status.textContent = `error: ${(e as Error).message}`;
  }
}
void main();
