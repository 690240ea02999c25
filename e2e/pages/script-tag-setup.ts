// The script-tag page's engine. With ?engine=bundle the elements use the bundle's own default:
// the runtime in ruminate-worker-<version>.js beside the bundle (a real GGUF from ?model=).
// Otherwise the scripted demo model (CPU, deterministic), set through the bundle's API after the
// classic script ran and before the elements start loading.
import { demoEngine } from '../../apps/playground/src/demo-model.ts';

const params = new URLSearchParams(location.search);
for (const el of document.querySelectorAll('ruminate-chat')) {
  for (const name of ['model', 'max-tokens']) {
    const v = params.get(name);
    if (v) el.setAttribute(name, v);
  }
}
if (params.get('engine') !== 'bundle')
  window.Ruminate.setDefaultEngine(() => demoEngine({ stepDelayMs: 10 }));
