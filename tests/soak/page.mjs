// The page of tests/soak/run.mjs: churn and reconnection loops over OUR EventSource, and the wasm
// instance's figures: the library's own instance, caught as it is made (../wasm-instance.mjs).
import { wasmExports } from '../wasm-instance.mjs'; // first: it watches the library load its module
import { EventSource } from '/dist/index.js';

const NativeEventSource = globalThis.EventSource;

// Closed sources tracked by churn() under a name, and how many of them the engine has
// collected: a FinalizationRegistry callback runs (as a task) once a GC found one unreachable.
const tracks = new Map(); // name -> { tracked, collected, waiters }
const track = (name) => {
  let t = tracks.get(name);
  if (!t) tracks.set(name, (t = { tracked: 0, collected: 0, waiters: new Set() }));
  return t;
};
const registry = new FinalizationRegistry((name) => {
  const t = track(name);
  t.collected++;
  if (t.collected >= t.tracked) for (const w of t.waiters) w();
});

/** Resolves with the first `type` event of `es`; rejects on an `error` event. */
function next(es, type) {
  return new Promise((resolve, reject) => {
    const ok = (e) => {
      es.removeEventListener('error', bad);
      resolve(e);
    };
    const bad = (e) => {
      es.removeEventListener(type, ok);
      reject(
        new Error(`error event (readyState ${es.readyState}, ${e.reason ?? '?'}: ${e.message ?? ''}) waiting for ${type} on ${es.url}`),
      );
    };
    es.addEventListener(type, ok, { once: true });
    es.addEventListener('error', bad, { once: true });
  });
}

window.__soak = {
  /** `n` cycles of construct → open → (a message on odd cycles) → close(), `parallel` chains
   *  at once. `keep`: keep every closed source (a deliberate leak); `trackAs`: a name under
   *  which collected() counts the closed sources the engine has collected. */
  async churn(base, n, parallel, group, impl = 'ours', keep = false, trackAs = null) {
    const ES = impl === 'native' ? NativeEventSource : EventSource;
    const counts = { cycles: 0, opens: 0, messages: 0 };
    let i = 0;
    const chain = async () => {
      while (i < n) {
        const k = i++;
        const es = new ES(`${base}/sse/hold?g=${group}&n=${k}`);
        try {
          const opened = next(es, 'open');
          const message = k % 2 ? next(es, 'message') : null;
          message?.catch(() => {}); // awaited below; an error rejects both
          await opened;
          counts.opens++;
          if (message) {
            const e = await message;
            if (e.data !== `hello ${k}`) throw new Error(`cycle ${k}: got ${JSON.stringify(e.data)}`);
            counts.messages++;
          }
        } finally {
          es.close();
        }
        counts.cycles++;
        if (keep) (window.__kept ??= []).push(es); // a deliberate leak (the runner's calibration)
        if (trackAs) {
          track(trackAs).tracked++;
          registry.register(es, trackAs);
        }
      }
    };
    await Promise.all(Array.from({ length: parallel }, chain));
    return counts;
  },

  /** One source through `n` reconnections: the server ends each response after one event
   *  with `retry: 0`, so n + 1 events mean n reconnections. */
  reconnect(base, n, group) {
    return new Promise((resolve, reject) => {
      const es = new EventSource(`${base}/sse/once?g=${group}`);
      const counts = { messages: 0, errors: 0, opens: 0 };
      es.onopen = () => {
        counts.opens++;
      };
      es.onmessage = () => {
        if (++counts.messages === n + 1) {
          es.close();
          resolve(counts);
        }
      };
      es.onerror = () => {
        counts.errors++;
        if (es.readyState === EventSource.CLOSED) reject(new Error(`the source failed after ${counts.messages} events`));
      };
    });
  },

  /** The library's wasm instance: linear memory in bytes, externref table slots. */
  async wasm() {
    const { memory, externrefs } = await wasmExports;
    return { memory: memory.buffer.byteLength, externrefs: externrefs.length };
  },

  /** Of the sources churn() tracked as `name`, how many were collected: resolves once all
   *  were, or after `ms` (a GC comes when the engine decides, unless the runner forces one). */
  collected(name, ms) {
    const t = track(name);
    const result = () => ({ tracked: t.tracked, collected: t.collected });
    if (t.collected >= t.tracked) return result();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        t.waiters.delete(done);
        resolve(result());
      };
      const timer = setTimeout(done, ms);
      t.waiters.add(done);
    });
  },

  /** Drops what a calibration kept. */
  release() {
    window.__kept = null;
  },

  /** A macrotask: lets FinalizationRegistry callbacks queued by a GC run. */
  tick: () => new Promise((r) => setTimeout(r, 0)),
};
