// Size check of the built bundles: raw and gzipped bytes of each file, and the "core" (the bundle
// minus the embedded WGSL kernel sources, gzipped separately). Fails when the core passes the
// limit. Run after the build: pnpm --filter @ruminate/script run size
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { kernelSources } from '@ruminate/gpu';

const LIMIT_CORE_GZIP = 150_000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const gz = (s: string | Buffer) => gzipSync(s, { level: 9 }).length;

const rows: { file: string; bytes: number; gzip: number; wgslGzip: number; coreGzip: number }[] = [];
for (const file of [`ruminate-${version}.js`, `ruminate-${version}.mjs`]) {
  let text = readFileSync(join(root, 'dist', file), 'utf8');
  const bytes = Buffer.byteLength(text);
  const gzip = gz(text);
  // Cut every embedded WGSL source out of the bundle text (minifiers keep them as string literals,
  // possibly with escaped newlines), then gzip what is left.
  let wgsl = '';
  for (const src of Object.values(kernelSources)) {
    for (const form of [JSON.stringify(src).slice(1, -1), `\`${src}\``.slice(1, -1), src]) {
      if (text.includes(form)) {
        text = text.replace(form, '');
        wgsl += src;
        break;
      }
    }
  }
  rows.push({ file, bytes, gzip, wgslGzip: wgsl ? gz(wgsl) : 0, coreGzip: gz(text) });
}
const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
console.log('file                     raw        gzip       wgsl(gz)   core(gz)');
for (const r of rows) {
  console.log(
    `${r.file.padEnd(24)} ${kB(r.bytes).padEnd(10)} ${kB(r.gzip).padEnd(10)} ${kB(r.wgslGzip).padEnd(10)} ${kB(r.coreGzip)}`,
  );
}
writeFileSync(
  join(root, 'dist', 'size.json'),
  `${JSON.stringify({ version, limitCoreGzip: LIMIT_CORE_GZIP, rows }, null, 2)}\n`,
);
const over = rows.filter((r) => r.coreGzip > LIMIT_CORE_GZIP);
if (over.length) {
  console.error(`core over ${kB(LIMIT_CORE_GZIP)} gzipped: ${over.map((r) => r.file).join(', ')}`);
  process.exit(1);
}
