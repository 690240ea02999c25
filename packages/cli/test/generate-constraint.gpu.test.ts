// `ruminate generate --grammar FILE --backend webgpu` on the bundled model (WebGPU on SwiftShader)
// in a child process, as a user runs it: the token-mask kernel compiles and applies the grammar's
// masks on the GPU, so every candidate of self-consistency writes method B. (The wasm backend is
// covered, with the argument checks, in generate-constraint.test.ts.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const METHOD_B = [
  'root ::= "B:" step ("," step)* "#" num',
  'step ::= num ("*" | "+") num "=" num',
  'num ::= [0-9]+',
].join('\n');

describe('ruminate generate --grammar on WebGPU (bundled mul model)', () => {
  it('self-consistency under a grammar forcing method B: every candidate keeps to it', {
    timeout: 400_000,
  }, () => {
    const grammar = join(mkdtempSync(join(tmpdir(), 'ruminate-gpu-grammar-')), 'method-b.gbnf');
    writeFileSync(grammar, METHOD_B);
    const stdout = execFileSync(
      'pnpm',
      [
        'run',
        '--reporter=silent',
        'ruminate',
        'generate',
        '--model',
        'models/mul-q8_0.gguf',
        '--backend',
        'webgpu',
        '--prompt',
        '47*36=',
        '--grammar',
        grammar,
        '--strategy',
        'sc',
        '--n',
        '3',
        '--max-tokens',
        '90',
        '--seed',
        '2',
        '--json',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const r = JSON.parse(stdout.trim()) as { text: string; trace: { text: string; finishReason: string }[] };
    expect(r.trace).toHaveLength(3);
    for (const c of r.trace) {
      expect(c.text).toMatch(/^B:\d+[*+]\d+=\d+(,\d+[*+]\d+=\d+)*#\d+$/);
      expect(c.finishReason).toBe('eos');
    }
  });
});
