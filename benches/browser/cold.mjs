// Cold start, in a fresh page of a fresh browser context (run.mjs): nothing of the
// implementation is loaded or cached. Two variants:
//
//   fresh           `window.__cold({ url })` imports the module (none for the native class),
//                   constructs a source on /sse/cold, which sends one event at once, and times
//                   both steps: `importMs` (the module graph, not the wasm, which the class
//                   fetches when the first source is constructed) and `firstEventMs`
//                   (construct → first event).
//   imported early  cold.html?early=<url> (`?early=` for the native class): this module
//                   imports <url> as soon as it runs, at the page's load, awaits it, then one
//                   setTimeout(0) (the module's top-level work, and whatever it queued as a
//                   task, is done); `window.__cold({ url, early: true })` waits for that,
//                   then constructs and times construct → first event. `importMs`: the
//                   import at load; `idleMs`: from the import's end to the construct.
//
// Counted from construct too: when the class called fetch() for the stream (`fetchMs`;
// fetch is wrapped to see it, so none for the native class), and the request and response
// of a .wasm file (resource timing; a negative start: fetched before the construct).

const realFetch = globalThis.fetch;
let fetchAt = null;
globalThis.fetch = function fetch(input, init) {
  if (fetchAt === null && String(input?.url ?? input).includes('/sse/cold')) fetchAt = performance.now();
  return realFetch.call(this, input, init);
};

const params = new URLSearchParams(location.search);
const early = params.has('early')
  ? (async () => {
      const url = params.get('early');
      const t0 = performance.now();
      const ES = url ? (await import(url)).EventSource : globalThis.EventSource;
      const t1 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 0));
      return { url, ES, importMs: t1 - t0, importedAt: t1 };
    })()
  : null;

window.__cold = async ({ url, early: wantEarly = false, timeoutMs = 20000 }) => {
  let ES, t0, t1, pre;
  if (wantEarly) {
    if (!early) return { ok: false, error: 'imported early: the page was loaded without ?early=' };
    pre = await early;
    if ((pre.url || null) !== (url ?? null)) return { ok: false, error: `imported early: the page imported ${pre.url}, not ${url}` };
    ES = pre.ES;
    t1 = performance.now();
  } else {
    t0 = performance.now();
    ES = url ? (await import(url)).EventSource : globalThis.EventSource;
    t1 = performance.now();
  }
  return new Promise((resolve) => {
    const es = new ES('/sse/cold');
    const finish = (r) => {
      clearTimeout(timer);
      es.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `no event within ${timeoutMs} ms` }), timeoutMs);
    es.addEventListener('error', () => {
      if (es.readyState === 2) finish({ ok: false, error: 'error event, CLOSED' });
    });
    es.addEventListener('message', (e) => {
      const t2 = performance.now();
      const wasm = performance.getEntriesByType('resource').find((r) => r.name.endsWith('.wasm'));
      finish({
        ok: e.data === 'cold',
        importMs: pre ? pre.importMs : t1 - t0,
        firstEventMs: t2 - t1,
        totalMs: pre ? null : t2 - t0,
        idleMs: pre ? t1 - pre.importedAt : null,
        fetchMs: fetchAt === null ? null : fetchAt - t1,
        wasm: wasm ? { startMs: wasm.startTime - t1, endMs: wasm.responseEnd - t1, bytes: wasm.encodedBodySize } : null,
      });
    });
  });
};
