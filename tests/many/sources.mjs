// A set of EventSources and waits on their events, the same in the page and in the worker
// of tests/many/run.mjs (the page drives a worker's set through postMessage: worker.mjs).

/** `ES` over every URL of `urls`; ops: states(), close(i), closeAll(), until(what, n). */
export function sourceSet(ES, urls) {
  const waiters = new Set();
  const notify = () => {
    for (const w of [...waiters])
      if (w.test()) {
        waiters.delete(w);
        w.resolve(true);
      }
  };
  const items = urls.map((url) => {
    const it = { es: new ES(url), opens: 0, messages: 0, errors: 0 };
    it.es.onopen = () => {
      it.opens++;
      notify();
    };
    it.es.onmessage = () => {
      it.messages++;
      notify();
    };
    it.es.onerror = () => {
      it.errors++;
      notify();
    };
    return it;
  });
  const count = (what) => items.filter((it) => it[what] > 0).length;
  return {
    /** Per source: readyState and how many open, message and error events it had. */
    states: () => items.map(({ es, opens, messages, errors }) => ({ readyState: es.readyState, opens, messages, errors })),
    close(i) {
      items[i].es.close();
    },
    closeAll() {
      for (const it of items) it.es.close();
    },
    /** Resolves once `n` sources have had at least one `what` ('opens', 'messages', 'errors'). */
    until(what, n) {
      const test = () => count(what) >= n;
      return test() ? Promise.resolve(true) : new Promise((resolve) => waiters.add({ test, resolve }));
    },
  };
}

/** The class under test: the runtime's own ('native') or ours ('ours', /dist/index.js). */
export async function implementation(impl) {
  if (impl === 'native') return globalThis.EventSource;
  return (await import('/dist/index.js')).EventSource;
}
