// Page side of tests/hostile/run.mjs: the functions the runner calls through
// page.evaluate, each returning plain JSON.
//
//   ours     EventSource from /dist/index.js (the ES entry)
//   native   the browser's own EventSource, captured before anything can replace it

import { wasmExports } from '../wasm-instance.mjs';

const Native = globalThis.EventSource;
let ours;
async function impl(name) {
  if (name === 'native') return Native;
  ours ??= (await import('/dist/index.js')).EventSource;
  return ours;
}

/** The wasm linear memory of the library's instance, in bytes. */
async function wasmMemory() {
  await impl('ours'); // the library loads its module when imported
  return (await wasmExports).memory.buffer.byteLength;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withTimeout = (promise, ms, what) =>
  Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new Error(`${what}: nothing within ${ms} ms`);
    }),
  ]);

/** Opens a source; resolves with its log once `done(log, es)` holds (checked after each
 *  event), then closes it. Entries: 'open', ['message', data], ['error', readyState, reason]. */
function record(ES, url, init, done, ms = 10000) {
  const es = init === undefined ? new ES(url) : new ES(url, init);
  const log = [];
  const finished = new Promise((resolve) => {
    const check = () => {
      if (done(log, es)) resolve();
    };
    es.addEventListener('open', () => {
      log.push('open');
      check();
    });
    es.addEventListener('message', (e) => {
      log.push(['message', e.data]);
      check();
    });
    es.addEventListener('error', (e) => {
      log.push(['error', es.readyState, e.reason ?? null]);
      check();
    });
  });
  return withTimeout(finished, ms, `${url}: the awaited events`)
    .catch((e) => {
      log.push(['timeout', String(e.message)]);
    })
    .then(() => {
      es.close();
      return log;
    });
}
const firstMessageOrFailure = (log, es) => log.some((e) => e[0] === 'message') || es.readyState === 2;

// ---- (a) a line that never ends ----------------------------------------------------------
let big = null;

/** Loads the module with a small source, so that the memory before is measured. */
async function warmUp(name, url) {
  const ES = await impl(name);
  const log = await record(ES, url, undefined, firstMessageOrFailure);
  return { log, memory: name === 'ours' ? await wasmMemory() : null };
}

/** Starts the huge stream (`init`: ours' options, e.g. maxBufferSize); the log fills in the background. */
async function hugeStart(name, url, init) {
  const ES = await impl(name);
  const es = init === undefined ? new ES(url) : new ES(url, init);
  const log = [];
  let erred;
  const error = new Promise((r) => {
    erred = r;
  });
  es.addEventListener('open', () => log.push('open'));
  es.addEventListener('message', (e) => log.push(['message', e.data.length]));
  es.addEventListener('error', (e) => {
    log.push(['error', es.readyState, e.reason ?? null]);
    erred();
  });
  big = { es, log, error, t0: performance.now() };
  return true;
}

/** Resolves once the huge source fired `error`: its log, readyState and the time taken. */
async function hugeUntilError() {
  await big.error;
  return { ms: Math.round(performance.now() - big.t0) };
}

/** The huge source's state now, and the wasm memory; `close` closes it. */
async function hugeState(close) {
  const state = { log: big.log, readyState: big.es.readyState };
  if (close) big.es.close();
  if (ours) state.memory = await wasmMemory();
  return state;
}

/** A new source of `name` receives an event: the page survived. */
async function alive(name, url) {
  const ES = await impl(name);
  return record(ES, url, undefined, firstMessageOrFailure);
}

// ---- (b) the differential ----------------------------------------------------------------

/** One stream through one class: every event of the given types, in order, and the
 *  readyState at the `error` that ends it (the body ended); then closed. */
function diffOne(ES, url, types) {
  return new Promise((resolve) => {
    const es = new ES(url);
    const log = [];
    let timer;
    const finish = (entry) => {
      log.push(entry);
      clearTimeout(timer);
      es.close();
      resolve(log);
    };
    const onEvent = (e) => {
      if (e instanceof MessageEvent) log.push([e.type, e.data, e.lastEventId]);
      else if (e.type === 'open') log.push(['@open']);
      else if (e.type === 'error') finish(['@error', es.readyState]);
    };
    for (const t of new Set([...types, 'open', 'error'])) es.addEventListener(t, onEvent);
    timer = setTimeout(() => finish(['@timeout', es.readyState]), 15000);
  });
}

