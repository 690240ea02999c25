export * from './gpu-test-kit.ts';
