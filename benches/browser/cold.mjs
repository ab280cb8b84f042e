// Cold start, in a fresh page of a fresh browser context (run.mjs): nothing of the
// implementation is loaded or cached. `window.__cold({ url })` imports the module (none for
// the native class), constructs a source on /sse/cold, which sends one event at once, and
// times both steps: `importMs` (the module graph, not the wasm, which the class fetches
// when the first source is constructed) and `firstEventMs` (construct → first event).
// Counted from construct too: when the class called fetch() for the stream (`fetchMs`;
// fetch is wrapped to see it, so none for the native class), and the request and response
// of a .wasm file (resource timing).

const realFetch = globalThis.fetch;
let fetchAt = null;
globalThis.fetch = function fetch(input, init) {
  if (fetchAt === null && String(input?.url ?? input).includes('/sse/cold')) fetchAt = performance.now();
  return realFetch.call(this, input, init);
};

window.__cold = async ({ url, timeoutMs = 20000 }) => {
  const t0 = performance.now();
  const ES = url ? (await import(url)).EventSource : globalThis.EventSource;
  const t1 = performance.now();
  return new Promise((resolve) => {
    const es = new ES('/sse/cold');
    const finish = (r) => { clearTimeout(timer); es.close(); resolve(r); };
    const timer = setTimeout(() => finish({ ok: false, error: `no event within ${timeoutMs} ms` }), timeoutMs);
    es.addEventListener('error', () => { if (es.readyState === 2) finish({ ok: false, error: 'error event, CLOSED' }); });
    es.addEventListener('message', (e) => {
      const t2 = performance.now();
      const wasm = performance.getEntriesByType('resource').find((r) => r.name.endsWith('.wasm'));
      finish({
        ok: e.data === 'cold',
        importMs: t1 - t0,
        firstEventMs: t2 - t1,
        totalMs: t2 - t0,
        fetchMs: fetchAt === null ? null : fetchAt - t1,
        wasm: wasm ? { startMs: wasm.startTime - t1, endMs: wasm.responseEnd - t1, bytes: wasm.encodedBodySize } : null,
      });
    });
  });
};
