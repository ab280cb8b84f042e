// Page-side runtime of the end-to-end tests: builds the context a test runs with and
// exposes `window.__e2e.run(name, impl, env)` to the runner (run.mjs).
//
// Implementations under test (`impl`):
//   native  the browser's own EventSource, captured before anything else can replace it
//   ours    `EventSource` exported by /dist/index.js (the project's build)
// A test receives the class as `ctx.ES` and never looks at globalThis.EventSource, so
// plugging in another implementation is one entry in IMPLS.

import { tests } from './tests.mjs';
import { fnv1a } from './scenarios.mjs';

const NativeEventSource = globalThis.EventSource;

export const IMPLS = {
  native: async () => NativeEventSource,
  ours: async () => (await import('/dist/index.js')).EventSource,
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Our diagnostics (a stream held back, the connection limit: src/machine.rs, Warning) say
// what they saw in the console. None of these tests has such a server: a warning said
// during a test is a false alarm, and fails it.
const warnings = [];
const consoleWarn = console.warn;
console.warn = function (...args) {
  if (String(args[0]).startsWith('eventsource-wasm:')) warnings.push(args.join(' '));
  return consoleWarn.apply(this, args);
};

class Recorder {
  /** `detail(event)`: extra fields merged into each entry (e.g. the error's `reason`). */
  constructor(ctx, es, { types = [], summarize = false, detail } = {}) {
    this.ctx = ctx;
    this.es = es;
    this.log = [];
    this.times = [];
    this.waiters = [];
    this.summarize = summarize;
    this.detail = detail;
    if (!es) return; // fed by add() (e.g. from a frame)
    for (const type of new Set(['open', 'message', 'error', ...types])) {
      es.addEventListener(type, (e) => this.push(e));
    }
  }
  push(e) {
    const rs = this.es.readyState;
    let entry;
    if (e.type === 'open' || e.type === 'error') {
      entry = { type: e.type, readyState: rs };
    } else {
      let data = e.data;
      if (this.summarize && typeof data === 'string' && data.length > 256) {
        data = { length: data.length, hash: this.ctx.hash(data) };
      }
      entry = { type: e.type, data, lastEventId: e.lastEventId, origin: this.ctx.originName(e.origin), readyState: rs };
    }
    if (this.detail) Object.assign(entry, this.detail(e));
    this.add(entry);
  }
  /** Add an entry of the test's own (e.g. a readyState after close()). */
  add(entry) {
    this.log.push(entry);
    this.times.push(performance.now());
    for (const w of [...this.waiters]) {
      if (w.pred(this.log)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        // Resolve in a later task: the other listeners of this same event run first (a
        // microtask would run between two listeners of one UA-dispatched event).
        setTimeout(w.resolve, 0);
      }
    }
  }
  /** Resolves when pred(log) holds (checked on every new entry); the test timeout guards it. */
  until(pred, what = 'a condition') {
    if (pred(this.log)) return Promise.resolve();
    return new Promise((resolve) => {
      const w = {
        pred,
        resolve: () => {
          this.ctx.waiting.delete(w.what);
          resolve();
        },
        what,
      };
      this.ctx.waiting.add(what);
      this.waiters.push(w);
    });
  }
  untilMessage(data, type = 'message') {
    return this.until((l) => l.some((e) => e.type === type && e.data === data), `${type} "${data}"`);
  }
  untilError(readyState, count = 1) {
    return this.until(
      (l) => l.filter((e) => e.type === 'error' && (readyState === undefined || e.readyState === readyState)).length >= count,
      `${count} error event(s) with readyState ${readyState}`,
    );
  }
  untilType(type, count = 1) {
    return this.until((l) => l.filter((e) => e.type === type).length >= count, `${count} ${type} event(s)`);
  }
  /** Milliseconds between the n-th entries matching a and b. */
  between(a, b) {
    const ia = this.log.findIndex(a);
    const ib = this.log.findIndex((e, i) => i > ia && b(e));
    return ia < 0 || ib < 0 ? NaN : this.times[ib] - this.times[ia];
  }
}

function makeCtx(ES, impl, env) {
  const run = `${impl}-${Math.random().toString(36).slice(2, 10)}`;
  const origins = { A: env.A, B: env.B };
  const sources = new Set();
  const recorders = [];
  const cleanups = [];
  const pageErrors = [];
  const onError = (e) => pageErrors.push(String(e.message ?? e));
  window.addEventListener('error', onError);
  cleanups.push(() => window.removeEventListener('error', onError));

  /**
   * Opens EventSources that run elsewhere (a frame, a worker) and records their events
   * here: `post(message)` sends { e2eOpen: id, impl, url, init } or { e2eClose: id } there;
   * `target` receives what it sends back, and `idOf(e)` is the source id a message is for.
   */
  const remoteOpener = (target, post, idOf) => {
    let next = 0;
    return (url, init) => {
      const id = next++;
      const rec = new Recorder(ctx, null);
      recorders.push(rec);
      const h = (e) => {
        if (idOf(e) !== id) return;
        const entry = e.data.entry;
        if ('origin' in entry) entry.origin = ctx.originName(entry.origin);
        rec.add(entry);
      };
      target.addEventListener('message', h);
      cleanups.push(() => target.removeEventListener('message', h));
      post({ e2eOpen: id, impl, url, init });
      return { rec, close: () => post({ e2eClose: id }) };
    };
  };

  let offline = false;
  const ctx = {
    ES,
    impl,
    env,
    run,
    A: env.A,
    B: env.B,
    NativeEventSource,
    waiting: new Set(),
    pageErrors,
    runId: (key) => (key ? `${run}.${key}` : run),
    /** Absolute URL of a scenario on origin A, B or C. */
    url(scenario, { origin = 'A', key, query = {} } = {}) {
      const q = new URLSearchParams({ run: ctx.runId(key), ...query });
      return `${origins[origin]}/sse/${scenario}?${q}`;
    },
    /** 'A' / 'B' / 'C' for the fixture origins, the serialization otherwise. */
    originName: (o) => Object.keys(origins).find((k) => origins[k] === o) ?? o,
    /** Replace origins and the run id in a string by {A} {B} {C} {run}. */
    norm(s) {
      if (typeof s !== 'string') return s;
      for (const [k, o] of Object.entries(origins)) s = s.split(o).join(`{${k}}`);
      return s.split(run).join('{run}');
    },
    hash: fnv1a,
    /** Construct an EventSource of the implementation under test, closed after the test. */
    track(es) {
      sources.add(es);
      return es;
    },
    open(url, init, opts) {
      const es = init === undefined ? new ES(url) : new ES(url, init);
      ctx.track(es);
      const rec = new Recorder(ctx, es, opts);
      recorders.push(rec);
      return { es, rec };
    },
    record(es, opts) {
      const rec = new Recorder(ctx, es, opts);
      recorders.push(rec);
      return rec;
    },
    async fetchJSON(path, init) {
      // While the page is offline (ctx.offline), the runner asks the server for it.
      if (offline) return window.__e2eCtl(path);
      const r = await fetch(`${origins.A}${path}`, { cache: 'no-store', ...init });
      return r.json();
    },
    /** The browser's own network conditions, set by the runner (Chromium: CDP
     *  Network.emulateNetworkConditions; Firefox: WebDriver BiDi
     *  emulation.setNetworkConditions): offline, every request fails and navigator.onLine
     *  is false. Resolves once the page has seen the change (navigator.onLine, and the
     *  `offline` / `online` event). The runner puts the page back online after the test. */
    async offline(on) {
      if (typeof window.__e2eOffline !== 'function')
        throw new Error("the runner gives no network-conditions hook (declare the test's needs: ['offline'])");
      const type = on ? 'offline' : 'online';
      const seen = navigator.onLine === !on ? Promise.resolve() : new Promise((r) => window.addEventListener(type, r, { once: true }));
      const what = `the page's \`${type}\` event`;
      ctx.waiting.add(what);
      if (on) offline = true;
      await window.__e2eOffline(on);
      await seen;
      if (!on) offline = false;
      ctx.waiting.delete(what);
      return navigator.onLine;
    },
    /** An origin on which nothing listens (connection refused). */
    async deadOrigin() {
      return (await ctx.fetchJSON('/ctl/deadport')).origin;
    },
    /** The fixture server's log for a scenario of this run: { count, requests, preflights }. */
    server(scenario, { key } = {}) {
      return ctx.fetchJSON(`/log?scenario=${encodeURIComponent(scenario)}&run=${encodeURIComponent(ctx.runId(key))}`);
    },
    /** Long-poll: resolves once the server has seen `count` connections. */
    async waitConnections(scenario, count, { key } = {}) {
      const what = `server to see ${count} connection(s) to ${scenario}`;
      ctx.waiting.add(what);
      const r = await ctx.fetchJSON(
        `/ctl/wait?scenario=${encodeURIComponent(scenario)}&run=${encodeURIComponent(ctx.runId(key))}&count=${count}`,
      );
      ctx.waiting.delete(what);
      if (!r.ok) throw new Error(`timed out waiting for ${what}`);
      return r;
    },
    /** Long-poll: resolves once connection n (0-based) of a scenario has closed. */
    async waitClosed(scenario, n, { key } = {}) {
      const what = `connection ${n} to ${scenario} to close`;
      ctx.waiting.add(what);
      const r = await ctx.fetchJSON(
        `/ctl/wait-closed?scenario=${encodeURIComponent(scenario)}&run=${encodeURIComponent(ctx.runId(key))}&n=${n}`,
      );
      ctx.waiting.delete(what);
      if (!r.ok) throw new Error(`timed out waiting for ${what}`);
      return r;
    },
    signal(name, { key } = {}) {
      return ctx.fetchJSON(`/ctl/signal?run=${encodeURIComponent(ctx.runId(key))}&name=${encodeURIComponent(name)}`);
    },
    flaky: {
      async open() {
        const r = await ctx.fetchJSON(`/ctl/flaky?op=open&run=${encodeURIComponent(run)}`);
        origins.C = r.origin;
        return r.origin;
      },
      reopen: () => ctx.fetchJSON(`/ctl/flaky?op=reopen&run=${encodeURIComponent(run)}`),
    },
    /** Set a cookie for the host of `origin` through a credentialed fetch to that origin. */
    async setCookie(origin, name, value = '1') {
      await fetch(`${origins[origin]}/ctl/setcookie?name=${encodeURIComponent(name)}&value=${encodeURIComponent(value)}`, {
        credentials: 'include',
        cache: 'no-store',
      });
    },
    /** A fixed wait, used ONLY to assert that nothing more happens (no event, no reconnect);
     *  never to wait for something to happen. */
    quiet: (ms) => sleep(ms),
    /** Force a full garbage collection. Chromium: the runner's CDP hook. Elsewhere: heap
     *  pressure. Returns whether a collection was observed (a WeakRef target cleared). */
    async gc() {
      const probe = new WeakRef({ probe: true });
      await sleep(0); // WeakRef targets are kept alive until the end of the current job
      const cdp = typeof window.__e2eGC === 'function';
      // Heap pressure: ~40 MB of short-lived arrays a round, with pauses for incremental GC
      // slices; Firefox usually clears the probe within 0.5–2 s.
      for (let round = 0; round < (cdp ? 5 : 150) && probe.deref() !== undefined; round++) {
        if (cdp) {
          await window.__e2eGC();
        } else {
          let junk = [];
          for (let i = 0; i < 100; i++) junk.push(new Array(50000).fill({ i }));
          junk = null;
        }
        await sleep(cdp ? 0 : 20);
      }
      return probe.deref() === undefined;
    },
    /** An iframe on origin 'A' | 'B' | 'C' that runs EventSources of the implementation
     *  under test in ITS origin: `(await ctx.frame('C')).open(url)` returns a recorder. */
    async frame(origin) {
      const f = document.createElement('iframe');
      cleanups.push(() => f.remove());
      const ready = new Promise((resolve) => {
        const h = (e) => {
          if (e.source === f.contentWindow && e.data?.e2eFrameReady) {
            window.removeEventListener('message', h);
            resolve();
          }
        };
        window.addEventListener('message', h);
      });
      f.src = `${origins[origin]}/tests/e2e/frame.html`;
      document.body.append(f);
      ctx.waiting.add(`the frame on origin ${origin}`);
      await ready;
      ctx.waiting.delete(`the frame on origin ${origin}`);
      const post = (message) => f.contentWindow?.postMessage(message, '*');
      const idOf = (e) => (e.source === f.contentWindow ? e.data?.e2eFrame : undefined);
      return { open: remoteOpener(window, post, idOf) };
    },
    /** A dedicated module worker (worker-sources.mjs) that runs EventSources of the
     *  implementation under test: `(await ctx.worker()).open(url, init)` returns
     *  `{ rec, close }`; `onLine()` is the worker's navigator.onLine. */
    async worker() {
      const w = new Worker(new URL('./worker-sources.mjs', import.meta.url), { type: 'module' });
      cleanups.push(() => w.terminate());
      const reply = (key) =>
        new Promise((resolve) => {
          const h = (e) => {
            if (e.data && key in e.data) {
              w.removeEventListener('message', h);
              resolve(e.data[key]);
            }
          };
          w.addEventListener('message', h);
        });
      ctx.waiting.add('the worker');
      await reply('e2eWorkerReady');
      ctx.waiting.delete('the worker');
      return {
        open: remoteOpener(
          w,
          (message) => w.postMessage(message),
          (e) => e.data?.e2eSource,
        ),
        onLine() {
          const r = reply('e2eOnLine');
          w.postMessage({ e2eOnLine: true });
          return r;
        },
      };
    },
    /** Everything recorded so far (returned with a failure). */
    snapshot: () => recorders.map((r) => r.log),
    cleanup() {
      for (const es of sources) {
        try {
          es.close();
        } catch {
          /* ignore */
        }
      }
      for (const f of cleanups) {
        try {
          f();
        } catch {
          /* ignore */
        }
      }
    },
    onCleanup: (f) => cleanups.push(f),
  };
  return ctx;
}

async function run(name, impl, env) {
  const t = tests.find((x) => x.name === name);
  if (!t) return { ok: false, error: `no test named ${name}` };
  let ES;
  try {
    ES = await IMPLS[impl]();
    if (typeof ES !== 'function') throw new Error(`implementation "${impl}" did not provide an EventSource class`);
  } catch (e) {
    return { ok: false, error: `cannot load implementation "${impl}": ${e?.name}: ${e?.message}` };
  }
  const ctx = makeCtx(ES, impl, env);
  // The test's guard against a hang, scaled to the machine by the runner (env.timeScale).
  const timeout = (t.timeout ?? 10000) * (env.timeScale ?? 1);
  let timer;
  warnings.length = 0;
  try {
    const result = await Promise.race([
      t.run(ctx),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${timeout} ms waiting for: ${[...ctx.waiting].join('; ') || '?'}`)),
          timeout,
        );
      }),
    ]);
    if (warnings.length) throw new Error(`a false alarm: ${warnings.join('; ')}`);
    return { ok: true, result: JSON.parse(JSON.stringify(result ?? null)), pageErrors: ctx.pageErrors };
  } catch (e) {
    return { ok: false, error: `${e?.name}: ${e?.message}`, partial: ctx.snapshot(), pageErrors: ctx.pageErrors };
  } finally {
    clearTimeout(timer);
    ctx.cleanup();
  }
}

window.__e2e = { run, tests: tests.map((t) => t.name) };
