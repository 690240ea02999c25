// Errors in words a visitor understands, with what to do next.

/** A headline and advice for an error from loading or running. */
export function friendlyError(e: Error): { title: string; advice: string } {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'webgpu-unavailable':
    case 'adapter-unavailable':
      return {
        title: 'WebGPU is not available in this browser.',
        advice:
          'Use a recent Chrome, Edge or Safari on https or localhost — or try the scripted demo model, which needs no GPU.',
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
