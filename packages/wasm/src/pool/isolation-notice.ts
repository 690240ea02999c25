/** The two response headers that make a page cross-origin isolated, which WebAssembly threads need. */
export const ISOLATION_HEADERS = [
  'Cross-Origin-Opener-Policy: same-origin',
  'Cross-Origin-Embedder-Policy: require-corp (or credentialless)',
] as const;

/** One sentence naming the headers that would give this page threads (for the console and the DeviceProfile). */
export const ISOLATION_ADVICE =
  'Ruminate runs its CPU backend on one thread because this page is not cross-origin isolated; ' +
  `serve it with the headers "${ISOLATION_HEADERS[0]}" and "${ISOLATION_HEADERS[1]}" to run on every core.`;

let warned = false;

/** Says ISOLATION_ADVICE once per JavaScript realm with console.warn; true when this call said it. */
export function warnNotIsolatedOnce(): boolean {
  if (warned) return false;
  warned = true;
  console.warn(ISOLATION_ADVICE);
  return true;
}
