#!/usr/bin/env node
// The first request, made while the wasm loads (issue 21; js/request.js), in Chromium,
// Firefox and WebKit: each case in a fresh page that imports the ES entry and constructs a
// source at once, against a loopback server that holds the wasm back until the case says
// so. A class that waited for the wasm before its first request would never make it here:
// every case first waits for the stream's request with the wasm still held.
//
//   request   the request is the connection's first, exactly: the headers function called
//             once, its headers, Accept, Last-Event-ID (the option's, UTF-8), one request;
//             the connection takes it over: open, the event, its ID
//   close     close() while the wasm loads: the request is aborted (the server sees it go)
//             before the wasm arrives; once it has, nothing is dispatched
//   status    a 204 answered before the wasm arrives: reported once it has (one error,
//             CLOSED, reason 'status', status 204), no second request
//   stop      window.stop() while the wasm loads (the wasm's fetch is stopped too, and is
//             released only after it): one error, CLOSED, and no request after it
//   cap       six sources while the wasm loads: five requests leave (js/request.js,
//             EARLY_MAX: a connection of the host's six stays for the wasm), the sixth once
//             it has loaded; all six get their event (through a fetch option that answers
//             at once and counts its calls: no connection used)
//
//   node tests/early/run.mjs [--browser=chromium,firefox,webkit]   (a built dist/)

import http from 'node:http';
import { launch } from '../browsers.mjs';
import { readStatic } from '../static.mjs';
import { bookkeeping, scaled, withTimeout } from '../runner.mjs';

const browsers = process.argv
  .find((a) => a.startsWith('--browser='))
  ?.slice(10)
  .split(',') ?? ['chromium', 'firefox', 'webkit'];
const { check, attempt, cleanups, finish, log } = bookkeeping(5 * 60_000);

// ---- the pages: each imports the entry and constructs at once; `window.__log` gets
// what the source dispatches, `window.__done` is set when the case is over.
const record = `
window.__log = [];
const watch = (es) => {
  for (const type of ['open', 'message', 'error'])
    es.addEventListener(type, (e) => window.__log.push({ type, data: e.data, lastEventId: e.lastEventId, reason: e.reason, status: e.status, readyState: es.readyState }));
  return es;
};
const closedError = (es) => new Promise((resolve) => es.addEventListener('error', () => es.readyState === 2 && resolve()));
// A second source's first event or error: whatever the first one had to dispatch once the
// wasm loaded (or failed to) was dispatched before it.
const settled = () => new Promise((resolve) => {
  const second = new EventSource('/early/sse?case=second');
  second.onmessage = second.onerror = () => (second.close(), resolve());
});`;
const CASES = {
  request: `
let calls = 0;
const es = watch(new EventSource('/early/sse?case=request', { headers: () => (calls++, { 'X-Early': 'yes' }), lastEventId: 'é1' }));
es.addEventListener('message', () => { es.close(); window.__done = { calls }; });`,
  close: `
const es = watch(new EventSource('/early/sse?case=close'));
await fetch('/early/arrived?case=close');
es.close();
await fetch('/early/released');
await settled();
window.__done = { readyState: es.readyState };`,
  status: `
const es = watch(new EventSource('/early/sse?case=status'));
await closedError(es);
window.__done = { readyState: es.readyState };`,
  stop: `
const es = watch(new EventSource('/early/sse?case=stop'));
await fetch('/early/arrived?case=stop');
const closed = closedError(es);
window.stop();
await fetch('/early/stopped');
await closed;
await settled();
window.__done = { readyState: es.readyState };`,
  cap: `
let calls = 0;
const answer = (url) => (calls++, Promise.resolve(new Response('data: ' + url.slice(-1) + '\\n\\n', { headers: { 'Content-Type': 'text/event-stream' } })));
const sources = [0, 1, 2, 3, 4, 5].map((n) => watch(new EventSource('/early/sse?case=cap&n=' + n, { fetch: answer })));
const messages = sources.map((es) => new Promise((resolve) => es.addEventListener('message', resolve, { once: true })));
await new Promise((resolve) => setTimeout(resolve));
const early = calls;
await fetch('/early/recorded'); // the wasm is held until the server has this
await Promise.all(messages);
for (const es of sources) es.close();
window.__done = { early, calls };`,
};
const html = (name) =>
  `<!doctype html><meta charset="utf-8"><title>early ${name}</title><script type="module">import { EventSource } from '/dist/index.js';${record}${CASES[name]}</script>`;

// ---- the server --------------------------------------------------------------------------
const state = { requests: [], gone: [], wasmHeld: [], holding: true, stopped: false, waiters: [] };
const changed = () => {
  for (const w of state.waiters.splice(0)) w();
};
const until = (what, ok, ms = 10_000) =>
  withTimeout(
    new Promise((resolve) => {
      const look = () => (ok() ? resolve() : state.waiters.push(look));
      look();
    }),
    ms,
    what,
  );
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const headers = { 'Cache-Control': 'no-store' };
  const name = url.searchParams.get('case');
  if (url.pathname.startsWith('/early/page/')) {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
    return res.end(html(url.pathname.slice(12)));
  }
  if (url.pathname === '/early/sse') {
    state.requests.push({ name, headers: req.headers });
    req.socket.on('close', () => {
      state.gone.push(name);
      changed();
    });
    changed();
    if (name === 'status') {
      res.writeHead(204, headers);
      return res.end();
    }
    if (name === 'close' || name === 'stop') return; // held: the page ends it
    res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream' });
    return res.write('id: 1\ndata: first\n\n');
  }
  if (url.pathname === '/early/arrived') {
    await until('the stream request', () => state.requests.some((r) => r.name === name)).catch(() => {});
    res.writeHead(204, headers);
    return res.end();
  }
  if (url.pathname === '/early/recorded') {
    state.recorded = true;
    changed();
    res.writeHead(204, headers);
    return res.end();
  }
  if (url.pathname === '/early/stopped') {
    state.stopped = true;
    changed();
    res.writeHead(204, headers);
    return res.end();
  }
  if (url.pathname === '/early/released') {
    await until('the wasm released', () => !state.holding).catch(() => {});
    res.writeHead(204, headers);
    return res.end();
  }
  const file = await readStatic(url.pathname);
  const send = () => {
    res.writeHead(file.status, { ...headers, 'Content-Type': file.type ?? 'text/plain' });
    res.end(file.data);
  };
  if (url.pathname.endsWith('.wasm') && state.holding) {
    state.wasmHeld.push(send);
    changed();
  } else send();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
