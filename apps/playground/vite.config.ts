import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The playground is a static site: `pnpm --filter ./apps/playground build` → apps/playground/dist.
// The bundled model (the first models/*.gguf) is copied to dist/models/ and offered by default.
const modelsDir = join(dirname(fileURLToPath(import.meta.url)), '../../models');
let bundled: string | undefined;
try {
  bundled = readdirSync(modelsDir)
    .filter((f) => f.endsWith('.gguf'))
    .sort()[0];
} catch {
  bundled = undefined;
}

const copyModel: Plugin = {
  name: 'ruminate-bundled-model',
  apply: 'build',
  generateBundle() {
    if (bundled)
      this.emitFile({
        type: 'asset',
        fileName: `models/${bundled}`,
        source: readFileSync(join(modelsDir, bundled)),
      });
  },
};

export default defineConfig({
  base: './',
  plugins: [react(), copyModel],
  logLevel: 'warn',
  define: { 'import.meta.env.VITE_RUMINATE_MODEL': JSON.stringify(bundled ? `./models/${bundled}` : '') },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
});
