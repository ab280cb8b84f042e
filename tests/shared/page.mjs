// A test page of tests/shared/run.mjs. `window.t`:
//   ready                         resolves once /dist/index.js and its wasm are loaded
//   open(key, url, init, where)   a source here ('page'), in a same-origin frame ('frame'), in
//                                 a dedicated worker ('worker'), or here from the classic
//                                 script ('classic'), recorded under `key`
//   close(key)                    its close()
//   until(key, what, arg)         resolves when the record has: 'open' (an open event),
//                                 'id' (an event with id >= arg), 'error' (arg error events)
//   get(key)                      the record: { ids, types, opens, errors, readyState, origins }
// Waits resolve on events only; the runner bounds them.
import { EventSource } from '/dist/index.js';
import { EventStreamParser } from '/dist/stream-parser.js';
import { watch } from './watch.mjs';

const records = new Map();
const sources = new Map();
const waiters = new Set();
let frame;
let worker;

function add(key, entry) {
  const r = records.get(key);
  if (entry.kind === 'open') r.opens++;
  if (entry.kind === 'error') r.errors.push({ readyState: entry.readyState, reason: entry.reason });
  if (entry.kind === 'event') {
    r.ids.push(Number(entry.id));
    r.types[entry.type] = (r.types[entry.type] ?? 0) + 1;
    if (!r.origins.includes(entry.origin)) r.origins.push(entry.origin);
  }
  if ('readyState' in entry) r.readyState = entry.readyState;
  for (const w of [...waiters])
    if (w.test()) {
      waiters.delete(w);
      w.resolve();
    }
}

const done = {
  open: (r) => r.opens >= 1,
  id: (r, id) => r.ids.some((x) => x >= id),
  error: (r, count) => r.errors.length >= count,
};

const frameReady = () =>
  new Promise((resolve) => {
    frame = document.createElement('iframe');
    frame.src = `${location.pathname}?n=${new URLSearchParams(location.search).get('n')}-frame`;
    frame.onload = () => frame.contentWindow.t.ready.then(resolve);
    document.body.append(frame);
  });
const classicReady = () =>
  new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/dist/eventsource-wasm.js';
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  });
const workerReady = () =>
  new Promise((resolve) => {
    worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => (data.ready ? resolve() : add(data.key, data.entry));
  });

window.t = {
  // The wasm loaded before any source, so that no page waits for it behind busy connections.
  ready: new Response('data: ready\n\n').body
    .pipeThrough(new EventStreamParser())
    .getReader()
    .read()
    .then(() => true),
  async open(key, url, init, where = 'page') {
    records.set(key, { ids: [], types: {}, opens: 0, errors: [], readyState: 0, origins: [] });
    const send = (entry) => add(key, entry);
    if (where === 'frame') {
      if (!frame) await frameReady();
      frame.contentWindow.t.watchHere(key, url, init, send);
    } else if (where === 'worker') {
      if (!worker) await workerReady();
      worker.postMessage({ open: key, url, init });
    } else {
      if (where === 'classic' && !globalThis.EventSourceWasm) await classicReady();
      const es = new (where === 'classic' ? globalThis.EventSourceWasm.EventSource : EventSource)(url, init);
      sources.set(key, es);
      watch(es, send);
    }
    return key;
  },
  /** In a frame: a source whose entries go to the parent's record. */
  watchHere(key, url, init, send) {
    const es = new EventSource(url, init);
    sources.set(key, es);
    watch(es, send);
  },
  /** close() on the source, wherever it runs. */
  close(key) {
    if (sources.has(key)) sources.get(key).close();
    else if (!frame?.contentWindow.t.closeHere(key)) worker?.postMessage({ close: key });
  },
  closeHere(key) {
    sources.get(key)?.close();
    return sources.has(key);
  },
  until(key, what, arg) {
    const r = records.get(key);
    return new Promise((resolve) => {
      const w = { test: () => done[what](r, arg), resolve };
      if (w.test()) resolve();
      else waiters.add(w);
    });
  },
  /** Ends the worker at once, as a crash would: no goodbye from its sources. */
  terminateWorker() {
    worker.terminate();
    worker = undefined;
  },
  /** The record, with the source's readyState read now where it runs in this window. */
  get: (key) => ({ ...records.get(key), now: sources.get(key)?.readyState ?? records.get(key).readyState }),
};
