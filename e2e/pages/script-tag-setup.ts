// The script-tag page's engine, set through the bundle's own API after the classic script ran
// and before the elements start loading: with ?engine=runtime&model=<GGUF URL>, the runtime's
// engine in a Web Worker (same-origin worker file) on the given model; otherwise the scripted
// demo model (CPU, deterministic).
import { connectEngine } from '@ruminate/runtime';
import { demoEngine } from '../../apps/playground/src/demo-model.ts';

const params = new URLSearchParams(location.search);
const model = params.get('model');
for (const el of document.querySelectorAll('ruminate-chat')) {
  if (model) el.setAttribute('model', model);
  const maxTokens = params.get('max-tokens');
  if (maxTokens) el.setAttribute('max-tokens', maxTokens);
}
if (params.get('engine') === 'runtime') {
  window.Ruminate.setDefaultEngine(() => {
    const worker = new Worker(new URL('./script-tag-worker.ts', import.meta.url), { type: 'module' });
    return connectEngine(worker) as unknown as ReturnType<typeof demoEngine>;
  });
} else {
  window.Ruminate.setDefaultEngine(() => demoEngine({ stepDelayMs: 10 }));
}
