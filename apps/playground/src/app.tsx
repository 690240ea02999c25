import { DevicePanel } from './device-panel.tsx';

/** The playground's shell. */
export function App() {
  return (
    <main style={{ font: '15px system-ui, sans-serif', maxWidth: 960, margin: '0 auto', padding: '1rem' }}>
      <h1>Ruminate playground</h1>
      <DevicePanel />
    </main>
  );
}