/** Runs streams, `concurrency` at a time, each through ours and native at once. */
async function diffBatch(items, concurrency) {
  const [O, N] = [await impl('ours'), await impl('native')];
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const { url, types } = items[i];
      const [o, n] = await Promise.all([diffOne(O, url, types), diffOne(N, url, types)]);
      results[i] = { ours: o, native: n };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Names a hostile server may use as event types: they must reach their listeners and
 *  nothing else (no property of any prototype set or replaced). */
const PROTO_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'then',
  'message',
  'onmessage',
  'open',
  'error',
  'close',
  'readyState',
  'url',
];
function protoSnapshot(ES) {
  const out = {};
  for (const [label, o] of [
    ['Object.prototype', Object.prototype],
    ['EventTarget.prototype', EventTarget.prototype],
    ['EventSource.prototype', ES.prototype],
    ['Event.prototype', Event.prototype],
    ['MessageEvent.prototype', MessageEvent.prototype],
  ]) {
    for (const k of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      out[`${label}.${String(k)}`] = d.value ?? d.get ?? null;
    }
  }
  return out;
}
/** One stream through ours, listening for PROTO_NAMES; the events, and what changed on the
 *  prototypes and on the source itself. */
async function protoNames(url) {
  const ES = await impl('ours');
  const before = protoSnapshot(ES);
  const es = new ES(url);
  const own = Reflect.ownKeys(es).map(String);
  const log = [];
  await new Promise((resolve) => {
    const timer = setTimeout(() => {
      log.push(['@timeout']);
      resolve();
    }, 10000);
    for (const t of PROTO_NAMES) {
      es.addEventListener(t, (e) => {
        if (t === 'error') {
          clearTimeout(timer);
          es.close();
          resolve();
          return;
        }
        if (e instanceof MessageEvent) log.push([e.type, e.data, e.lastEventId]);
      });
    }
  });
  const after = protoSnapshot(ES);
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]);
  const ownAfter = Reflect.ownKeys(es).map(String);
  return { log, changed, ownBefore: own, ownAfter, plain: {}.polluted ?? null, onmessage: es.onmessage, names: PROTO_NAMES };
}

// ---- (c) connection slots ------------------------------------------------------------------

/** Sources of ours, one after another: each until its first message (or failure, or `ms`),
 *  then closed. Stops at the first that gets no message. */
async function oneByOne(name, urls, ms) {
  const ES = await impl(name);
  const out = [];
  for (const url of urls) {
    const t0 = performance.now();
    const log = await record(ES, url, undefined, firstMessageOrFailure, ms);
    out.push({ ok: log.some((e) => e[0] === 'message'), ms: Math.round(performance.now() - t0), log });
    if (!out[out.length - 1].ok) break;
  }
  return out;
}

/** The same with plain fetch(): each until its first chunk (or `ms`), then aborted. The
 *  oracle for ours, which is fetch() underneath. */
async function fetchOneByOne(urls, ms) {
  const out = [];
  for (const url of urls) {
    const t0 = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    let ok = false;
    let log = [];
    try {
      const response = await fetch(url, { signal: controller.signal, cache: 'no-store', headers: { accept: 'text/event-stream' } });
      const chunk = await response.body.getReader().read();
      ok = !chunk.done;
    } catch (error) {
      log = [['fetch', String(error)]];
    }
    clearTimeout(timer);
    controller.abort();
    out.push({ ok, ms: Math.round(performance.now() - t0), log });
    if (!ok) break;
  }
  return out;
}

// ---- credentials and headers -------------------------------------------------------------

async function setCookie(origin, name) {
  await fetch(`${origin}/setcookie?name=${encodeURIComponent(name)}`, { credentials: 'include', cache: 'no-store' });
  return document.cookie;
}

/** One source until its first message (or n messages), or its failure. */
async function once(name, url, init, n = 1) {
  const ES = await impl(name);
  return record(ES, url, init, (log, es) => log.filter((e) => e[0] === 'message').length >= n || es.readyState === 2);
}

window.__hostile = { warmUp, hugeStart, hugeUntilError, hugeState, alive, diffBatch, protoNames, oneByOne, fetchOneByOne, setCookie, once };
