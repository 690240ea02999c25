import { RuminateError } from '../errors.ts';

/** Where Debian's chromium package installs SwiftShader's Vulkan ICD. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Imports a Node-only module by a specifier bundlers do not follow (this file also ships to browsers). */
export const nodeImport = <T>(specifier: string): Promise<T> => import(/* @vite-ignore */ specifier);

let nodeGpu: Promise<GPU> | undefined;
let nodeImplementation = 'Dawn for Node';

/** Name and version of the Node WebGPU implementation (for tuning-cache keys), once loaded. */
export function nodeGpuImplementation(): string {
  return nodeImplementation;
}

/**
 * `navigator.gpu` for Node, from Dawn for Node (the `webgpu` package). Without a
 * Vulkan ICD chosen by the caller, it points the Vulkan loader at SwiftShader (a
 * CPU Vulkan) when Debian's chromium package has installed it.
 */
export function nodeNavigatorGpu(): Promise<GPU> {
  nodeGpu ??= (async () => {
    const fs: typeof import('node:fs') = await nodeImport('node:fs');
    const os: typeof import('node:os') = await nodeImport('node:os');
    const path: typeof import('node:path') = await nodeImport('node:path');
    if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER_ICD)) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    }
    if (!process.env.XDG_RUNTIME_DIR) {
      process.env.XDG_RUNTIME_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'ruminate-xdg-'));
    }
    let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
    try {
      mod = await nodeImport('webgpu');
    } catch (cause) {
      throw new RuminateError(
        'webgpu-unavailable',
        'WebGPU is not available in this Node process: the `webgpu` package (Dawn for Node) could not be loaded. ' +
          'Install it with `pnpm add webgpu`.',
        { cause },
      );
    }
    Object.assign(globalThis, mod.globals);
    try {
      const { createRequire }: typeof import('node:module') = await nodeImport('node:module');
      const version = createRequire(import.meta.url)('webgpu/package.json').version as string;
      nodeImplementation = `Dawn for Node (webgpu ${version}), Node ${process.version}`;
    } catch {
      // The version only refines cache keys; the implementation works without it.
    }
    return mod.create([]);
  })();
  return nodeGpu;
}
