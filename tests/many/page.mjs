// The page of tests/many/run.mjs: one set of sources (sources.mjs) at a time, in this page or
// in a dedicated module worker (worker.mjs, which imports /dist/index.js).
import { implementation, sourceSet } from './sources.mjs';

let local = null;
let worker = null;
let nextId = 0;
const pending = new Map();

function callWorker(op, args) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, op, args });
  });
}

// One shared source: this tab's port to shared-worker.mjs, and the events it forwards.
let shared = null;
function sharedCall(op, extra = {}) {
  return new Promise((resolve) => {
    shared.acks.push({ op, resolve });
    shared.port.postMessage({ op, ...extra });
  });
}

window.__many = {
  /** Loads the class `impl` now, so that start() in this page needs no further request. */
  async preload(impl) {
    await implementation(impl);
  },
  /** A new set of `impl` sources over `urls`, in the page or in a worker ('page' / 'worker'). */
  async start(where, impl, urls) {
    await this.stop();
    if (where === 'page') {
      local = sourceSet(await implementation(impl), urls);
      return;
    }
    worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data: { id, value, error } }) => {
      const p = pending.get(id);
      pending.delete(id);
      if (error) p?.reject(new Error(error));
      else p?.resolve(value);
    };
    worker.onerror = (e) => {
      for (const p of pending.values()) p.reject(new Error(`worker error: ${e.message}`));
      pending.clear();
    };
    await callWorker('start', [impl, urls]);
  },
  /** states(), close(i), closeAll(), until(what, n) on the current set. */
  call(op, ...args) {
    return worker ? callWorker(op, args) : local[op](...args);
  },
  /** Connects this tab to the shared worker; resolves with the number of tabs connected. */
  sharedJoin() {
    const worker = new SharedWorker(new URL('./shared-worker.mjs', import.meta.url), { type: 'module', name: 'many' });
    shared = { port: worker.port, acks: [], events: [], waiting: [] };
    return new Promise((resolve) => {
      shared.acks.push({ op: 'connect', resolve });
      worker.port.onmessage = ({ data }) => {
        if (data.type === 'ack') {
          const i = shared.acks.findIndex((a) => a.op === data.op);
          if (i >= 0) shared.acks.splice(i, 1)[0].resolve(data.tabs);
        } else {
          shared.events.push(data);
          for (const w of shared.waiting.splice(0)) w(data);
        }
      };
    });
  },
  /** The shared worker opens its one source (`impl` on `url`), or closes it. */
  sharedStart: (impl, url) => sharedCall('start', { impl, url }),
  sharedStop: () => sharedCall('stop'),
  /** The first event this tab got from the shared source. */
  sharedEvent() {
    return shared.events.length ? shared.events[0] : new Promise((resolve) => shared.waiting.push(resolve));
  },

  /** Closes every source of the current set; ends its worker. */
  async stop() {
    if (worker) {
      await callWorker('closeAll', []);
      worker.terminate();
      worker = null;
    }
    local?.closeAll();
    local = null;
  },
};
