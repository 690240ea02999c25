// Builds the single-file bundles into dist/: ruminate-<version>.js (IIFE for a <script> tag,
// sets window.Ruminate) and ruminate-<version>.mjs (ES module), both minified with source maps,
// ruminate-worker-<version>.js (the engine's module worker, found beside either bundle),
// ruminate-xgrammar-<version>.js (the grammar engine, loaded by the worker only to constrain
// output), then the type declarations (dist/types). Run: pnpm --filter @ruminate/script build
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig } from 'vite';
import { emitDeclarations } from './declarations.ts';
import { shippedWorker } from './shipped-worker-plugin.ts';
import { copyXgrammar, xgrammarExternal } from './xgrammar-file.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const outDir = join(root, 'dist');
rmSync(outDir, { recursive: true, force: true });

const common = (entry: string, format: 'es' | 'iife', file: string): InlineConfig => ({
  configFile: false,
  root,
  logLevel: 'warn',
  plugins: [shippedWorker],
  // A classic script has no import.meta; the bundle finds itself through document.currentScript.
  define: {
    'process.env.NODE_ENV': '"production"',
    ...(format === 'iife' ? { 'import.meta.url': 'undefined' } : {}),
  },
  worker: { format: 'es' },
  build: {
    outDir,
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: true,
    minify: true,
    lib: { entry: join(root, entry), formats: [format], name: 'Ruminate', fileName: () => file },
    // One file: the runtime's lazy imports are inlined too, except the grammar engine's (its own file).
    rolldownOptions: xgrammarExternal(pkg.version),
  },
});

await build(common('src/index.ts', 'es', `ruminate-${pkg.version}.mjs`));
await build(common('src/global.ts', 'iife', `ruminate-${pkg.version}.js`));
await build(common('src/worker.ts', 'es', `ruminate-worker-${pkg.version}.js`));

copyXgrammar(outDir, pkg.version, join(root, '../runtime'));
emitDeclarations(root);
console.log(
  `built dist/ruminate-${pkg.version}.{js,mjs}, dist/ruminate-worker-${pkg.version}.js, ` +
    `dist/ruminate-xgrammar-${pkg.version}.js (loaded only to constrain output) and dist/types`,
);
