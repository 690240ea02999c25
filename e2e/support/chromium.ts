/** Debian's Chromium: the only browser these tests drive (never a Playwright download). */
export const CHROMIUM = process.env.RUMINATE_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that give headless Chromium WebGPU (SwiftShader without a GPU) on a closed network. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
