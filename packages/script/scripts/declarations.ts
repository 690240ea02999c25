// Type declarations for a package whose bundle inlines workspace packages: tsc emits them for the
// package and every @ruminate/* source it reaches (tsconfig.build.json maps @ruminate/* to
// ../*/src/index.ts), side by side under dist/types/<package>/src; then `.ts` import suffixes
// become `.js` and @ruminate/* specifiers become relative paths, so consumers need nothing else.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });

/** Emits and rewrites the declarations of the package at `root` into `root/dist/types`. */
export function emitDeclarations(root: string): void {
  const typesDir = join(root, 'dist', 'types');
  execFileSync('pnpm', ['exec', 'tsc', '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const file of walk(typesDir).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8')
      .replace(/((?:from |import\()(['"])\.{1,2}\/[^'"]*)\.tsx?\2/g, '$1.js$2')
      .replace(/(from |import\()(['"])@ruminate\/([a-z-]+)\2/g, (_m, kw: string, q: string, name: string) => {
        let rel = relative(dirname(file), join(typesDir, name, 'src', 'index.js'));
        if (!rel.startsWith('.')) rel = `./${rel}`;
        return `${kw}${q}${rel}${q}`;
      });
    writeFileSync(file, text);
  }
}
