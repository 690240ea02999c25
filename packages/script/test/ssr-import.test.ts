import { expect, it } from 'vitest';

it('imports on a server without a DOM (no window, HTMLElement or customElements touched)', async () => {
  expect(typeof (globalThis as { HTMLElement?: unknown }).HTMLElement).toBe('undefined');
  const mod = await import('../src/index.ts');
  expect(typeof mod.createEngine).toBe('function');
  expect(() => mod.defineChatElement()).not.toThrow();
  expect(mod.webgpuProblem()).toMatch(/browser/);
});
