// The extensions beyond the standard (README documents them) as a Node.js 20 user
// sees them: the request options (headers, method, body, credentials, fetch,
// signal), the retry policy, inactivityTimeout, maxBufferSize, lastEventId,
// the lastEventId and reconnectionTime getters, and the richer `error` event.
// Offline awareness needs navigator.onLine, which Node.js 20 does not have:
// nothing of it is tested here.
//
// Timing: every wait is on an event or a server request. Durations measured
// here get only lower bounds (a loaded machine is slow, never early); the
// `delay` values the source reports get the contract's exact bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { EventSource } from 'eventsource-wasm';
import { startServer, record, once, quiet, turn, SSE, TIMEOUT, opener, fileServer, scaled } from './helpers.mjs';

const { CONNECTING, OPEN, CLOSED } = EventSource;

const server = fileServer();
const open = opener(EventSource);

/** Timers may fire up to a millisecond or so early against performance.now(): the slack of lower bounds. */
const SLACK = 5;

/** A network failure as the client sees it: the connection goes away before any response. */
const drop = (req) => req.socket.destroy();

/** What the tests compare of each recorded `error` event. */
const errors = (log) =>
  log.errors.map(({ event, readyState }) => ({ reason: event.reason, readyState, delay: event.delay, status: event.status }));

/** The gaps (ms) between consecutive requests, as the server saw them arrive. */
const gaps = (requests) => requests.slice(1).map((r, i) => r.time - requests[i].time);

/** Checks that every gap before a reconnection lasted at least the delay the source announced. */
function assertWaited(requests, delays) {
  gaps(requests)
    .slice(0, delays.length)
    .forEach((gap, i) => {
      assert.ok(gap >= delays[i] - SLACK, `reconnection ${i + 1}: announced ${delays[i]} ms, came after ${gap.toFixed(1)} ms`);
    });
}

/**
 * A custom `fetch` that records its calls: `respond(url, init, n)` gives the
 * result of the n-th call (n from 1); `until(count)` resolves once `count`
 * calls came.
 */
function spy(respond = () => new Promise(() => {})) {
  const calls = [];
  const waiters = new Set();
  const fetch = (url, init) => {
    calls.push({ url, init });
    for (const w of [...waiters])
      if (calls.length >= w.count) {
        waiters.delete(w);
        w.resolve(calls);
      }
    return respond(url, init, calls.length);
  };
  fetch.calls = calls;
  fetch.until = (count) => new Promise((resolve) => (calls.length >= count ? resolve(calls) : waiters.add({ count, resolve })));
  return fetch;
}

// ---------------------------------------------------------------- headers

test('headers: an object, an array of pairs or a Headers are sent; Accept stays text/event-stream', {
  timeout: TIMEOUT,
}, async () => {
  const cases = [
    ['/h-object', { 'X-Token': 'abc', 'X-Other': 'o' }],
    [
      '/h-pairs',
      [
        ['X-Token', 'abc'],
        ['X-Other', 'o'],
      ],
    ],
    ['/h-headers', new Headers({ 'X-Token': 'abc', 'X-Other': 'o' })],
  ];
  for (const [path, headers] of cases) {
    server.route(path, (req, res) => res.writeHead(200, SSE).write('data: x\n\n'));
    const es = open(server.url(path), { headers });
    const [request] = await server.waitFor(path);
    assert.deepEqual(
      [request.headers['x-token'], request.headers['x-other'], request.headers.accept],
      ['abc', 'o', 'text/event-stream'],
      path,
    );
    es.close();
  }
});

test("headers: the user's Accept replaces the default; Last-Event-ID is always the source's own", {
  timeout: TIMEOUT,
}, async () => {
  server.route('/h-accept', (req, res, n) => {
    res.writeHead(200, SSE);
    if (n === 1) res.end('retry: 10\nid: 7\ndata: 1\n\n');
    else res.write('data: 2\n\n');
  });
  const es = open(server.url('/h-accept'), { headers: { Accept: 'application/x-custom', 'Last-Event-ID': 'user' } });
  const requests = await server.waitFor('/h-accept', 2);
  es.close();
  assert.deepEqual(
    requests.map((r) => r.headers.accept),
    ['application/x-custom', 'application/x-custom'],
  );
  // None of its own on the first request (the user's value is not sent), then the id the stream gave.
  assert.deepEqual(
    requests.map((r) => r.headers['last-event-id']),
    [undefined, '7'],
  );
});

test('headers: a function is called before every connection, so a refreshed token is used (token-1, then token-2)', {
  timeout: TIMEOUT,
}, async () => {
  const variants = {
    async: (n) => async () => {
      await turn();
      return { Authorization: `Bearer token-${n()}` };
    },
    sync: (n) => () => new Headers([['Authorization', `Bearer token-${n()}`]]),
  };
  for (const [name, make] of Object.entries(variants)) {
    const path = `/h-fn-${name}`;
    let calls = 0;
    const headers = make(() => ++calls);
    server.route(path, (req, res, n) => {
      res.writeHead(200, SSE);
      if (n === 1) res.end('retry: 10\ndata: 1\n\n');
      else res.write('data: 2\n\n');
    });
    const es = open(server.url(path), { headers });
    const log = record(es);
    const requests = await server.waitFor(path, 2);
    await log.until((l) => l.messages.length === 2);
    es.close();
    assert.deepEqual(
      requests.map((r) => r.headers.authorization),
      ['Bearer token-1', 'Bearer token-2'],
      name,
    );
    assert.deepEqual(
      requests.map((r) => r.headers.accept),
      ['text/event-stream', 'text/event-stream'],
      name,
    );
    assert.equal(calls, 2, `${name}: one call per connection`);
  }
});

test("headers: a function that throws, rejects or gives invalid headers → error 'request', CONNECTING, then retried", {
  timeout: TIMEOUT,
}, async () => {
  const thrown = new Error('no token yet');
  const rejected = new Error('token service down');
  let calls = 0;
  const headers = () => {
    calls++;
    if (calls === 1) throw thrown;
    if (calls === 2) return Promise.reject(rejected);
    if (calls === 3) return { 'not a header name': 'x' };
    return { 'X-Token': 'finally' };
  };
  server.route('/h-throw', (req, res) => res.writeHead(200, SSE).write('data: in\n\n'));
  const es = open(server.url('/h-throw'), { headers, retry: { initialDelay: 10 } });
  const log = record(es);
  const [request] = await server.waitFor('/h-throw');
  await log.until((l) => l.messages.length === 1);
  es.close();
  assert.equal(request.headers['x-token'], 'finally');
  const failed = { reason: 'request', readyState: CONNECTING, delay: 10, status: 0 };
  assert.deepEqual(errors(log), [failed, failed, failed]);
  assert.equal(log.errors[0].event.cause, thrown);
  assert.equal(log.errors[1].event.cause, rejected);
  assert.ok(log.errors[2].event.cause instanceof TypeError, 'invalid headers: the TypeError building them is the cause');
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['error', 'error', 'error', 'open', 'message'],
  );
  // No request goes out for an attempt whose headers failed.
  assert.equal(server.requests('/h-throw').length, 1);
  assert.equal(calls, 4);
});

