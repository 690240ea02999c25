// Builds dist/index.js (ES module; react and @ruminate/controller stay external) and the type
// declarations (dist/types). Run: pnpm --filter @ruminate/react build
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { emitDeclarations } from '../../script/scripts/declarations.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  configFile: false,
  root,
  logLevel: 'warn',
  build: {
    outDir: join(root, 'dist'),
    target: 'es2022',
    sourcemap: true,
    minify: false,
    lib: { entry: join(root, 'src/index.ts'), formats: ['es'], fileName: () => 'index.js' },
    rolldownOptions: { external: [/^react($|\/)/, /^react-dom($|\/)/, /^@ruminate\//] },
  },
});
emitDeclarations(root);
console.log('built dist/index.js and dist/types');
