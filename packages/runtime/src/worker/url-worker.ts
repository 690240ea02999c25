// Starts a built worker file by URL: a module worker from the URL itself on the page's origin, and
// from a one-line blob module that imports it on another origin (a CDN), where a worker cannot be
// started from the URL directly.

/** Starts `url` as a module worker; a cross-origin file through a one-line blob module (never shared: a blob URL is this page's own). */
export function startUrlWorker(
  url: string | URL,
  shared: boolean,
  name: string,
): { worker: Worker | SharedWorker; href: string } {
  const target = new URL(url, typeof location !== 'undefined' ? location.href : undefined);
  if (typeof location === 'undefined' || target.origin === location.origin) {
    const worker = shared
      ? new SharedWorker(target, { type: 'module', name })
      : new Worker(target, { type: 'module', name });
    return { worker, href: target.href };
  }
  const blob = new Blob([`import ${JSON.stringify(target.href)};`], { type: 'text/javascript' });
  const blobUrl = URL.createObjectURL(blob);
  const worker = new Worker(blobUrl, { type: 'module', name });
  URL.revokeObjectURL(blobUrl);
  return { worker, href: target.href };
}
