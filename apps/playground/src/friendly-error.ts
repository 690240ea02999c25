// Errors in words a visitor understands, with what to do next.

/** A headline and advice for an error from loading or running. */
export function friendlyError(e: Error): { title: string; advice: string } {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'webgpu-unavailable':
    case 'adapter-unavailable':
      // Only when WebGPU was asked for: Auto runs the model on the CPU where there is no GPU.
      return {
        title: 'WebGPU is not available in this browser.',
        advice:
          'Choose Auto or WebAssembly under “Where the model computes” to run the model on the CPU, or use a browser with WebGPU (a recent Chrome, Edge or Safari on https or localhost).',
      };
    case 'wasm-unsupported':
      return {
        title: "This browser's WebAssembly cannot run the model on the CPU.",
        advice: `${e.message} Use a recent Chrome, Edge, Firefox or Safari, or a browser with WebGPU.`,
      };
    case 'worker-failed':
      return {
        title: 'A compute thread stopped.',
        advice: `${e.message} Load the model again.`,
      };
    case 'model-too-large':
    case 'limit-too-low':
    case 'kv-cache-full':
    case 'storage-quota':
      return {
        title: 'The model does not fit on this device.',
        advice: `${e.message} Pick a smaller model or a shorter context.`,
      };
    case 'fetch-failed':
      return { title: 'The model could not be downloaded.', advice: e.message };
    case 'gguf-invalid':
    case 'gguf-unsupported':
      return { title: 'That file is not a model Ruminate can run.', advice: e.message };
    case 'aborted':
      return { title: 'Stopped.', advice: '' };
    default:
      return { title: 'Something went wrong.', advice: e.message };
  }
}