// ---------------------------------------------------------------- method and body

test('method and body: sent on the first request and again on every reconnection', { timeout: TIMEOUT }, async () => {
  const bytes = Uint8Array.from([0, 1, 2, 0x0a, 0xfa, 0xff]);
  const form = new FormData();
  form.append('field', 'form value');
  const cases = [
    ['string', 'POST', 'hello body', Buffer.from('hello body')],
    ['URLSearchParams', 'POST', new URLSearchParams({ a: '1', b: 'x y' }), Buffer.from('a=1&b=x+y')],
    ['Uint8Array', 'PUT', bytes, Buffer.from(bytes)],
    ['ArrayBuffer', 'POST', bytes.slice().buffer, Buffer.from(bytes)],
    ['DataView', 'POST', new DataView(bytes.slice().buffer, 1, 3), Buffer.from(bytes.subarray(1, 4))],
    ['Blob', 'POST', new Blob(['blob body']), Buffer.from('blob body')],
    ['FormData', 'POST', form, null],
    ['none', 'DELETE', undefined, Buffer.alloc(0)],
  ];
  for (const [name, method, body, expected] of cases) {
    const path = `/m-${name}`;
    server.route(path, (req, res, n) => {
      res.writeHead(200, SSE);
      if (n === 1) res.end('retry: 10\ndata: 1\n\n');
      else res.write('data: 2\n\n');
    });
    const es = open(server.url(path), { method, body });
    const requests = await server.waitFor(path, 2);
    const bodies = await Promise.all(requests.slice(0, 2).map((r) => r.body));
    es.close();
    assert.deepEqual(
      requests.slice(0, 2).map((r) => r.method),
      [method, method],
      name,
    );
    if (expected) {
      assert.deepEqual(bodies, [expected, expected], name);
    } else {
      for (const [i, request] of requests.slice(0, 2).entries()) {
        assert.match(request.headers['content-type'], /^multipart\/form-data; ?boundary=/, `${name} #${i + 1}`);
        assert.match(bodies[i].toString(), /name="field"\r\n\r\nform value\r\n/, `${name} #${i + 1}`);
      }
    }
  }
});

test('redirects: reconnections go to the final URL with the headers fetch sent there; a POST goes back to the original URL', {
  timeout: TIMEOUT,
}, async () => {
  // fetch (undici) drops Authorization, Proxy-Authorization and Cookie at a redirect to another
  // origin: a reconnection straight to the final URL must not send them there either.
  const other = await startServer(); // 127.0.0.1 on another port: another origin
  try {
    const headers = { Authorization: 'Bearer s3cret', 'Proxy-Authorization': 'Basic x', Cookie: 'a=b', 'X-Custom': 'kept' };
    const secrets = (r) => [r.headers.authorization, r.headers['proxy-authorization'], r.headers.cookie, r.headers['x-custom']];
    const target = (req, res, n) => {
      res.writeHead(200, SSE);
      if (n === 1) res.end('retry: 10\ndata: 1\n\n');
      else res.write('data: 2\n\n');
    };
    for (const [name, to] of [
      ['same origin', server],
      ['other origin', other],
    ]) {
      const from = `/r-${name.replace(' ', '-')}`;
      const path = `${from}-target`;
      server.route(from, (req, res) => res.writeHead(302, { Location: to.url(path) }).end());
      to.route(path, target);
      const es = open(server.url(from), { headers });
      const requests = await to.waitFor(path, 2);
      es.close();
      assert.equal(server.requests(from).length, 1, `${name}: the reconnection went to the final URL`);
      const kept = ['Bearer s3cret', 'Basic x', 'a=b', 'kept'];
      const dropped = [undefined, undefined, undefined, 'kept'];
      const expected = to === server ? kept : dropped;
      assert.deepEqual(requests.slice(0, 2).map(secrets), [expected, expected], name);
    }
    // A POST may have become a GET at the redirect (301, 302, 303), which the response does not
    // tell: it reconnects to the original URL, and fetch follows the redirect again.
    server.route('/r-post', (req, res) => res.writeHead(307, { Location: '/r-post-target' }).end());
    server.route('/r-post-target', target);
    const es = open(server.url('/r-post'), { method: 'POST', body: 'hello' });
    const requests = await server.waitFor('/r-post-target', 2);
    es.close();
    assert.equal(server.requests('/r-post').length, 2, 'each connection started at the original URL');
    assert.deepEqual(
      requests.slice(0, 2).map((r) => r.method),
      ['POST', 'POST'],
    );
  } finally {
    await other.close();
  }
});

// ---------------------------------------------------------------- credentials

test('credentials: overrides withCredentials; the withCredentials getter is credentials === "include"', {
  timeout: TIMEOUT,
}, async () => {
  const url = server.url('/c-never');
  const cases = [
    [{}, false, 'same-origin'],
    [{ withCredentials: true }, true, 'include'],
    [{ credentials: 'include' }, true, 'include'],
    [{ credentials: 'same-origin' }, false, 'same-origin'],
    [{ credentials: 'omit' }, false, 'omit'],
    [{ withCredentials: true, credentials: 'omit' }, false, 'omit'],
    [{ withCredentials: true, credentials: 'same-origin' }, false, 'same-origin'],
    [{ withCredentials: false, credentials: 'include' }, true, 'include'],
  ];
  for (const [init, withCredentials, mode] of cases) {
    const fetch = spy();
    const es = open(url, { ...init, fetch });
    assert.equal(es.withCredentials, withCredentials, JSON.stringify(init));
    const [{ init: request }] = await fetch.until(1);
    assert.equal(request.credentials, mode, JSON.stringify(init));
    es.close();
  }
  for (const bad of ['', 'INCLUDE', 'bogus', 'cors', 'true']) {
    assert.throws(() => new EventSource(url, { credentials: bad }), TypeError, JSON.stringify(bad));
  }
});

