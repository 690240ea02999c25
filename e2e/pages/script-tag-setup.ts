// The script-tag page's engine: the runtime's worker engine when ?engine=runtime (a real GGUF in
// the model attributes), else the scripted demo model (CPU, deterministic), set through the
// bundle's own API. Runs after the classic bundle, before the elements start loading.
import { demoEngine } from '../../apps/playground/src/demo-model.ts';

const params = new URLSearchParams(location.search);
const model = params.get('model');
if (model) for (const el of document.querySelectorAll('ruminate-chat')) el.setAttribute('model', model);
if (params.get('engine') !== 'runtime')
  window.Ruminate.setDefaultEngine(() => demoEngine({ stepDelayMs: 10 }));
