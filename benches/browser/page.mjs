// Page side of the browser benchmark: `window.__bench`, driven by run.mjs through
// page.evaluate, one measurement per call so that the runner can alternate implementations
// and read CPU time around each one.
//
//   await __bench.init(divisor, [{ name, url }])   import the implementations' modules
//   await __bench.throughput(name, workload)      one stream: ms from `open` to the last event
//   await __bench.floor(workload)                 the same events as bare MessageEvents
//   await __bench.latency(name, events)           server clock → handler, at 1,000 events/s
//
// Every event is checked against the expected one (data and last event ID, generated here
// by workloads.mjs): a run that loses, alters or adds an event reports ok: false.

import { workload } from './workloads.mjs';

const NativeEventSource = globalThis.EventSource;

/** The harness's self-test (run.mjs): the native class, but the third event's data is
 *  altered by one character. The check must report it. */
class AlteringEventSource extends EventTarget {
  #inner;
  constructor(url) {
    super();
    let n = 0;
    this.#inner = new NativeEventSource(url);
    this.#inner.onopen = () => this.dispatchEvent(new Event('open'));
    this.#inner.onerror = () => this.dispatchEvent(new Event('error'));
    this.#inner.onmessage = (e) => {
      const data = ++n === 3 ? `${e.data.slice(0, -1)}?` : e.data;
      this.dispatchEvent(new MessageEvent('message', { data, lastEventId: e.lastEventId, origin: e.origin }));
    };
  }
  get readyState() {
    return this.#inner.readyState;
  }
  close() {
    this.#inner.close();
  }
}

const classes = new Map([
  ['native', NativeEventSource],
  ['self-test', AlteringEventSource],
]);
let divisor = 1;
let runs = 0;
const expected = new Map(); // workload name -> { events, data: [], ids: [] }

const clock = () => performance.timeOrigin + performance.now();

function expectedOf(name) {
  let e = expected.get(name);
  if (!e) {
    const w = workload(name, divisor);
    e = {
      events: w.events,
      data: Array.from({ length: w.events }, (_, n) => w.data(n)),
      ids: Array.from({ length: w.events }, (_, n) => w.id(n)),
    };
    expected.clear(); // one workload's events at a time: 64 MiB for the large one
    expected.set(name, e);
  }
  return e;
}

/** The finest step of performance.now() seen in a short loop, in ms. */
function timerStep() {
  let step = Infinity;
  let last = performance.now();
  for (let i = 0; i < 100000 && step > 0.001; i++) {
    const now = performance.now();
    if (now !== last) {
      step = Math.min(step, now - last);
      last = now;
    }
  }
  return step;
}

async function init(d, impls) {
  divisor = d;
  for (const { name, url } of impls) {
    if (url) classes.set(name, (await import(url)).EventSource);
  }
  return { crossOriginIsolated: globalThis.crossOriginIsolated === true, timerStepMs: timerStep(), userAgent: navigator.userAgent };
}

/** Connects `name` to `path`, calls `onEvent(event, i)` for each message until it returns
 *  true, and resolves with what happened. Fails on a CLOSED error or after `timeoutMs`. */
function stream(name, path, { onEvent, timeoutMs }) {
  const ES = classes.get(name);
  if (!ES) return Promise.resolve({ ok: false, error: `no implementation ${name}` });
  return new Promise((resolve) => {
    const tConstruct = performance.now();
    let tOpen = null;
    let errors = 0;
    let i = 0;
    let done = false;
    const es = new ES(`${path}${path.includes('?') ? '&' : '?'}run=${++runs}`);
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      es.close();
      resolve({ events: i, errors, setupMs: tOpen === null ? null : tOpen - tConstruct, tOpen, ...r });
    };
    const timer = setTimeout(() => finish({ ok: false, error: `timeout after ${timeoutMs} ms` }), timeoutMs);
    es.addEventListener('open', () => {
      tOpen ??= performance.now();
    });
    es.addEventListener('error', () => {
      errors++;
      if (es.readyState === 2) finish({ ok: false, error: 'error event, CLOSED' });
    });
    es.addEventListener('message', (e) => {
      if (done) return;
      if (onEvent(e, i++)) finish(tOpen === null ? { ok: false, error: 'no open event' } : { ok: true, tLast: performance.now() });
    });
  });
}