cleanups.push(() => {
  server.closeAllConnections();
  server.close();
});
const origin = `http://127.0.0.1:${server.address().port}`;
const release = () => {
  state.holding = false;
  for (const send of state.wasmHeld.splice(0)) send();
  changed();
};

// ---- the cases ---------------------------------------------------------------------------
const requestsOf = (name) => state.requests.filter((r) => r.name === name);
const EXPECT = {
  async request(done, events, browser) {
    const [request, ...more] = requestsOf('request');
    const h = request.headers;
    // The ID's UTF-8 bytes; WebKit encodes a header's value once more (docs/compatibility.md,
    // "A non-ASCII Last-Event-ID in WebKit"), as it does for every request of the class.
    const utf8 = Buffer.from('é1').toString('latin1');
    const id = browser === 'webkit' ? Buffer.from(utf8, 'utf8').toString('latin1') : utf8;
    const want = { 'x-early': 'yes', accept: 'text/event-stream', 'last-event-id': id };
    const got = { 'x-early': h['x-early'], accept: h.accept, 'last-event-id': h['last-event-id'] };
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`headers ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    if (more.length) throw new Error(`${more.length} more request(s)`);
    if (done.calls !== 1) throw new Error(`the headers function called ${done.calls} times`);
    const seen = events.map((e) => `${e.type} ${e.readyState}${e.data ? ` ${e.data} ${e.lastEventId}` : ''}`).join(', ');
    if (seen !== 'open 1, message 1 first 1') throw new Error(`events: ${seen}`);
  },
  async close(done, events) {
    if (events.length) throw new Error(`dispatched after close(): ${JSON.stringify(events)}`);
    if (done.readyState !== 2) throw new Error(`readyState ${done.readyState}`);
    if (requestsOf('close').length !== 1) throw new Error(`${requestsOf('close').length} requests`);
  },
  async status(done, events) {
    const seen = events.map((e) => `${e.type} ${e.readyState} ${e.reason} ${e.status}`).join(', ');
    if (seen !== 'error 2 status 204') throw new Error(`events: ${seen}`);
    if (requestsOf('status').length !== 1) throw new Error(`${requestsOf('status').length} requests`);
  },
  async cap(done, events) {
    if (done.early !== 5) throw new Error(`${done.early} requests before the wasm loaded, expected 5`);
    if (done.calls !== 6) throw new Error(`${done.calls} requests in all, expected 6`);
    const data = events
      .filter((e) => e.type === 'message')
      .map((e) => e.data)
      .sort();
    if (JSON.stringify(data) !== JSON.stringify(['0', '1', '2', '3', '4', '5'])) throw new Error(`events: ${JSON.stringify(events)}`);
  },
  async stop(done, events) {
    const seen = events.map((e) => `${e.type} ${e.readyState}`).join(', ');
    if (seen !== 'error 2') throw new Error(`events: ${seen} (reason ${events[0]?.reason})`);
    if (requestsOf('stop').length !== 1) throw new Error(`${requestsOf('stop').length} requests`);
  },
};

for (const name of browsers) {
  let browser;
  try {
    const launched = await launch(name, { prefix: 'early' });
    cleanups.push(launched.close);
    browser = launched.browser;
  } catch (error) {
    check(false, `${name}: launch`, String(error?.message ?? error), { count: Object.keys(CASES).length });
    continue;
  }
  for (const c of Object.keys(CASES)) {
    Object.assign(state, { requests: [], gone: [], wasmHeld: [], holding: true, stopped: false, recorded: false });
    const context = browser.webdriver ? null : await browser.createBrowserContext();
    const page = await (context ?? browser).newPage();
    await attempt(`${name} ${c}`, async () => {
      try {
        const loading = page.goto(`${origin}/early/page/${c}`, { waitUntil: 'load' });
        // The stream's request arrives while the wasm is held ('cap': its requests go to its
        // fetch option; the page says when it has counted them).
        if (c === 'cap') await until('the requests counted, the wasm held', () => state.recorded && state.wasmHeld.length > 0);
        else await until('the stream request, the wasm held', () => requestsOf(c).length > 0 && state.wasmHeld.length > 0);
        if (c === 'close') await until('the request aborted, the wasm held', () => state.gone.includes('close'));
        if (c === 'stop') await until('window.stop(), the wasm held', () => state.stopped);
        release();
        await loading;
        await page.waitForFunction(() => !!window.__done, { timeout: scaled(10_000) });
        const [done, events] = await page.evaluate(() => [window.__done, window.__log]);
        await EXPECT[c](done, events, name);
      } finally {
        release();
        await (context ?? page).close();
      }
    });
  }
}
log('');
await finish();
