import { RuminateError } from '../errors.ts';

/** Values a structural variant is chosen by: `true` enables `#if NAME` blocks. */
export type Defines = Readonly<Record<string, boolean>>;

/**
 * The smallest preprocessor that covers WGSL's structural variants (what `override`
 * constants cannot express: f16 types, subgroup builtins, vector widths).
 *
 * Lines `#if NAME`, `#if !NAME`, `#else`, `#endif` (nestable) select text; every other
 * line passes through. An undefined name is false. Line count is preserved (removed
 * lines become empty) so compiler messages keep their line numbers.
 */
export function preprocess(source: string, defines: Defines = {}): string {
  const out: string[] = [];
  // Each frame: is this branch active, and was any branch of this #if taken.
  const stack: { active: boolean; taken: boolean; parentActive: boolean }[] = [];
  const active = () => stack.every((f) => f.active);
  const lines = source.split('\n');
  lines.forEach((line, i) => {
    const directive = /^\s*#(if|else|endif)\b\s*(!?)\s*([A-Za-z_][A-Za-z0-9_]*)?\s*$/.exec(line);
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
  return out.join('\n');
}
