// Loads XGrammar (`@mlc-ai/web-xgrammar`: the C++ grammar engine compiled to WebAssembly, the
// one WebLLM, vLLM and SGLang use) on first use, so a page that never constrains output never
// downloads its ~390 kB (gzipped). The package is a UMD bundle with its wasm inlined: bundlers
// and browsers import it; Node's ESM loader cannot (it calls `require`), so in Node the file is
// evaluated as the CommonJS module it also is.

import type * as Xgrammar from '@mlc-ai/web-xgrammar';
import { RuminateError } from '@ruminate/errors';

/** The XGrammar API this runtime uses. */
export type XgrammarApi = Pick<
  typeof Xgrammar,
  'Grammar' | 'GrammarCompiler' | 'GrammarMatcher' | 'TokenizerInfo'
>;

const isNode =
  typeof process !== 'undefined' &&
  typeof process.versions?.node === 'string' &&
  typeof (globalThis as { window?: unknown }).window === 'undefined';

/** Imports a Node-only module by a specifier bundlers do not follow. */
const nodeImport = <T>(specifier: string): Promise<T> => import(/* @vite-ignore */ specifier);

let loading: Promise<XgrammarApi> | undefined;
let hooked = false;
/** Messages the engine printed while a `guarded` call ran (it reports errors on stderr, then aborts). */
let captured: string[] | undefined;

/**
 * XGrammar reports a bad schema or grammar by printing `[FATAL] file:line: message` to stderr
 * (Emscripten's `printErr`, bound to `console.error` when the module starts) and throwing a
 * bare `Aborted()`. Routing `console.error` through this hook before the module starts lets
 * `guarded` turn that into the message itself; everything else passes through unchanged.
 */
function hookStderr(): void {
  if (hooked) return;
  hooked = true;
  const original = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (captured && (text.includes('[FATAL]') || text.startsWith('Aborted('))) captured.push(text);
    else original(...args);
  };
}

/** Runs an XGrammar call; a failure becomes `{ error }` with the engine's own message (file and line stripped). */
export async function guarded<T>(call: () => Promise<T> | T): Promise<{ value: T } | { error: string }> {
  const outer = captured;
  captured = [];
  try {
    return { value: await call() };
  } catch (e) {
    const fatal = captured.find((m) => m.includes('[FATAL]'));
    const message = fatal
      ? fatal.replace(/^.*\[FATAL\]\s*\S+:\d+:\s*/s, '')
      : String((e as Error)?.message ?? e);
    return { error: message.trim() };
  } finally {
    captured = outer;
  }
}

/** XGrammar, loaded once per worker (or process). */
export function loadXgrammar(): Promise<XgrammarApi> {
  hookStderr();
  loading ??= (isNode ? loadInNode() : loadInBrowser()).catch((cause) => {
    loading = undefined;
    throw new RuminateError(
      'grammar-unavailable',
      `The grammar engine (@mlc-ai/web-xgrammar) could not be loaded: ${String(cause)}. ` +
        'Constrained output needs it installed with @ruminate/runtime.',
      { cause },
    );
  });
  return loading;
}

function pickApi(mod: unknown): XgrammarApi {
  for (const candidate of [
    mod,
    (mod as { default?: unknown })?.default,
    (globalThis as { xgrammar?: unknown }).xgrammar,
  ]) {
    if (candidate && typeof (candidate as XgrammarApi).GrammarCompiler === 'function')
      return candidate as XgrammarApi;
  }
  throw new Error('the module does not export GrammarCompiler');
}

async function loadInBrowser(): Promise<XgrammarApi> {
  return pickApi(await import('@mlc-ai/web-xgrammar'));
}

async function loadInNode(): Promise<XgrammarApi> {
  const { createRequire } = await nodeImport<typeof import('node:module')>('node:module');
  const { readFileSync } = await nodeImport<typeof import('node:fs')>('node:fs');
  const { dirname } = await nodeImport<typeof import('node:path')>('node:path');
  const require = createRequire(import.meta.url);
  const file = require.resolve('@mlc-ai/web-xgrammar');
  const module = { exports: {} as Record<string, unknown> };
  // The bundle's CommonJS branch: `factory(exports)`. `process` is hidden so Emscripten takes
  // its plain-JavaScript path (the wasm is inlined as base64; nothing is read from disk), whose
  // Node path would `import()` from inside this evaluated code, which vm contexts refuse.
  const evaluate = new Function(
    'exports',
    'module',
    'require',
    '__filename',
    '__dirname',
    'process',
    readFileSync(file, 'utf8'),
  );
  evaluate(module.exports, module, require, file, dirname(file), undefined);
  return pickApi(module.exports);
}