// ---------------------------------------------------------------- fetch

test('fetch: called with the absolute URL and a plain init { method, headers (Headers), body, mode, credentials, cache, redirect, signal }', {
  timeout: TIMEOUT,
}, async () => {
  const fetch = spy((url, init) => globalThis.fetch(url, init));
  server.route('/f-init', (req, res) => res.writeHead(200, SSE).write('data: via the custom fetch\n\n'));
  const es = open(server.url('/f-init?q=1'), { fetch, method: 'POST', body: 'payload', headers: { 'X-A': '1' } });
  const log = record(es);
  const [request] = await server.waitFor('/f-init');
  await log.until((l) => l.messages.length === 1);
  assert.equal(log.messages[0].data, 'via the custom fetch');
  assert.equal(fetch.calls.length, 1);
  const [{ url, init }] = fetch.calls;
  assert.equal(url, server.url('/f-init?q=1'));
  assert.equal(typeof url, 'string');
  assert.equal(Object.getPrototypeOf(init), Object.prototype, 'a plain object');
  assert.equal(init.method, 'POST');
  assert.ok(init.headers instanceof Headers, 'headers is a Headers');
  assert.deepEqual(
    [...init.headers],
    [
      ['accept', 'text/event-stream'],
      ['x-a', '1'],
    ],
  );
  assert.equal(init.body, 'payload');
  assert.deepEqual([init.mode, init.credentials, init.cache, init.redirect], ['cors', 'same-origin', 'no-store', 'follow']);
  assert.ok(init.signal instanceof AbortSignal, 'signal is an AbortSignal');
  assert.equal(init.signal.aborted, false);
  assert.equal(request.method, 'POST');
  assert.equal((await request.body).toString(), 'payload');
  es.close();
  assert.equal(init.signal.aborted, true, 'close() aborts the request');
  await request.closed;
});

test('fetch: a wrapper adding a header, called again on every reconnection with the new Last-Event-ID', {
  timeout: TIMEOUT,
}, async () => {
  let n = 0;
  const fetch = (url, init) => {
    init.headers.set('X-Wrapped', String(++n));
    return globalThis.fetch(url, init);
  };
  server.route('/f-wrap', (req, res, k) => {
    res.writeHead(200, SSE);
    if (k === 1) res.end('retry: 10\nid: 5\ndata: 1\n\n');
    else res.write('data: 2\n\n');
  });
  const es = open(server.url('/f-wrap'), { fetch });
  const requests = await server.waitFor('/f-wrap', 2);
  es.close();
  assert.deepEqual(
    requests.map((r) => r.headers['x-wrapped']),
    ['1', '2'],
  );
  assert.deepEqual(
    requests.map((r) => r.headers['last-event-id']),
    [undefined, '5'],
  );
});

test("fetch: a rejection or a throw is a network error: reason 'network', CONNECTING, then a reconnection", {
  timeout: TIMEOUT,
}, async () => {
  const offline = new TypeError('offline');
  const thrown = new Error('thrown synchronously');
  const fetch = spy((url, init, n) => {
    if (n === 1) return Promise.reject(offline);
    if (n === 2) throw thrown;
    return globalThis.fetch(url, init);
  });
  server.route('/f-reject', (req, res) => res.writeHead(200, SSE).write('data: at last\n\n'));
  const es = open(server.url('/f-reject'), { fetch, retry: { initialDelay: 10 } });
  const log = record(es);
  await server.waitFor('/f-reject');
  await log.until((l) => l.messages.length === 1);
  es.close();
  const failed = { reason: 'network', readyState: CONNECTING, delay: 10, status: 0 };
  assert.deepEqual(errors(log), [failed, failed]);
  assert.equal(log.errors[0].event.cause, offline);
  assert.equal(log.errors[1].event.cause, thrown);
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['error', 'error', 'open', 'message'],
  );
  assert.equal(fetch.calls.length, 3);
  assert.equal(server.requests('/f-reject').length, 1);
});

test('fetch: Responses made by a custom fetch, no server involved; end of each body → reconnection', {
  timeout: TIMEOUT,
}, async () => {
  const fetch = spy(
    async (url, init, n) =>
      new Response(`retry: 10\nid: ${n}\ndata: synthetic ${n}\n\n`, { headers: { 'Content-Type': 'text/event-stream' } }),
  );
  const es = open(server.url('/f-synthetic'), { fetch });
  const log = record(es);
  await log.until((l) => l.messages.length === 2);
  es.close();
  assert.deepEqual(
    log.messages.map((e) => [e.data, e.lastEventId]),
    [
      ['synthetic 1', '1'],
      ['synthetic 2', '2'],
    ],
  );
  assert.deepEqual(errors(log), [{ reason: 'end-of-stream', readyState: CONNECTING, delay: 10, status: 0 }]);
  assert.equal(fetch.calls[0].init.headers.get('last-event-id'), null);
  assert.equal(fetch.calls[1].init.headers.get('last-event-id'), '1');
  assert.equal(server.requests('/f-synthetic').length, 0);
});

// ---------------------------------------------------------------- signal

test('signal: abort while OPEN = close(): CLOSED at once, no error event, the server sees the connection closed', {
  timeout: TIMEOUT,
}, async () => {
  server.route('/s-open', (req, res) => res.writeHead(200, SSE).write('retry: 10\ndata: 1\n\n'));
  const controller = new AbortController();
  const es = open(server.url('/s-open'), { signal: controller.signal });
  const log = record(es);
  await log.until((l) => l.messages.length === 1);
  assert.equal(es.readyState, OPEN);
  controller.abort();
  assert.equal(es.readyState, CLOSED);
  await server.requests('/s-open')[0].closed;
  await quiet(100); // ten times the reconnection time
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['open', 'message'],
  );
  assert.equal(server.requests('/s-open').length, 1);
});

