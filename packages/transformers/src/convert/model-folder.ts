// Writes a converted model to a folder (Node), and converts a GGUF file into one.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openFileSource, parseGguf } from '@ruminate/runtime';
import { type ConvertedModel, convertGgufToOnnx } from './gguf-to-onnx.ts';

/** Writes every file of `model` under `dir`. */
export async function writeModelFolder(dir: string, model: ConvertedModel): Promise<void> {
  for (const [path, bytes] of model) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes);
  }
}

/** Converts the GGUF at `ggufPath` into the transformers.js layout under `dir`. */
export async function convertGgufFile(ggufPath: string, dir: string): Promise<void> {
  const source = await openFileSource(ggufPath);
  try {
    await writeModelFolder(dir, await convertGgufToOnnx(await parseGguf(source), source));
  } finally {
    await source.close();
  }
}
