// Builds the single-file bundles into dist/: ruminate-<version>.js (IIFE for a <script> tag,
// sets window.Ruminate) and ruminate-<version>.mjs (ES module), both minified with source maps,
// then the type declarations (dist/types). Run: pnpm --filter @ruminate/script build
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const outDir = join(root, 'dist');
rmSync(outDir, { recursive: true, force: true });

const common = (entry: string, format: 'es' | 'iife', file: string): InlineConfig => ({
  configFile: false,
  root,
  logLevel: 'warn',
  define: { 'process.env.NODE_ENV': '"production"' },
  worker: { format: 'es' },
  build: {
    outDir,
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: true,
    minify: true,
    lib: { entry: join(root, entry), formats: [format], name: 'Ruminate', fileName: () => file },
    // One file: the runtime's lazy import is inlined too.
    rolldownOptions: { output: { codeSplitting: false } },
  },
});

await build(common('src/index.ts', 'es', `ruminate-${pkg.version}.mjs`));
await build(common('src/global.ts', 'iife', `ruminate-${pkg.version}.js`));

// Declarations: emitted for this package and the workspace packages it bundles (their sources
// sit side by side under dist/types/<package>/src), with @ruminate/* imports made relative.
const typesDir = join(outDir, 'types');
execFileSync('pnpm', ['exec', 'tsc', '-p', join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
for (const file of walk(typesDir).filter((f) => f.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8')
    .replace(/((?:from |import\()(['"])\.{1,2}\/[^'"]*)\.ts\2/g, '$1.js$2')
    .replace(/(from |import\()(['"])@ruminate\/([a-z-]+)\2/g, (_m, kw: string, q: string, name: string) => {
      let rel = relative(dirname(file), join(typesDir, name, 'src', 'index.js'));
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return `${kw}${q}${rel}${q}`;
    });
  writeFileSync(file, text);
}
console.log(`built dist/ruminate-${pkg.version}.{js,mjs} and dist/types`);
