import { type DeviceProfile, measureDeviceProfile } from '@ruminate/gpu';
import { useEffect, useState } from 'react';

type State =
  | { kind: 'measuring' }
  | { kind: 'ready'; profile: DeviceProfile }
  | { kind: 'error'; message: string };

/** Measures this browser's WebGPU device and shows what it can do. */
export function DevicePanel() {
  const [state, setState] = useState<State>({ kind: 'measuring' });
  useEffect(() => {
    measureDeviceProfile().then(
      (profile) => setState({ kind: 'ready', profile }),
      (e: Error) => setState({ kind: 'error', message: e.message }),
    );
  }, []);
  if (state.kind === 'measuring') return <p aria-live="polite">Measuring your device…</p>;
  if (state.kind === 'error') return <p role="alert">WebGPU is not usable here: {state.message}</p>;
  const p = state.profile;
  const rows: [string, string][] = [
    ['Adapter', `${p.adapter.vendor} / ${p.adapter.architecture} ${p.adapter.description}`],
    ['Features', p.features.join(', ') || 'none'],
    ['Max storage binding', `${((p.limits.maxStorageBufferBindingSize ?? 0) / 2 ** 20).toFixed(0)} MiB`],
    ['Copy bandwidth', `${p.bandwidthGBps.toFixed(2)} GB/s`],
    ['f32 matmul 512³', `${p.matmulGflops.toFixed(3)} GFLOP/s`],
    ['Dispatch + submit', `${p.dispatchUs.toFixed(1)} µs`],
    ['Readback', `${p.readbackMs.toFixed(3)} ms`],
  ];
  return (
    <section aria-labelledby="device-heading">
      <h2 id="device-heading">Your device</h2>
      <table>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row" style={{ textAlign: 'left', paddingRight: '1rem' }}>
                {k}
              </th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
