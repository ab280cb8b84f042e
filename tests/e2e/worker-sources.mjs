// Dedicated module worker that runs EventSources for the page (ctx.worker()) and reports
// every event, as frame.mjs does for a frame:
//   page -> worker: { e2eOpen: id, impl, url, init }   { e2eClose: id }   { e2eOnLine: true }
//   worker -> page: { e2eWorkerReady: true }   { e2eSource: id, entry }   { e2eOnLine: bool }
// An error entry carries the extensions' reason, status and delay.
const sources = new Map();

self.onmessage = async ({ data: d }) => {
  if (d?.e2eOnLine) {
    self.postMessage({ e2eOnLine: navigator.onLine });
    return;
  }
  if (d?.e2eClose !== undefined) {
    sources.get(d.e2eClose)?.close();
    return;
  }
  if (d?.e2eOpen === undefined) return;
  const send = (entry) => self.postMessage({ e2eSource: d.e2eOpen, entry });
  try {
    const ES = d.impl === 'native' ? self.EventSource : (await import('/dist/index.js')).EventSource;
    const es = d.init === undefined ? new ES(d.url) : new ES(d.url, d.init);
    sources.set(d.e2eOpen, es);
    es.addEventListener('open', () => send({ type: 'open', readyState: es.readyState }));
    es.addEventListener('message', (e) =>
      send({ type: e.type, data: e.data, lastEventId: e.lastEventId, origin: e.origin, readyState: es.readyState }),
    );
    es.addEventListener('error', (e) =>
      send({ type: 'error', readyState: es.readyState, reason: e.reason, status: e.status, delay: e.delay }),
    );
  } catch (err) {
    send({ threw: `${err?.name}: ${err?.message}` });
  }
};
self.postMessage({ e2eWorkerReady: true });