/** A comparison of one event with the expected one; keeps the first mismatch. */
function checker(exp) {
  const state = { bad: 0, firstBad: null };
  const check = (data, id, i) => {
    if (data !== exp.data[i] || id !== exp.ids[i]) {
      if (!state.bad++) {
        state.firstBad = {
          index: i,
          data: typeof data === 'string' && data.length > 80 ? `${data.slice(0, 80)}… (${data.length})` : data,
          expected: exp.data[i]?.length > 80 ? `${exp.data[i].slice(0, 80)}… (${exp.data[i].length})` : exp.data[i],
          id,
          expectedId: exp.ids[i],
        };
      }
    }
  };
  return { state, check };
}

async function throughput(name, wname, timeoutMs = 120000) {
  const exp = expectedOf(wname);
  const { state, check } = checker(exp);
  const r = await stream(name, `/sse/${wname}`, {
    timeoutMs,
    onEvent: (e, i) => {
      check(e.data, e.lastEventId, i);
      return i + 1 === exp.events;
    },
  });
  const ms = r.ok ? r.tLast - r.tOpen : null;
  return {
    ...r,
    ok: r.ok && state.bad === 0 && r.events === exp.events,
    ms,
    expected: exp.events,
    bad: state.bad,
    firstBad: state.firstBad,
  };
}

/** The floor: the workload's events created and dispatched as MessageEvents on an
 *  EventTarget in a bare loop, to the same checking listener, with no network and no parsing. */
async function floor(wname) {
  const exp = expectedOf(wname);
  const { state, check } = checker(exp);
  const target = new EventTarget();
  let i = 0;
  target.addEventListener('message', (e) => check(e.data, e.lastEventId, i++));
  const origin = location.origin;
  const t0 = performance.now();
  for (let n = 0; n < exp.events; n++) {
    target.dispatchEvent(new MessageEvent('message', { data: exp.data[n], lastEventId: exp.ids[n], origin }));
  }
  const ms = performance.now() - t0;
  return { ok: state.bad === 0 && i === exp.events, ms, events: i, expected: exp.events, bad: state.bad, firstBad: state.firstBad };
}

/** The offset of the server's clock from this page's, from the /clock exchange with the
 *  shortest round trip: the server read its clock within that round trip, so the estimate
 *  is off by at most half of it. */
async function calibrate(rounds = 20) {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < rounds; i++) {
    const a = clock();
    const res = await fetch('/clock', { cache: 'no-store' });
    const b = clock();
    const { t } = await res.json();
    if (b - a < best.rtt) best = { rtt: b - a, offset: t - (a + b) / 2 };
  }
  return best;
}

/** `events` events sent at 1,000/s: for each, the time from the server's clock reading just
 *  before writing it to the start of the handler, on the calibrated clock; also the same
 *  with Date.now() on both sides (1 ms steps, no calibration), as a cross-check. */
async function latency(name, events, timeoutMs = 30000) {
  const { rtt, offset } = await calibrate();
  const samples = [];
  const dateSamples = [];
  let bad = 0;
  const r = await stream(name, `/sse/latency?events=${events}`, {
    timeoutMs: timeoutMs + events,
    onEvent: (e, i) => {
      const now = clock();
      const d = Date.now();
      const [t, sd] = e.data.split(' ').map(Number);
      if (e.lastEventId !== String(i) || !Number.isFinite(t)) bad++;
      samples.push(now + offset - t);
      dateSamples.push(d - sd);
      return i + 1 === events;
    },
  });
  return { ...r, ok: r.ok && bad === 0 && r.events === events, expected: events, bad, rtt, samples, dateSamples };
}

window.__bench = { init, throughput, floor, latency };
