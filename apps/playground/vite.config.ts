import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The playground is a static site: `pnpm --filter ./apps/playground build` → apps/playground/dist.
export default defineConfig({
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
});
