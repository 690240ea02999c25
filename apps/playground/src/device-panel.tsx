import {
  type DeviceProfile,
  defaultTuningStore,
  measureDeviceProfile,
  type TuningRecord,
} from '@ruminate/gpu';
import type { DeviceInfo } from '@ruminate/react';
import { useState } from 'react';

type State =
  | { kind: 'idle' }
  | { kind: 'measuring' }
  | { kind: 'ready'; profile: DeviceProfile; tuned: [string, TuningRecord][] }
  | { kind: 'error'; message: string };

/** The browser's WebGPU device: adapter, features, limits, measured speed and the tuner's choices (measured on request). */
export function DevicePanel(props: { device: DeviceInfo | null }) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const d = props.device;
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
  return (
    <section className="panel" aria-labelledby="device-h">
      <h2 id="device-h">Your device</h2>
      {d === null && <p>Looking for WebGPU…</p>}
      {d && !d.webgpu && (
        <p role="alert" className="warn">
          {d.problem} You can still try the scripted demo model.
        </p>
      )}
      {d?.webgpu && state.kind !== 'ready' && (
        <p data-testid="adapter">
          {`Adapter: ${[d.vendor, d.architecture, d.description].filter(Boolean).join(' / ') || 'unnamed'}; features: ${d.features.join(', ') || 'none'}.`}
        </p>
      )}
      {d?.webgpu && state.kind === 'idle' && (
        <button type="button" onClick={measure}>
          Measure bandwidth and GFLOP/s
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
