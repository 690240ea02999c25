import { RuminateError } from '../errors.ts';

/** Values a structural variant is chosen by: `true` enables `#if NAME` blocks. */
export type Defines = Readonly<Record<string, boolean>>;

/** Repeat counts of `#unroll VAR NAME` blocks, by NAME (whole numbers ≥ 0). */
export type UnrollCounts = Readonly<Record<string, number>>;

/**
 * The smallest preprocessor that covers WGSL's structural variants (what `override`
 * constants cannot express: f16 types, subgroup builtins, vector widths).
 *
 * Lines `#if NAME`, `#if !NAME`, `#else`, `#endif` (nestable) select text; every other
 * line passes through. An undefined name is false. Line count is preserved (removed
 * lines become empty) so compiler messages keep their line numbers.
 *
 * `#unroll VAR NAME` … `#endunroll` repeats the lines between `counts[NAME]` times with `${VAR}`
 * replaced by 0, 1, …: a loop over a size fixed at specialisation (a head dim) unrolled, so
 * what it indexes can live in registers. Each line is repeated in place, its copies joined onto
 * it (line numbers still hold), so every copy of a line comes before the next line: the copies
 * must not depend on each other across lines (independent statements, one variable per index).
 * Blocks nest (a line repeats over every open block's index); they hold no `#if`.
 */
export function preprocess(source: string, defines: Defines = {}, counts: UnrollCounts = {}): string {
  const out: string[] = [];
  // Open #unroll blocks, outermost first.
  const unrolls: { variable: RegExp; times: number }[] = [];
  // Each frame: is this branch active, and was any branch of this #if taken.
  const stack: { active: boolean; taken: boolean; parentActive: boolean }[] = [];
  const active = () => stack.every((f) => f.active);
  const lines = source.split('\n');
  lines.forEach((line, i) => {
    const loop =
      /^\s*#(unroll|endunroll)\b\s*(?:([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z_][A-Za-z0-9_]*))?\s*$/.exec(line);
    if (loop) {
      const [, kind, variable, name] = loop;
      if (kind === 'unroll') {
        const times = name ? counts[name] : undefined;
        if (!variable || times === undefined || !(Number.isInteger(times) && times >= 0)) {
          throw new RuminateError(
            'shader-compile',
            `WGSL preprocessor: line ${i + 1} needs #unroll VAR NAME with counts.NAME a whole number (${line.trim()}).`,
          );
        }
        unrolls.push({ variable: new RegExp(`\\$\\{${variable}\\}`, 'g'), times });
      } else if (!unrolls.pop()) {
        throw new RuminateError(
          'shader-compile',
          `WGSL preprocessor: #endunroll without #unroll on line ${i + 1}`,
        );
      }
      out.push('');
      return;
    }
    const directive = /^\s*#(if|else|endif)\b\s*(!?)\s*([A-Za-z_][A-Za-z0-9_]*)?\s*$/.exec(line);
    if (unrolls.length > 0) {
      if (/^\s*#/.test(line)) {
        throw new RuminateError(
          'shader-compile',
          `WGSL preprocessor: directive inside #unroll on line ${i + 1}`,
        );
      }
      let copies = [line];
      for (const { variable, times } of unrolls) {
        copies = copies.flatMap((c) =>
          Array.from({ length: times }, (_, n) => c.replace(variable, String(n))),
        );
      }
      out.push(active() ? copies.join(' ') : '');
      return;
    }
    if (!directive) {
      if (/^\s*#(if|else|endif|elif|ifdef|define)\b/.test(line)) {
        throw new RuminateError(
          'shader-compile',
          `WGSL preprocessor: unsupported directive on line ${i + 1}: ${line}`,
        );
      }
      out.push(active() ? line : '');
      return;
    }
    const [, kind, negate, name] = directive;
    if (kind === 'if') {
      if (!name)
        throw new RuminateError('shader-compile', `WGSL preprocessor: #if without a name on line ${i + 1}`);
      const cond = (defines[name] === true) !== (negate === '!');
      stack.push({ active: cond, taken: cond, parentActive: active() });
    } else if (kind === 'else') {
      const top = stack.at(-1);
      if (!top)
        throw new RuminateError('shader-compile', `WGSL preprocessor: #else without #if on line ${i + 1}`);
      top.active = !top.taken;
      top.taken = true;
    } else {
      if (!stack.pop())
        throw new RuminateError('shader-compile', `WGSL preprocessor: #endif without #if on line ${i + 1}`);
    }
    out.push('');
  });
  if (stack.length > 0) throw new RuminateError('shader-compile', 'WGSL preprocessor: unterminated #if');
  if (unrolls.length > 0)
    throw new RuminateError('shader-compile', 'WGSL preprocessor: unterminated #unroll');
  return out.join('\n');
}