test('signal: abort while the request is in flight, or while waiting to reconnect', { timeout: TIMEOUT }, async () => {
  server.route('/s-in-flight', () => {}); // never answers
  const inFlight = new AbortController();
  const es1 = open(server.url('/s-in-flight'), { signal: inFlight.signal });
  const log1 = record(es1);
  const [request] = await server.waitFor('/s-in-flight');
  inFlight.abort();
  assert.equal(es1.readyState, CLOSED);
  await request.closed; // the request was aborted

  server.route('/s-waiting', (req, res) => res.writeHead(200, SSE).end('retry: 20\ndata: 1\n\n'));
  const waiting = new AbortController();
  const es2 = open(server.url('/s-waiting'), { signal: waiting.signal });
  const log2 = record(es2);
  await log2.until((l) => l.errors.length === 1);
  assert.equal(es2.readyState, CONNECTING);
  waiting.abort();
  assert.equal(es2.readyState, CLOSED);
  await quiet(200); // ten times the reconnection time
  assert.equal(server.requests('/s-waiting').length, 1);
  assert.deepEqual(
    log2.all.map((e) => e.type),
    ['open', 'message', 'error'],
  );
  assert.equal(log1.all.length, 0);
  assert.equal(server.requests('/s-in-flight').length, 1);
});

test('signal: already aborted at construction: CLOSED at once, no request, no event', { timeout: TIMEOUT }, async () => {
  server.route('/s-aborted', (req, res) => res.writeHead(200, SSE).write('data: no\n\n'));
  const es1 = open(server.url('/s-aborted'), { signal: AbortSignal.abort() });
  assert.equal(es1.readyState, CLOSED);
  const fetch = spy();
  const es2 = open(server.url('/s-aborted'), { signal: AbortSignal.abort(), fetch });
  assert.equal(es2.readyState, CLOSED);
  const logs = [record(es1), record(es2)];
  await quiet(100);
  assert.equal(server.requests('/s-aborted').length, 0);
  assert.equal(fetch.calls.length, 0);
  assert.deepEqual(
    logs.map((l) => l.all.length),
    [0, 0],
  );
});

// ---------------------------------------------------------------- retry

test('retry: multiplier and maxDelay without jitter: exact delays, and the reconnections wait that long', {
  timeout: TIMEOUT,
}, async () => {
  server.route('/r-backoff', (req, res, n) => (n <= 5 ? drop(req) : res.writeHead(200, SSE).write('data: up\n\n')));
  const es = open(server.url('/r-backoff'), { retry: { initialDelay: 20, multiplier: 2, maxDelay: 100 } });
  assert.equal(es.reconnectionTime, 20);
  const log = record(es);
  const requests = await server.waitFor('/r-backoff', 6);
  await log.until((l) => l.opens.length === 1);
  es.close();
  const delays = [20, 40, 80, 100, 100];
  assert.deepEqual(
    errors(log),
    delays.map((delay) => ({ reason: 'network', readyState: CONNECTING, delay, status: 0 })),
  );
  assertWaited(requests, delays);
  assert.equal(es.reconnectionTime, 20);
});

test('retry: with jitter every delay is an integer in [floor((1 − jitter) × d), d]', { timeout: TIMEOUT }, async () => {
  const cases = [
    ['half', { initialDelay: 40, multiplier: 1.5, maxDelay: 120, jitter: 0.5 }, [40, 60, 90, 120, 120, 120]],
    ['full', { initialDelay: 30, multiplier: 1, jitter: 1 }, [30, 30, 30, 30]],
  ];
  for (const [name, policy, ds] of cases) {
    const path = `/r-jitter-${name}`;
    server.route(path, (req, res, n) => (n <= ds.length ? drop(req) : res.writeHead(200, SSE).write('data: up\n\n')));
    const es = open(server.url(path), { retry: policy });
    const log = record(es);
    const requests = await server.waitFor(path, ds.length + 1);
    await log.until((l) => l.opens.length === 1);
    es.close();
    assert.deepEqual(
      errors(log).map((e) => [e.reason, e.readyState]),
      ds.map(() => ['network', CONNECTING]),
      name,
    );
    const delays = errors(log).map((e) => e.delay);
    delays.forEach((delay, i) => {
      const low = Math.floor((1 - policy.jitter) * ds[i]);
      assert.ok(Number.isInteger(delay) && delay >= low && delay <= ds[i], `${name} #${i + 1}: ${delay} not in [${low}, ${ds[i]}]`);
    });
    assertWaited(requests, delays);
  }
});

test("retry: the server's retry: is the base and the reconnectionTime; a successful open resets the backoff", {
  timeout: TIMEOUT,
}, async () => {
  server.route('/r-server', (req, res, n) => {
    if (n === 2 || n === 3) return drop(req);
    res.writeHead(200, SSE);
    if (n === 1) res.end('retry: 15\ndata: a\n\n');
    else if (n === 4) res.end('data: b\n\n');
    else res.write('data: c\n\n');
  });
  const es = open(server.url('/r-server'), { retry: { initialDelay: 500, multiplier: 2 } });
  assert.equal(es.reconnectionTime, 500);
  const log = record(es);
  const requests = await server.waitFor('/r-server', 5);
  await log.until((l) => l.messages.length === 3);
  es.close();
  assert.deepEqual(errors(log), [
    { reason: 'end-of-stream', readyState: CONNECTING, delay: 15, status: 0 }, // n = 1 after the open
    { reason: 'network', readyState: CONNECTING, delay: 30, status: 0 },
    { reason: 'network', readyState: CONNECTING, delay: 60, status: 0 },
    { reason: 'end-of-stream', readyState: CONNECTING, delay: 15, status: 0 }, // reset by the second open
  ]);
  assertWaited(requests, [15, 30, 60, 15]);
  assert.equal(es.reconnectionTime, 15);
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['open', 'message', 'error', 'error', 'error', 'open', 'message', 'error', 'open', 'message'],
  );
});

test("retry: maxAttempts 0 and 2 → exactly 1 and 3 requests, then CLOSED with 'retries-exhausted'", {
  timeout: TIMEOUT,
}, async () => {
  for (const [maxAttempts, count] of [
    [0, 1],
    [2, 3],
  ]) {
    const path = `/r-max-${maxAttempts}`;
    server.route(path, drop);
    const es = open(server.url(path), { retry: { initialDelay: 10, maxAttempts } });
    const log = record(es);
    await log.until((l) => l.errors.some((e) => e.readyState === CLOSED));
    assert.equal(es.readyState, CLOSED);
    assert.deepEqual(
      errors(log),
      [
        ...Array.from({ length: count - 1 }, () => ({ reason: 'network', readyState: CONNECTING, delay: 10, status: 0 })),
        { reason: 'retries-exhausted', readyState: CLOSED, delay: null, status: 0 },
      ],
      `maxAttempts ${maxAttempts}`,
    );
    await quiet(100); // ten times the delay
    assert.equal(server.requests(path).length, count, `maxAttempts ${maxAttempts}`);
    assert.equal(log.errors.length, count);
  }
});

