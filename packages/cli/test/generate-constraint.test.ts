// `generate --json-schema FILE | --json-object | --grammar FILE | --regex PATTERN`: the options
// become the API's constraint (the same mapping as response_format / grammar / regex), files are
// read with typed errors naming the flag, and on the bundled model (WebAssembly backend, one
// thread) a grammar forcing method B holds for the plain path and under self-consistency.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRuminateError } from '@ruminate/errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../../tools/fixtures/standard-fixtures.ts';
import { generateCommand, strategyRequest } from '../src/commands/generate.ts';

const dir = mkdtempSync(join(tmpdir(), 'ruminate-cli-constraint-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const METHOD_B = [
  'root ::= "B:" step ("," step)* "#" num',
  'step ::= num ("*" | "+") num "=" num',
  'num ::= [0-9]+',
].join('\n');
const METHOD_B_RE = /^B:\d+[*+]\d+=\d+(,\d+[*+]\d+=\d+)*#\d+$/;

/** The typed error a call throws: its code, field and message. */
function failure(f: () => unknown): { code: string; field?: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isRuminateError(e)) return { code: e.code, field: e.field, message: e.message };
    return { code: 'untyped', message: String(e) };
  }
  return { code: 'no error', message: '' };
}

afterEach(() => vi.restoreAllMocks());

describe('generate structured-output options', () => {
  it('--json-schema FILE becomes a json_schema constraint and the response schema', () => {
    const schema = { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] };
    const r = strategyRequest({
      prompt: 'p',
      strategy: 'sc',
      'json-schema': file('point.json', JSON.stringify(schema)),
    });
    expect(r.constraint).toEqual({ kind: 'json_schema', schema });
    expect(r.responseSchema).toEqual(schema);
  });

  it('--json-object, --grammar FILE and --regex map to JSON mode, a grammar and a regex', () => {
    expect(strategyRequest({ prompt: 'p', 'json-object': true }).constraint).toEqual({ kind: 'json_object' });
    expect(strategyRequest({ prompt: 'p', grammar: file('b.gbnf', METHOD_B) }).constraint).toEqual({
      kind: 'grammar',
      grammar: METHOD_B,
    });
    expect(strategyRequest({ prompt: 'p', regex: '[0-9]+' }).constraint).toEqual({
      kind: 'regex',
      pattern: '[0-9]+',
    });
    const free = strategyRequest({ prompt: 'p' });
    expect(free.constraint).toBeUndefined();
    expect(free.responseSchema).toBeUndefined();
  });

  it('bad files and combinations are typed errors that name the flag', () => {
    const missing = join(dir, 'nope.json');
    expect(failure(() => strategyRequest({ prompt: 'p', 'json-schema': missing }))).toMatchObject({
      code: 'invalid-argument',
      field: 'json-schema',
      message: expect.stringMatching(/^--json-schema: cannot read ".*nope\.json" \(ENOENT\)/),
    });
    expect(
      failure(() => strategyRequest({ prompt: 'p', 'json-schema': file('bad.json', '{"type": ') })),
    ).toMatchObject({
      code: 'invalid-schema',
      field: 'json-schema',
      message: expect.stringMatching(/^--json-schema: ".*bad\.json" is not JSON/),
    });
    expect(
      failure(() => strategyRequest({ prompt: 'p', 'json-schema': file('arr.json', '[1]') })),
    ).toMatchObject({
      code: 'invalid-schema',
      message: expect.stringContaining('an array, not a JSON Schema object'),
    });
    expect(failure(() => strategyRequest({ prompt: 'p', grammar: join(dir, 'nope.gbnf') }))).toMatchObject({
      code: 'invalid-argument',
      field: 'grammar',
      message: expect.stringMatching(/^--grammar: cannot read/),
    });
    expect(failure(() => strategyRequest({ prompt: 'p', grammar: file('empty.gbnf', ' \n') }))).toMatchObject(
      {
        code: 'invalid-grammar',
        field: 'grammar',
      },
    );
    expect(
      failure(() => strategyRequest({ prompt: 'p', regex: '[0-9]', 'json-object': true })),
    ).toMatchObject({
      code: 'invalid-argument',
      message: expect.stringMatching(/^--json-object and --regex .*at most one/),
    });
  });

  async function run(...argv: string[]): Promise<{ code: number; stdout: string }> {
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await generateCommand.run(argv);
    vi.restoreAllMocks();
    return { code, stdout };
  }
  const model = ['--model', `${REPO_ROOT}/models/mul-q8_0.gguf`, '--backend', 'wasm', '--threads', '1'];

  it('the bundled model keeps to a grammar forcing method B, sampled on the plain path', async () => {
    const args = (seed: string) => [
      ...model,
      '--prompt',
      '47*36=',
      '--temperature',
      '1',
      '--seed',
      seed,
      '--max-tokens',
      '80',
      '--json',
    ];
    // The control: unconstrained, these seeds sample method A.
    const free = await run(...args('2'));
    expect(JSON.parse(free.stdout).text).toMatch(/^A:/);
    const grammar = file('method-b.gbnf', METHOD_B);
    for (const seed of ['2', '4']) {
      const { code, stdout } = await run(...args(seed), '--grammar', grammar);
      expect(code).toBe(0);
      expect(JSON.parse(stdout).text).toMatch(METHOD_B_RE);
    }
  });

  it('and under self-consistency (--strategy sc --n 8): every candidate matches', async () => {
    const { code, stdout } = await run(
      ...model,
      '--prompt',
      '83*21=',
      '--grammar',
      file('method-b-sc.gbnf', METHOD_B),
      '--strategy',
      'sc',
      '--n',
      '8',
      '--max-tokens',
      '80',
      '--seed',
      '3',
      '--json',
    );
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as { text: string; trace: { text: string }[] };
    // (Unconstrained, half of these eight candidates take method A.)
    expect(r.trace).toHaveLength(8);
    for (const c of r.trace) expect(c.text).toMatch(METHOD_B_RE);
    expect(r.text).toMatch(METHOD_B_RE);
  });
});
