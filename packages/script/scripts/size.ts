// Size check of the built bundles: raw and gzipped bytes of dist/ruminate-<version>.{js,mjs}, and
// of the "core": the same IIFE bundle rebuilt with the embedded WGSL kernel sources replaced by an
// empty table. Fails when the core passes the limit; writes dist/size.json.
// Run after the build: pnpm --filter @ruminate/script run size
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { shippedWorker } from './shipped-worker-plugin.ts';
import { xgrammarExternal, xgrammarFile } from './xgrammar-file.ts';

const LIMIT_CORE_GZIP = 150_000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const gz = (s: string | Buffer) => gzipSync(s, { level: 9 }).length;
const measure = (file: string) => {
  const text = readFileSync(file);
  return { bytes: text.length, gzip: gz(text) };
};

const coreDir = join(root, 'node_modules/.size-core');
await build({
  configFile: false,
  root,
  logLevel: 'error',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [
    shippedWorker,
    {
      name: 'no-wgsl',
      enforce: 'pre',
      load(id) {
        return id.endsWith('kernels/sources.generated.ts') ? 'export const kernelSources = {};' : null;
      },
    },
  ],
  build: {
    outDir: coreDir,
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    lib: {
      entry: join(root, 'src/global.ts'),
      formats: ['iife'],
      name: 'Ruminate',
      fileName: () => 'core.js',
    },
    rolldownOptions: xgrammarExternal(version),
  },
});
const rows = [
  { file: `ruminate-${version}.js`, ...measure(join(root, 'dist', `ruminate-${version}.js`)) },
  { file: `ruminate-${version}.mjs`, ...measure(join(root, 'dist', `ruminate-${version}.mjs`)) },
  { file: 'core (IIFE without WGSL)', ...measure(join(coreDir, 'core.js')) },
  { file: xgrammarFile(version), ...measure(join(root, 'dist', xgrammarFile(version))) },
];
rmSync(coreDir, { recursive: true, force: true });
const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
console.log('file                          raw         gzip');
for (const r of rows) console.log(`${r.file.padEnd(29)} ${kB(r.bytes).padEnd(11)} ${kB(r.gzip)}`);
const core = rows[2]?.gzip ?? Number.POSITIVE_INFINITY;
writeFileSync(
  join(root, 'dist', 'size.json'),
  `${JSON.stringify({ version, limitCoreGzip: LIMIT_CORE_GZIP, rows }, null, 2)}\n`,
);
if (core > LIMIT_CORE_GZIP) {
  console.error(`core is ${kB(core)} gzipped, over the ${kB(LIMIT_CORE_GZIP)} limit`);
  process.exit(1);
}
