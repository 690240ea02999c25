// What the page's WebGPU adapter is, read once without measuring anything (cheap; for the UI).

/** The adapter as the browser describes it, or why there is none. */
export interface DeviceInfo {
  /** Whether `navigator.gpu` exists and gave an adapter. */
  webgpu: boolean;
  /** Vendor, architecture and description (empty strings when the browser hides them). */
  vendor: string;
  architecture: string;
  description: string;
  /** Adapter features. */
  features: string[];
  /** Why WebGPU is not usable, in words, when it is not. */
  problem: string | null;
}

/** Reads the adapter's identity; never throws (a missing WebGPU is reported in `problem`). */
export async function readDeviceInfo(): Promise<DeviceInfo> {
  const none = (problem: string): DeviceInfo => ({
    webgpu: false,
    vendor: '',
    architecture: '',
    description: '',
    features: [],
    problem,
  });
  if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) {
    return none(
      'This browser has no WebGPU, which Ruminate needs to run a model on your device. ' +
        'Use a recent Chrome, Edge or Safari, on a secure (https or localhost) page.',
    );
  }
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return none('WebGPU is present but gave no adapter (the GPU may be blocklisted or busy).');
    const info = adapter.info;
    return {
      webgpu: true,
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      description: info?.description ?? '',
      features: [...adapter.features].sort(),
      problem: null,
    };
  } catch (e) {
    return none(`WebGPU failed to start: ${e instanceof Error ? e.message : String(e)}`);
  }
}
