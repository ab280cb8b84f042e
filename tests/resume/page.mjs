// The page of the resume test: client.mjs against the browser's native
// EventSource (captured before anything can replace it) or ours (/dist/index.js).

import { resume } from './client.mjs';

const NativeEventSource = globalThis.EventSource;

const IMPLS = {
  native: async () => NativeEventSource,
  ours: async () => (await import('/dist/index.js')).EventSource,
};

window.__resume = {
  async run(impl, path, n, timeoutMs) {
    const EventSource = await IMPLS[impl]();
    return resume({ EventSource, impl, url: new URL(path, location.href).href, n, timeoutMs });
  },
};