test('retry: maxAttempts counts reconnections in a row: a successful open starts again from 0', {
  timeout: TIMEOUT,
}, async () => {
  // maxAttempts 0 after an open: the end of the stream is not followed by a reconnection.
  server.route('/r-max-open', (req, res) => res.writeHead(200, SSE).end('data: only\n\n'));
  const es0 = open(server.url('/r-max-open'), { retry: { initialDelay: 10, maxAttempts: 0 } });
  const log0 = record(es0);
  await log0.until((l) => l.errors.length === 1);
  assert.deepEqual(
    log0.all.map((e) => e.type),
    ['open', 'message', 'error'],
  );
  assert.deepEqual(errors(log0), [{ reason: 'retries-exhausted', readyState: CLOSED, delay: null, status: 0 }]);

  // maxAttempts 1: drop (1st reconnection), open and end (reset: 1st again), drop (2nd: too many).
  server.route('/r-max-reset', (req, res, n) => (n === 2 ? res.writeHead(200, SSE).end('data: ok\n\n') : drop(req)));
  const es1 = open(server.url('/r-max-reset'), { retry: { initialDelay: 10, maxAttempts: 1 } });
  const log1 = record(es1);
  await log1.until((l) => l.errors.some((e) => e.readyState === CLOSED));
  assert.deepEqual(errors(log1), [
    { reason: 'network', readyState: CONNECTING, delay: 10, status: 0 },
    { reason: 'end-of-stream', readyState: CONNECTING, delay: 10, status: 0 },
    { reason: 'retries-exhausted', readyState: CLOSED, delay: null, status: 0 },
  ]);
  await quiet(100);
  assert.equal(server.requests('/r-max-open').length, 1);
  assert.equal(server.requests('/r-max-reset').length, 3);
});

test('retry: delays are clamped to 2^31 − 1 ms (no Node.js TimeoutOverflowWarning, no early reconnection)', {
  timeout: TIMEOUT,
}, async () => {
  const warnings = [];
  const onWarning = (warning) => warnings.push(warning.name);
  process.on('warning', onWarning);
  try {
    const MAX = 2 ** 31 - 1;
    server.route('/r-huge', drop);
    const es1 = open(server.url('/r-huge'), { retry: { initialDelay: 1e12 } });
    const log1 = record(es1);
    // Grows past the limit on the second reconnection.
    server.route('/r-grow', drop);
    const es2 = open(server.url('/r-grow'), { retry: { initialDelay: 10, multiplier: 1e10 } });
    const log2 = record(es2);
    // The server's retry: beyond the limit.
    server.route('/r-field', (req, res) => res.writeHead(200, SSE).end('retry: 99999999999\ndata: x\n\n'));
    const es3 = open(server.url('/r-field'));
    const log3 = record(es3);
    await Promise.all([
      log1.until((l) => l.errors.length === 1),
      log2.until((l) => l.errors.length === 2),
      log3.until((l) => l.errors.length === 1),
    ]);
    await quiet(100);
    for (const es of [es1, es2, es3]) es.close();
    assert.deepEqual(errors(log1), [{ reason: 'network', readyState: CONNECTING, delay: MAX, status: 0 }]);
    assert.deepEqual(
      errors(log2).map((e) => e.delay),
      [10, MAX],
    );
    assert.deepEqual(errors(log3), [{ reason: 'end-of-stream', readyState: CONNECTING, delay: MAX, status: 0 }]);
    assert.deepEqual(
      ['/r-huge', '/r-grow', '/r-field'].map((path) => server.requests(path).length),
      [1, 2, 1],
      'no reconnection before its time',
    );
    await turn();
    assert.deepEqual(
      warnings.filter((name) => name === 'TimeoutOverflowWarning'),
      [],
    );
  } finally {
    process.off('warning', onWarning);
  }
});

// ---------------------------------------------------------------- inactivityTimeout

test("inactivityTimeout: a stalled stream → error 'timeout' (CONNECTING), the request aborted, a new request", {
  timeout: TIMEOUT,
}, async () => {
  let lastByte = Infinity;
  server.route('/t-stall', (req, res, n) => {
    res.writeHead(200, SSE);
    if (n === 1)
      res.write('data: 1\n\n', () => (lastByte = performance.now())); // then nothing
    else res.write('data: 2\n\n');
  });
  const es = open(server.url('/t-stall'), { inactivityTimeout: 150, retry: { initialDelay: 10 } });
  let errorAt;
  es.addEventListener('error', () => (errorAt ??= performance.now()));
  const log = record(es);
  await log.until((l) => l.errors.length === 1);
  assert.deepEqual(errors(log), [{ reason: 'timeout', readyState: CONNECTING, delay: 10, status: 0 }]);
  assert.ok(errorAt - lastByte >= 150 - SLACK, `timed out ${(errorAt - lastByte).toFixed(1)} ms after the last byte`);
  await server.requests('/t-stall')[0].closed;
  await server.waitFor('/t-stall', 2);
  await log.until((l) => l.messages.length === 2);
  es.close();
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['open', 'message', 'error', 'open', 'message'],
  );
});

test("inactivityTimeout: no response headers either (CONNECTING, request in flight) → 'timeout', then a new request", {
  timeout: TIMEOUT,
}, async () => {
  server.route('/t-no-headers', (req, res, n) => {
    if (n > 1) res.writeHead(200, SSE).write('data: late\n\n'); // the first request is never answered
  });
  const started = performance.now();
  const es = open(server.url('/t-no-headers'), { inactivityTimeout: 150, retry: { initialDelay: 10 } });
  let errorAt;
  es.addEventListener('error', () => (errorAt ??= performance.now()));
  const log = record(es);
  await log.until((l) => l.errors.length === 1);
  assert.deepEqual(errors(log), [{ reason: 'timeout', readyState: CONNECTING, delay: 10, status: 0 }]);
  assert.ok(errorAt - started >= 150 - SLACK, `timed out ${(errorAt - started).toFixed(1)} ms after construction`);
  await server.requests('/t-no-headers')[0].closed;
  await log.until((l) => l.messages.length === 1);
  es.close();
  assert.equal(server.requests('/t-no-headers').length, 2);
});

