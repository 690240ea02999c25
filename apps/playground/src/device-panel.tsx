import {
  type DeviceProfile,
  defaultTuningStore,
  measureDeviceProfile,
  type TuningRecord,
} from '@ruminate/gpu';
import type { DeviceInfo } from '@ruminate/react';
import { useState } from 'react';
import { BACKEND_NAMES, describeBackend, type LoadedOn } from './backend.ts';

type State =
  | { kind: 'idle' }
  | { kind: 'measuring' }
  | { kind: 'ready'; profile: DeviceProfile; tuned: [string, TuningRecord][] }
  | { kind: 'error'; message: string };

const yes = (b: boolean) => (b ? 'yes' : 'no');

/**
 * What this browser can run a model on: the backend the loaded model runs on (with its threads,
 * and why only one where so), the WebGPU adapter, the WebAssembly CPU backend's features, and
 * on request the WebGPU adapter's measured speed and the tuner's choices.
 */
export function DevicePanel(props: { device: DeviceInfo | null; loadedOn: LoadedOn | null }) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const d = props.device;
  const on = props.loadedOn;
  const measure = () => {
    setState({ kind: 'measuring' });
    Promise.all([
      measureDeviceProfile(),
      defaultTuningStore()
        .then((store) => store.load())
        .catch((): Record<string, TuningRecord> => ({})),
    ]).then(
      ([profile, records]) => setState({ kind: 'ready', profile, tuned: Object.entries(records) }),
      (e: Error) => setState({ kind: 'error', message: e.message }),
    );
  };
  const single = on?.backend === 'wasm' && on.threads && on.threads.count <= 1;
  return (
    <section className="panel" aria-labelledby="device-h">
      <h2 id="device-h">Your device</h2>
      {d === null && <p>Looking for WebGPU and WebAssembly…</p>}
      {on?.backend && (
        <p data-testid="backend" className="backend">
          The model runs on <strong>{describeBackend(on)}</strong>.
          {single && on.threads ? ` One thread: ${on.threads.reason}` : ''}
        </p>
      )}
      {d && (
        <table data-testid="backends">
          <caption className="sr-only">What this browser can compute on</caption>
          <tbody>
            <tr>
              <th scope="row">WebGPU</th>
              <td data-testid="adapter">
                {d.webgpu
                  ? `${[d.vendor, d.architecture, d.description].filter(Boolean).join(' / ') || 'unnamed adapter'}${d.cpuAdapter ? ' (computes on the CPU)' : ''}; features: ${d.features.join(', ') || 'none'}.`
                  : d.problem}
              </td>
            </tr>
            <tr>
              <th scope="row">WebAssembly</th>
              <td data-testid="wasm">
                {d.wasm.problem ??
                  `SIMD128 ${yes(d.wasm.simd128)}; relaxed SIMD ${yes(d.wasm.relaxedSimd)}; threads ${yes(d.wasm.threads)}; cross-origin isolated ${yes(d.wasm.crossOriginIsolated)}; ${d.wasm.hardwareConcurrency} core${d.wasm.hardwareConcurrency === 1 ? '' : 's'}.`}
              </td>
            </tr>
            <tr>
              <th scope="row">Auto picks</th>
              <td data-testid="auto-backend">
                {d.autoBackend
                  ? `${BACKEND_NAMES[d.autoBackend]}${
                      d.autoBackend === 'wasm'
                        ? `, ${d.wasm.defaultThreads} thread${d.wasm.defaultThreads === 1 ? '' : 's'} (${d.webgpu ? 'the WebGPU adapter computes on the CPU' : 'no WebGPU here'})`
                        : ''
                    }`
                  : 'Nothing: this browser has neither WebGPU nor WebAssembly SIMD.'}
              </td>
            </tr>
          </tbody>
        </table>
      )}
      {d && !on && d.wasm.available && d.wasm.defaultThreads === 1 && d.wasm.singleThreadReason && (
        <p className="notes" data-testid="threads-note">
          {d.wasm.singleThreadReason}
        </p>
      )}
      {d?.webgpu && state.kind === 'idle' && (
        <button type="button" onClick={measure}>
          Measure WebGPU bandwidth and GFLOP/s
        </button>
      )}
      {state.kind === 'measuring' && <p aria-live="polite">Measuring bandwidth and matmul speed…</p>}
      {state.kind === 'error' && <p role="alert">WebGPU is not usable here: {state.message}</p>}
      {state.kind === 'ready' && <ProfileTable profile={state.profile} tuned={state.tuned} />}
    </section>
  );
}

function ProfileTable({ profile: p, tuned }: { profile: DeviceProfile; tuned: [string, TuningRecord][] }) {
  const rows: [string, string][] = [
    ['Adapter', `${p.adapter.vendor} / ${p.adapter.architecture} ${p.adapter.description}`.trim()],
    ['Features', p.features.join(', ') || 'none'],
    ['Max storage binding', `${((p.limits.maxStorageBufferBindingSize ?? 0) / 2 ** 20).toFixed(0)} MiB`],
    ['Max buffer', `${((p.limits.maxBufferSize ?? 0) / 2 ** 20).toFixed(0)} MiB`],
    ['Max workgroup invocations', String(p.limits.maxComputeInvocationsPerWorkgroup ?? '—')],
    ['Copy bandwidth', `${p.bandwidthGBps.toFixed(2)} GB/s`],
    ['f32 matmul', `${p.matmulGflops.toFixed(3)} GFLOP/s`],
    ['Dispatch + submit', `${p.dispatchUs.toFixed(1)} µs`],
    ['Readback', `${p.readbackMs.toFixed(3)} ms`],
  ];
  return (
    <>
      <table>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Tuner's choices</h3>
      {tuned.length === 0 ? (
        <p>None yet: kernels are tuned when a model loads, and the winners are kept for this device.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Kernel / shape</th>
              <th scope="col">Chosen config</th>
              <th scope="col">ms (default ms)</th>
            </tr>
          </thead>
          <tbody>
            {tuned.map(([key, r]) => (
              <tr key={key}>
                <td>{key.split('|').slice(1).join(' ')}</td>
                <td>
                  <code>{JSON.stringify(r.config)}</code>
                </td>
                <td>
                  {r.ms.toFixed(3)} ({r.defaultMs.toFixed(3)})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
