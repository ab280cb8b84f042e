// What a test page records of a source: every open, message, `named` event and error, as
// plain entries for `send` (the page's record, or postMessage from a worker or a frame).
export function watch(es, send) {
  es.addEventListener('open', () => send({ kind: 'open', readyState: es.readyState }));
  for (const type of ['message', 'named']) {
    es.addEventListener(type, (e) => send({ kind: 'event', type, id: e.lastEventId, data: e.data, origin: e.origin }));
  }
  es.addEventListener('error', (e) => send({ kind: 'error', readyState: es.readyState, reason: e.reason }));
}