test('inactivityTimeout: heartbeat comments keep a stream without events alive', { timeout: TIMEOUT }, async () => {
  server.route('/t-heartbeat', (req, res) => {
    res.writeHead(200, SSE).write('data: 1\n\n');
    const heartbeat = setInterval(() => res.write(': ping\n'), 30);
    res.on('close', () => clearInterval(heartbeat));
  });
  // A comment every 30 ms against a timeout of 5 of them (more where the machine may stall
  // this process longer: TEST_TIME_SCALE).
  const es = open(server.url('/t-heartbeat'), { inactivityTimeout: scaled(150), retry: { initialDelay: 10 } });
  const log = record(es);
  await log.until((l) => l.messages.length === 1);
  await quiet(scaled(600)); // four timeouts without an event, only comments
  assert.equal(es.readyState, OPEN);
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['open', 'message'],
  );
  assert.equal(server.requests('/t-heartbeat').length, 1);
  es.close();
});

// ---------------------------------------------------------------- maxBufferSize

test("maxBufferSize: a line or an event over the cap fails the source (CLOSED, 'buffer-full'); smaller ones pass", {
  timeout: TIMEOUT,
}, async () => {
  const cap = 1024;
  const small = 'y'.repeat(500);
  const cases = [
    ['a line without its end', `data: ${small}\n\ndata: ${'x'.repeat(5000)}`],
    ['a whole event', `data: ${small}\n\ndata: ${'x'.repeat(5000)}\n\n`],
    ['data lines adding up', `data: ${small}\n\ndata: ${'x'.repeat(600)}\ndata: ${'x'.repeat(600)}\n`],
  ];
  for (const [i, [name, body]] of cases.entries()) {
    const path = `/b-${i}`;
    server.route(path, (req, res) => res.writeHead(200, SSE).write(body));
    const es = open(server.url(path), { maxBufferSize: cap, retry: { initialDelay: 10 } });
    const log = record(es);
    await log.until((l) => l.errors.length === 1);
    assert.equal(es.readyState, CLOSED, name);
    assert.deepEqual(errors(log), [{ reason: 'buffer-full', readyState: CLOSED, delay: null, status: 0 }], name);
    assert.deepEqual(
      log.messages.map((e) => e.data),
      [small],
      name,
    );
    await server.requests(path)[0].closed;
    await quiet(100);
    assert.equal(server.requests(path).length, 1, name);
  }
});

// ---------------------------------------------------------------- lastEventId

test('lastEventId option: the getter starts with it, and it is sent on the first request too', {
  timeout: TIMEOUT,
}, async () => {
  server.route('/l-first', (req, res, n) => {
    res.writeHead(200, SSE);
    if (n === 1) res.end('retry: 10\ndata: a\n\n');
    else if (n === 2) res.end('id: 43\ndata: b\n\n');
    else res.write('data: c\n\n');
  });
  const es = open(server.url('/l-first'), { lastEventId: '42' });
  assert.equal(es.lastEventId, '42');
  const log = record(es);
  const requests = await server.waitFor('/l-first', 3);
  await log.until((l) => l.messages.length === 3);
  es.close();
  assert.deepEqual(
    requests.map((r) => r.headers['last-event-id']),
    ['42', '42', '43'],
  );
  assert.deepEqual(
    log.messages.map((e) => [e.data, e.lastEventId]),
    [
      ['a', '42'],
      ['b', '43'],
      ['c', '43'],
    ],
  );

  server.route('/l-empty', (req, res) => res.writeHead(200, SSE).write('data: x\n\n'));
  const empty = open(server.url('/l-empty'), { lastEventId: '' });
  assert.equal(empty.lastEventId, '');
  const [request] = await server.waitFor('/l-empty');
  empty.close();
  assert.equal(request.headers['last-event-id'], undefined);

  // Like an id from the stream: not ASCII, so it goes out as UTF-8 bytes.
  server.route('/l-utf8', (req, res) => res.writeHead(200, SSE).write('data: x\n\n'));
  const utf8 = open(server.url('/l-utf8'), { lastEventId: 'é€😀' });
  assert.equal(utf8.lastEventId, 'é€😀');
  const [raw] = await server.waitFor('/l-utf8');
  utf8.close();
  // node:http reads header bytes as latin1.
  assert.equal(Buffer.from(raw.headers['last-event-id'], 'latin1').toString('utf8'), 'é€😀');
});

test('lastEventId option with NUL, CR or LF throws TypeError', { timeout: TIMEOUT }, async () => {
  for (const bad of ['a\0b', 'a\rb', 'a\nb', '\r\n', '\0']) {
    assert.throws(() => new EventSource(server.url('/l-bad'), { lastEventId: bad }), TypeError, JSON.stringify(bad));
  }
  await turn();
  assert.equal(server.requests('/l-bad').length, 0);
});

// ---------------------------------------------------------------- getters

test('lastEventId getter: set by an id-only block (nothing dispatched); kept after close()', {
  timeout: TIMEOUT,
}, async () => {
  server.route('/g-id', (req, res, n) => {
    res.writeHead(200, SSE);
    if (n === 1) res.end('retry: 10\nid: 7\ndata: a\n\nid: 8\n\n');
    else res.write('data: b\n\n');
  });
  const es = open(server.url('/g-id'));
  assert.equal(es.lastEventId, '');
  let atError;
  es.addEventListener('error', () => (atError ??= es.lastEventId));
  const log = record(es);
  await log.until((l) => l.messages.length === 2);
  assert.deepEqual(
    log.messages.map((e) => [e.data, e.lastEventId]),
    [
      ['a', '7'],
      ['b', '8'],
    ],
  );
  assert.equal(atError, '8', 'after the id-only block, before any other event');
  assert.equal(server.requests('/g-id')[1].headers['last-event-id'], '8');
  es.close();
  assert.equal(es.lastEventId, '8');
  assert.equal(es.reconnectionTime, 10);
});

test("reconnectionTime getter: 3000, or the retry option's initialDelay, then the server's retry:; kept after close()", {
  timeout: TIMEOUT,
}, async () => {
  server.route('/g-retry', (req, res) => res.writeHead(200, SSE).write('retry: 1234\ndata: a\n\nretry: 12x\ndata: b\n\n'));
  const standard = open(server.url('/g-retry'));
  assert.equal(standard.reconnectionTime, 3000);
  const es = open(server.url('/g-retry'), { retry: { initialDelay: 250 } });
  assert.equal(es.reconnectionTime, 250);
  const logs = [record(standard), record(es)];
  await Promise.all(logs.map((log) => log.until((l) => l.messages.length === 2)));
  standard.close();
  es.close();
  assert.deepEqual([standard.reconnectionTime, es.reconnectionTime], [1234, 1234]);
});

