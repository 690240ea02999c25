// Writes a converted model to a folder (Node), and converts a GGUF file into one.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { openFileSource, parseGguf } from '@ruminate/runtime';
import { CONVERTER_VERSION, type ConvertedModel, convertGgufToOnnx } from './gguf-to-onnx.ts';

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

/**
 * The converted folder of the GGUF at `ggufPath` under `cacheRoot`, converting it first unless a
 * folder for the same bytes and converter version is there (keyed by SHA-256 of the file).
 */
export async function convertedFolder(ggufPath: string, cacheRoot: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const { createReadStream } = await import('node:fs');
  const { access } = await import('node:fs/promises');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(ggufPath)) hash.update(chunk as Buffer);
  const key = `${basename(ggufPath, '.gguf')}-${hash.digest('hex').slice(0, 16)}-v${CONVERTER_VERSION}`;
  const dir = join(cacheRoot, key);
  const done = join(dir, '.converted');
  if (
    await access(done).then(
      () => true,
      () => false,
    )
  )
    return dir;
  await convertGgufFile(ggufPath, dir);
  await writeFile(done, `${new Date().toISOString()}\n`);
  return dir;
}
