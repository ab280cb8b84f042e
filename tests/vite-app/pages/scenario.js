// The scenario every page, app and worker runs against the server's /sse
// endpoint. A classic script (no import/export) so that classic workers can
// importScripts it; module code imports it for its side effect.
//
// runScenario(EventSource, tag) resolves with what happened:
//   open, `one` (id 1), named `two`, the stream ends -> error (CONNECTING),
//   reconnect after `retry: 20` with Last-Event-ID: 1 -> open, `three ...`.
globalThis.runScenario = function runScenario(EventSource, tag) {
  return new Promise((resolve) => {
    const result = {
      tag,
      events: [],
      // Our class, not the runtime's own.
      native: /\[native code\]/.test(Function.prototype.toString.call(EventSource)),
      globalIsOurs: globalThis.EventSource === EventSource,
      constants: [EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED],
      origin: globalThis.location.origin,
    };
    let es;
    try {
      // Relative: resolved against the document's base URL, or the worker's.
      es = new EventSource(`/sse?tag=${encodeURIComponent(tag)}`);
    } catch (error) {
      result.thrown = String(error);
      resolve(result);
      return;
    }
    result.url = es.url;
    result.instance = es instanceof EventSource && es instanceof EventTarget;
    es.onopen = () => result.events.push(['open', es.readyState]);
    es.onerror = () => {
      result.events.push(['error', es.readyState]);
      if (es.readyState === EventSource.CLOSED) resolve(result);
    };
    es.onmessage = (e) => {
      result.events.push(['message', e.data, e.lastEventId, e.origin, e instanceof MessageEvent]);
      if (e.data.startsWith('three')) {
        es.close();
        result.closed = es.readyState;
        resolve(result);
      }
    };
    es.addEventListener('named', (e) => result.events.push(['named', e.data, e.lastEventId]));
  });
};