test('getters inside handlers: each event sees its own lastEventId and the reconnectionTime of its place in the stream', {
  timeout: TIMEOUT,
}, async () => {
  // One write: the events reach the page together, in one batch.
  server.route('/g-batch', (req, res) =>
    res.writeHead(200, SSE).write('id: 1\ndata: a\n\nid: 2\ndata: b\n\nretry: 500\nid: 3\ndata: c\n\n'),
  );
  const es = open(server.url('/g-batch'));
  const seen = [];
  es.onmessage = (event) => seen.push([event.data, es.lastEventId, es.reconnectionTime]);
  const log = record(es);
  await log.until((l) => l.messages.length === 3);
  es.close();
  assert.deepEqual(seen, [
    ['a', '1', 3000],
    ['b', '2', 3000],
    ['c', '3', 500],
  ]);
});

// ---------------------------------------------------------------- the richer error event

test("error event: HTTP 401 → reason 'status', status 401, CLOSED, delay null; own read-only properties", {
  timeout: TIMEOUT,
}, async () => {
  server.route('/e-401', (req, res) => res.writeHead(401, SSE).end('data: no\n\n'));
  const es = open(server.url('/e-401'));
  const event = await once(es, 'error');
  assert.equal(es.readyState, CLOSED);
  assert.ok(event instanceof Event);
  assert.deepEqual([event.type, event.cancelable, event.bubbles], ['error', false, false]);
  assert.deepEqual(
    { reason: event.reason, status: event.status, delay: event.delay, cause: event.cause },
    { reason: 'status', status: 401, delay: null, cause: undefined },
  );
  assert.equal(typeof event.message, 'string');
  assert.match(event.message, /401/);
  for (const name of ['reason', 'status', 'message', 'delay', 'cause']) {
    assert.ok(Object.hasOwn(event, name), `${name} is an own property`);
    const descriptor = Object.getOwnPropertyDescriptor(event, name);
    assert.ok(descriptor.writable === false || (descriptor.get && !descriptor.set), `${name} is read-only`);
    const before = event[name];
    assert.throws(() => {
      event[name] = 'changed';
    }, TypeError);
    assert.equal(event[name], before);
  }
});

