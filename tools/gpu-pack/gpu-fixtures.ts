// The GPU pack's fixture writer (bundled as gpu-fixtures.mjs): writes on the machine the models
// the GPU check measures, so the pack carries none. `gpu`: the peers benchmark's 31M Q4_0 llama
// and a 1.1B-parameter Q4_0 llama of TinyLlama-1.1B's shape with random codes (written in a few
// seconds); `local`: the 31M model and a small random-code model, to prove the same path on a
// CPU adapter in minutes. Prints one JSON object: { fixtures: [{ name, path, parameters, bytes, ms }] }.
//
//   node gpu-fixtures.mjs DIR [--set gpu|local]

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PEER_FIXTURE_NAME, peerFixtureRecipe } from '../../bench/peers/fixture.ts';
import { RuminateError } from '../../packages/errors/src/index.ts';
import { openFileSource, parseGguf } from '../../packages/runtime/src/index.ts';
import type { ModelGgufOptions } from '../fixtures/model-gguf.ts';
import { writeRandomQ4Gguf } from '../fixtures/random-q4-gguf.ts';
import { fixtureFile } from '../fixtures/standard-fixtures.ts';
import { llamaBpeVocab } from '../fixtures/vocab/index.ts';

/** TinyLlama-1.1B's shape (22 layers, width 2048, FFN 5632, 32 query / 4 KV heads of 64): the bench kernels suite's shapes. */
export function llama1bRecipe(): ModelGgufOptions {
  return {
    arch: 'llama',
    seed: 1101,
    weightType: 'q4_0',
    nLayers: 22,
    nEmbd: 2048,
    nHeads: 32,
    nKvHeads: 4,
    nFf: 5632,
    contextLength: 2048,
    outputScale: 8,
    name: 'ruminate-random-llama-q4_0-1b',
    tokenizer: llamaBpeVocab({ asciiOnly: true, size: 32000 }).metadata,
  };
}

/** A 2-layer stand-in for the 1B model, written by the same random-code writer (the `local` set). */
export function llamaSmallRandomRecipe(): ModelGgufOptions {
  return {
    ...llama1bRecipe(),
    nLayers: 2,
    nEmbd: 512,
    nHeads: 8,
    nKvHeads: 4,
    nFf: 1376,
    name: 'ruminate-random-llama-q4_0-small',
  };
}

/** One written fixture. */
export interface WrittenFixture {
  /** Short name gpu-run.sh uses (`31m`, `1b`, `small`). */
  name: string;
  path: string;
  parameters: number;
  bytes: number;
  /** Time to write it. */
  ms: number;
}

async function described(name: string, path: string, started: number): Promise<WrittenFixture> {
  const source = await openFileSource(path);
  try {
    const header = await parseGguf(source);
    const parameters = header.tensors.reduce((sum, t) => sum + t.elements, 0);
    return { name, path, parameters, bytes: source.size, ms: performance.now() - started };
  } finally {
    await source.close?.();
  }
}

/** Writes the fixtures of `set` into `dir`. */
export async function writeGpuFixtures(dir: string, set: 'gpu' | 'local'): Promise<WrittenFixture[]> {
  await mkdir(dir, { recursive: true });
  const out: WrittenFixture[] = [];
  let t0 = performance.now();
  out.push(await described('31m', await fixtureFile(PEER_FIXTURE_NAME, peerFixtureRecipe(), dir), t0));
  t0 = performance.now();
  const [name, recipe] = set === 'gpu' ? ['1b', llama1bRecipe()] : ['small', llamaSmallRandomRecipe()];
  const written = await writeRandomQ4Gguf(join(dir, `random-llama-q4_0-${name}.gguf`), recipe);
  out.push(await described(name, written.path, t0));
  return out;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { set: { type: 'string', default: 'gpu' } },
  });
  const dir = positionals[0];
  if (!dir || (values.set !== 'gpu' && values.set !== 'local')) {
    throw new RuminateError('invalid-argument', 'usage: gpu-fixtures.mjs DIR [--set gpu|local]');
  }
  const fixtures = await writeGpuFixtures(dir, values.set);
  for (const f of fixtures) {
    process.stderr.write(
      `${f.path}: ${(f.parameters / 1e6).toFixed(1)}M parameters, ${(f.bytes / 2 ** 20).toFixed(1)} MiB, written in ${(f.ms / 1000).toFixed(1)} s\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ fixtures })}\n`);
}

// Run as a script (the pack's bundle entry), not when a test imports the recipes.
if (process.argv[1] && /gpu-fixtures\.(m?js|ts)$/.test(process.argv[1])) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`gpu-fixtures: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
