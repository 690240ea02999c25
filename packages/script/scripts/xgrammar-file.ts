// The grammar engine ships as a file of its own beside the bundles: XGrammar's wasm is ~390 kB
// gzipped and only a page that constrains output needs it. The runtime imports it lazily in the
// worker; these single-file builds leave that import out and point it at the sibling file.
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const XGRAMMAR = '@mlc-ai/web-xgrammar';

/** File name of the grammar engine beside the bundles. */
export const xgrammarFile = (version: string): string => `ruminate-xgrammar-${version}.js`;

/** Rolldown options that keep XGrammar out of a bundle and load it from its sibling file. */
export const xgrammarExternal = (version: string) => ({
  external: [XGRAMMAR],
  output: { codeSplitting: false, paths: { [XGRAMMAR]: `./${xgrammarFile(version)}` } },
});

/** Copies XGrammar's browser build (a UMD that also loads as an ES module) into `outDir`. */
export function copyXgrammar(outDir: string, version: string, from: string): void {
  const require = createRequire(join(from, 'package.json'));
  copyFileSync(require.resolve(XGRAMMAR), join(outDir, xgrammarFile(version)));
}