test("error event: a Content-Type that is not text/event-stream → 'content-type', status 200, CLOSED", {
  timeout: TIMEOUT,
}, async () => {
  server.route('/e-type', (req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<p>hi</p>'));
  const es = open(server.url('/e-type'));
  const log = record(es);
  await log.until((l) => l.errors.length === 1);
  assert.deepEqual(errors(log), [{ reason: 'content-type', readyState: CLOSED, delay: null, status: 200 }]);
  const [{ event }] = log.errors;
  assert.match(event.message, /text\/html/);
  assert.equal(event.cause, undefined);
});

test("error event: 'end-of-stream' carries the delay; 'network' carries fetch's TypeError; an unfetchable scheme is CLOSED", {
  timeout: TIMEOUT,
}, async () => {
  server.route('/e-eos', (req, res) => res.writeHead(200, SSE).end('retry: 25\ndata: x\n\n'));
  const eos = open(server.url('/e-eos'));
  const eosLog = record(eos);

  const gone = await startServer();
  const refusedUrl = gone.url('/nobody');
  await gone.close();
  const refused = open(refusedUrl);
  const refusedLog = record(refused);

  const ftp = open('ftp://127.0.0.1/stream');
  const ftpLog = record(ftp);

  await Promise.all([eosLog, refusedLog, ftpLog].map((log) => log.until((l) => l.errors.length === 1)));
  for (const es of [eos, refused, ftp]) es.close();
  assert.deepEqual(errors(eosLog), [{ reason: 'end-of-stream', readyState: CONNECTING, delay: 25, status: 0 }]);
  assert.deepEqual(errors(refusedLog), [{ reason: 'network', readyState: CONNECTING, delay: 3000, status: 0 }]);
  assert.deepEqual(errors(ftpLog), [{ reason: 'network', readyState: CLOSED, delay: null, status: 0 }]);
  assert.equal(eosLog.errors[0].event.cause, undefined);
  assert.ok(refusedLog.errors[0].event.cause instanceof TypeError, "fetch's TypeError is the cause");
  for (const log of [eosLog, refusedLog, ftpLog]) {
    const { message } = log.errors[0].event;
    assert.ok(typeof message === 'string' && message.length > 0, `a message: ${JSON.stringify(message)}`);
  }
});

// ---------------------------------------------------------------- the standard behaviour

test('no init, {} or { withCredentials: true } alone: the standard behaviour (3000 ms, then retry:, no backoff, no limit)', {
  timeout: TIMEOUT,
}, async () => {
  const inits = [['no init'], ['{}', {}], ['{ withCredentials: true }', { withCredentials: true }]];
  for (const [i, [name, ...init]] of inits.entries()) {
    const path = `/std-${i}`;
    server.route(path, (req, res, n) => {
      if (n >= 2 && n <= 6) return drop(req);
      res.writeHead(200, SSE);
      if (n === 1) res.end('retry: 20\ndata: 1\n\n');
      else res.write('data: 2\n\n');
    });
    const es = open(server.url(path), ...init);
    assert.equal(es.reconnectionTime, 3000, name);
    assert.equal(es.lastEventId, '', name);
    const log = record(es);
    const requests = await server.waitFor(path, 7);
    await log.until((l) => l.messages.length === 2);
    es.close();
    assert.deepEqual(
      errors(log),
      [
        { reason: 'end-of-stream', readyState: CONNECTING, delay: 20, status: 0 },
        ...Array.from({ length: 5 }, () => ({ reason: 'network', readyState: CONNECTING, delay: 20, status: 0 })),
      ],
      name,
    );
    assertWaited(requests, [20, 20, 20, 20, 20, 20]);
    assert.equal(es.reconnectionTime, 20, name);
  }
  // Before any retry: field, the delay is 3000 ms.
  server.route('/std-3000', (req, res) => res.writeHead(200, SSE).end('data: x\n\n'));
  const es = open(server.url('/std-3000'), { withCredentials: true });
  const log = record(es);
  await log.until((l) => l.errors.length === 1);
  es.close();
  assert.deepEqual(errors(log), [{ reason: 'end-of-stream', readyState: CONNECTING, delay: 3000, status: 0 }]);
  assert.equal(server.requests('/std-3000').length, 1);
});

// ---------------------------------------------------------------- validation

test('every option is validated at construction: TypeError for a bad value, and no request', {
  timeout: TIMEOUT,
}, async () => {
  const url = server.url('/v-bad');
  const bad = [
    ['credentials: "bogus"', { credentials: 'bogus' }],
    ['headers: a number', { headers: 5 }],
    ['body with the default GET', { body: 'x' }],
    ['body with an explicit GET', { method: 'GET', body: 'x' }],
    ['body with HEAD', { method: 'HEAD', body: 'x' }],
    ['a ReadableStream body', { method: 'POST', body: new ReadableStream() }],
    ['fetch: a string', { fetch: 'fetch' }],
    ['fetch: an object', { fetch: {} }],
    ['signal: an object', { signal: {} }],
    ['signal: an AbortController', { signal: new AbortController() }],
    ['retry: a number', { retry: 5 }],
    ['initialDelay -1', { retry: { initialDelay: -1 } }],
    ['initialDelay NaN', { retry: { initialDelay: NaN } }],
    ['initialDelay Infinity', { retry: { initialDelay: Infinity } }],
    ['maxDelay -1', { retry: { maxDelay: -1 } }],
    ['maxDelay NaN', { retry: { maxDelay: NaN } }],
    ['multiplier 0.5', { retry: { multiplier: 0.5 } }],
    ['multiplier 0', { retry: { multiplier: 0 } }],
    ['multiplier NaN', { retry: { multiplier: NaN } }],
    ['multiplier Infinity', { retry: { multiplier: Infinity } }],
    ['jitter -0.1', { retry: { jitter: -0.1 } }],
    ['jitter 1.5', { retry: { jitter: 1.5 } }],
    ['jitter NaN', { retry: { jitter: NaN } }],
    ['maxAttempts -1', { retry: { maxAttempts: -1 } }],
    ['maxAttempts 1.5', { retry: { maxAttempts: 1.5 } }],
    ['maxAttempts NaN', { retry: { maxAttempts: NaN } }],
    ['inactivityTimeout 0', { inactivityTimeout: 0 }],
    ['inactivityTimeout -1', { inactivityTimeout: -1 }],
    ['inactivityTimeout NaN', { inactivityTimeout: NaN }],
    ['maxBufferSize 0', { maxBufferSize: 0 }],
    ['maxBufferSize -1', { maxBufferSize: -1 }],
    ['maxBufferSize 1.5', { maxBufferSize: 1.5 }],
    ['maxBufferSize NaN', { maxBufferSize: NaN }],
    ['lastEventId with NUL', { lastEventId: 'a\0' }],
    ['lastEventId with CR', { lastEventId: 'a\r' }],
    ['lastEventId with LF', { lastEventId: 'a\n' }],
    ['shared: a number', { shared: 1 }],
    ['shared: an empty key', { shared: '' }],
    ['shared: an object', { shared: {} }],
    ['shared: true with a headers function', { shared: true, headers: () => ({}) }],
    ['shared: true with a custom fetch', { shared: true, fetch: () => new Promise(() => {}) }],
    ['shared: true with a Blob body', { shared: true, method: 'POST', body: new Blob(['x']) }],
  ];
  const failures = [];
  for (const [name, init] of bad) {
    try {
      new EventSource(url, init).close();
      failures.push(`${name}: no exception`);
    } catch (error) {
      if (!(error instanceof TypeError)) failures.push(`${name}: ${error?.name} instead of TypeError`);
    }
  }
  assert.deepEqual(failures, []);
  await turn();
  assert.equal(server.requests('/v-bad').length, 0);
});

test('the limits of each option are accepted, and undefined means the default', { timeout: TIMEOUT }, () => {
  const url = server.url('/v-good');
  const good = [
    { retry: {} },
    { retry: { initialDelay: 0, maxDelay: 0, multiplier: 1, jitter: 0, maxAttempts: 0 } },
    { retry: { initialDelay: 1.5, maxDelay: Infinity, multiplier: 2.5, jitter: 1, maxAttempts: Infinity } },
    { inactivityTimeout: 0.5 },
    { inactivityTimeout: 2 ** 32 }, // "a number > 0": no upper bound in the contract
    { maxBufferSize: 1 },
    { lastEventId: '' },
    { lastEventId: 'é ✓ x' },
    { credentials: 'omit' },
    { method: 'POST', body: 'x' },
    { method: 'DELETE' },
    { headers: [] },
    { headers: {} },
    { headers: () => ({}) },
    { headers: async () => new Headers() },
    { signal: new AbortController().signal },
    { fetch: () => new Promise(() => {}) },
    { shared: false },
    { shared: true, headers: { 'X-A': '1' }, method: 'POST', body: 'x', signal: new AbortController().signal },
    { shared: 'feed', headers: () => ({}), fetch: () => new Promise(() => {}), method: 'POST', body: new Blob(['x']) },
    {
      withCredentials: undefined,
      credentials: undefined,
      headers: undefined,
      method: undefined,
      body: undefined,
      fetch: undefined,
      signal: undefined,
      retry: undefined,
      inactivityTimeout: undefined,
      maxBufferSize: undefined,
      lastEventId: undefined,
      shared: undefined,
    },
  ];
  const failures = [];
  for (const init of good) {
    try {
      new EventSource(url, init).close();
    } catch (error) {
      failures.push(`${JSON.stringify(init)}: ${error?.name}: ${error?.message}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('shared: true with a headers function says to give a key instead', { timeout: TIMEOUT }, () => {
  assert.throws(() => new EventSource(server.url('/v-shared'), { shared: true, headers: () => ({}) }), {
    name: 'TypeError',
    message: "Failed to construct 'EventSource': shared: true cannot compare a headers function; give shared a string key instead.",
  });
});

test('shared in Node.js (no Web Locks): each source connects on its own and works as usual', { timeout: TIMEOUT }, async () => {
  server.route('/shared', (req, res) => {
    res.writeHead(200, SSE);
    res.write(`id: ${req.headers['last-event-id'] ?? 'none'}\ndata: hello\n\n`);
  });
  const a = open(server.url('/shared'), { shared: true, lastEventId: '7' });
  const b = open(server.url('/shared'), { shared: 'key' });
  const logs = [record(a), record(b)];
  await Promise.all(logs.map((log) => log.until((l) => l.messages.length === 1)));
  assert.deepEqual(
    server
      .requests('/shared')
      .map((r) => r.headers['last-event-id'] ?? null)
      .sort(),
    ['7', null],
  );
  assert.deepEqual(
    logs.map((l) => [l.opens.length, l.messages[0].data]),
    [
      [1, 'hello'],
      [1, 'hello'],
    ],
  );
  a.close();
  assert.equal(b.readyState, OPEN);
});
