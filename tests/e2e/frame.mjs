// Runs EventSources for the parent page in this frame's origin and reports every event.
//   parent -> frame: { e2eOpen: id, impl, url, init }   { e2eClose: id }
//   frame -> parent: { e2eFrameReady: true }   { e2eFrame: id, entry }
const NativeEventSource = globalThis.EventSource;
const sources = new Map();

window.addEventListener('message', async (e) => {
  const d = e.data ?? {};
  if (d.e2eClose !== undefined) {
    sources.get(d.e2eClose)?.close();
    return;
  }
  if (d.e2eOpen === undefined) return;
  const send = (entry) => parent.postMessage({ e2eFrame: d.e2eOpen, entry }, '*');
  try {
    const ES = d.impl === 'native' ? NativeEventSource : (await import('/dist/index.js')).EventSource;
    const es = d.init === undefined ? new ES(d.url) : new ES(d.url, d.init);
    sources.set(d.e2eOpen, es);
    // ('warning': our diagnostics, which no test here should raise: an entry no test expects.)
    for (const type of ['open', 'message', 'error', 'warning']) {
      es.addEventListener(type, (ev) =>
        send(
          type === 'message'
            ? { type: ev.type, data: ev.data, lastEventId: ev.lastEventId, origin: ev.origin, readyState: es.readyState }
            : { type: ev.type, readyState: es.readyState },
        ),
      );
    }
  } catch (err) {
    send({ threw: `${err?.name}: ${err?.message}` });
  }
});
// Ours, and its wasm, loaded before the frame says it is ready: a source's first request
// goes out while the wasm is fetched, from this frame's origin too, and a test may take
// that origin's server down as soon as the stream ended (the flaky origin C): the wasm must
// not be fetched after that.
const wasmFetched = new Promise((resolve) => {
  new PerformanceObserver((list, observer) => {
    if (list.getEntries().some((entry) => entry.name.endsWith('.wasm'))) {
      observer.disconnect();
      resolve();
    }
  }).observe({ type: 'resource', buffered: true });
});
await Promise.all([import('/dist/index.js'), wasmFetched]);
parent.postMessage({ e2eFrameReady: true }, '*');
