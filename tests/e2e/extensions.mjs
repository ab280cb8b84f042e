// End-to-end tests of the extensions beyond the standard (README documents them), ours
// only, in Chromium and Firefox: the
// init options (headers, method and body, credentials, fetch, signal, retry,
// inactivityTimeout, maxBufferSize, lastEventId), the richer `error` event, the getters
// lastEventId and reconnectionTime, offline awareness (through the browser's own network
// conditions: ctx.offline), and EventStreamParser. tests.mjs appends them to its list.
//
// Same rules as tests.mjs: waits are on events and on the server's long-polls; ctx.quiet
// only shows that NOTHING more happens. Measured times only get lower bounds (a timer
// never fires early); upper bounds go on the `delay` the error event reports.

export const extensionTests = [];
const test = (name, def) => extensionTests.push({ name: `ext: ${name}`, impls: ['ours'], ...def });

// ---- expected entries ---------------------------------------------------------------
const open = () => ({ type: 'open', readyState: 1 });
const msg = (data, { type = 'message', id = '', origin = 'A' } = {}) => ({ type, data, lastEventId: id, origin, readyState: 1 });

// The contract fixes `status` for these reasons (the response's for 'status' and
// 'content-type', 0 where no response came); for the others it is left open (a response
// did come: 0 or its status?), so it is printed, not compared.
const STATUS_COMPARED = new Set(['status', 'content-type', 'network', 'request']);
/** Recorder `detail`: what an error event says (reason, status, delay). */
const errDetail = (e) =>
  e.type !== 'error'
    ? {}
    : {
        reason: e.reason,
        ...(STATUS_COMPARED.has(e.reason) ? { status: e.status } : {}),
        delay: e.delay,
      };
const X = { detail: errDetail };
/** An expected error entry: `delay` is null when CLOSED. */
const xerr = (reason, readyState, { status = 0, delay = null } = {}) => ({
  type: 'error',
  readyState,
  reason,
  ...(STATUS_COMPARED.has(reason) ? { status } : {}),
  delay,
});

/** [lowest, highest] delay of the n-th reconnection in a row (the contract's policy). */
function delayBounds(n, { base, multiplier = 1, maxDelay = Infinity, jitter = 0 }) {
  const d = Math.min(base * multiplier ** (n - 1), maxDelay, 2 ** 31 - 1);
  return [Math.floor((1 - jitter) * d), d];
}
// Two clocks read at millisecond granularity (the server's Date.now() per request).
const TIMER_TOLERANCE_MS = 4;
/** Server-observed gaps between successive requests, each checked against a lower bound. */
const gapsAtLeast = (requests, lows) =>
  lows.map((lo, i) => {
    const gap = requests[i + 1].t - requests[i].t;
    return gap >= lo - TIMER_TOLERANCE_MS ? `>= ${lo}` : `${gap} ms < ${lo}`;
  });
const gapsOf = (requests) => requests.slice(1).map((r, i) => r.t - requests[i].t);

const threw = (f) => {
  try {
    f();
    return 'no exception';
  } catch (e) {
    return `${e?.constructor?.name}:${e?.name}`;
  }
};
const cookieSent = (req, name) => (req.headers.cookie ?? '').split('; ').includes(`${name}=1`);

// =====================================================================================
// headers, method, body
// =====================================================================================

test('headers: an async function, called before every connection (token-1, token-2, token-3)', {
  async run(ctx) {
    let calls = 0;
    const headers = async () => {
      calls++;
      const token = `token-${calls}`;
      await new Promise((r) => setTimeout(r, 5)); // really asynchronous
      return { Authorization: `Bearer ${token}` };
    };
    const { rec } = ctx.open(ctx.url('x-reconnect'), { headers, retry: { initialDelay: 20 } }, X);
    await rec.untilMessage('c');
    const { requests } = await ctx.server('x-reconnect');
    return {
      log: rec.log,
      calls,
      authorization: requests.map((r) => r.headers.authorization ?? null),
      accept: requests.map((r) => r.headers.accept ?? null),
      lastEventIds: requests.map((r) => r.lastEventId),
    };
  },
  expect: {
    log: [
      open(),
      msg('a', { id: '1' }),
      xerr('end-of-stream', 0, { delay: 20 }),
      open(),
      msg('b', { id: '2' }),
      xerr('end-of-stream', 0, { delay: 20 }),
      open(),
      msg('c', { id: '2' }),
    ],
    calls: 3,
    authorization: ['Bearer token-1', 'Bearer token-2', 'Bearer token-3'],
    accept: ['text/event-stream', 'text/event-stream', 'text/event-stream'],
    lastEventIds: [null, '1', '2'],
  },
});

test("headers: static (object, pairs, Headers, a plain function); Accept unless set; Last-Event-ID is the source's", {
  async run(ctx) {
    const forms = {
      object: { 'X-Static': 'object' },
      pairs: [
        ['X-Static', 'pairs'],
        ['X-Other', 'other'],
      ],
      Headers: new Headers({ 'X-Static': 'Headers' }),
      function: () => ({ 'X-Static': 'function' }),
      'Accept set': { Accept: 'application/x-custom' },
    };
    const out = {};
    for (const [k, headers] of Object.entries(forms)) {
      const key = k.replace(/\W/g, '');
      const { es, rec } = ctx.open(ctx.url('x-once', { key }), { headers });
      await rec.untilMessage('hi');
      es.close();
      const h = (await ctx.server('x-once', { key })).requests[0].headers;
      out[k] = { static: h['x-static'] ?? null, other: h['x-other'] ?? null, accept: h.accept };
    }
    // Static headers go on every reconnection; a Last-Event-ID of the user's is replaced by
    // the source's own (absent while it is empty).
    const { rec } = ctx.open(ctx.url('x-reconnect'), {
      headers: { 'X-Static': 'kept', 'Last-Event-ID': 'mine' },
      retry: { initialDelay: 20 },
    });
    await rec.untilMessage('c');
    const { requests } = await ctx.server('x-reconnect');
    out.reconnections = {
      static: requests.map((r) => r.headers['x-static'] ?? null),
      lastEventIds: requests.map((r) => r.lastEventId),
    };
    return out;
  },
  expect: {
    object: { static: 'object', other: null, accept: 'text/event-stream' },
    pairs: { static: 'pairs', other: 'other', accept: 'text/event-stream' },
    Headers: { static: 'Headers', other: null, accept: 'text/event-stream' },
    function: { static: 'function', other: null, accept: 'text/event-stream' },
    'Accept set': { static: null, other: null, accept: 'application/x-custom' },
    reconnections: { static: ['kept', 'kept', 'kept'], lastEventIds: [null, '1', '2'] },
  },
});

test('headers: a rejecting headers function → error "request" (CONNECTING), retried; invalid headers too', {
  async run(ctx) {
    let calls = 0;
    const rejection = new Error('no token yet');
    const headers = () => (++calls === 1 ? Promise.reject(rejection) : { Authorization: 'Bearer later' });
    const withCause = {
      detail: (e) => ({ ...errDetail(e), ...(e.type === 'error' ? { causeIsTheRejection: e.cause === rejection } : {}) }),
    };
    const a = ctx.open(ctx.url('x-once'), { headers, retry: { initialDelay: 30 } }, withCause);
    await a.rec.untilMessage('hi');
    // A header name with a space: the Headers cannot be built, every time.
    const b = ctx.open(
      ctx.url('x-once', { key: 'invalid' }),
      { headers: () => ({ 'Bad Name': 'x' }), retry: { initialDelay: 20, maxAttempts: 1 } },
      X,
    );
    await b.rec.untilError(2);
    await ctx.quiet(100);
    const { requests } = await ctx.server('x-once');
    return {
      rejecting: { log: a.rec.log, calls, authorization: requests.map((r) => r.headers.authorization ?? null) },
      invalid: { log: b.rec.log, requests: (await ctx.server('x-once', { key: 'invalid' })).count },
    };
  },
  expect: {
    rejecting: {
      log: [{ ...xerr('request', 0, { delay: 30 }), causeIsTheRejection: true }, open(), msg('hi')],
      calls: 2,
      authorization: ['Bearer later'],
    },
    invalid: { log: [xerr('request', 0, { delay: 20 }), xerr('retries-exhausted', 2)], requests: 0 },
  },
});

test('POST: method and body (string, URLSearchParams, Uint8Array, ArrayBuffer, Blob), the same body on reconnection', {
  timeout: 15000,
  async run(ctx) {
    const enc = new TextEncoder();
    const bodies = {
      string: ['{"q":"é"}\nline 2', { 'Content-Type': 'application/json' }],
      URLSearchParams: [new URLSearchParams({ a: '1', b: 'é' })],
      Uint8Array: [enc.encode('bin\nary')],
      ArrayBuffer: [enc.encode('array\nbuffer').buffer],
      Blob: [new Blob(['blob\n', 'body'], { type: 'text/plain' })],
    };
    const out = {};
    for (const [k, [body, headers]] of Object.entries(bodies)) {
      const key = k;
      const { es, rec } = ctx.open(
        ctx.url('x-echo', { key }),
        { method: 'POST', body, headers, retry: { initialDelay: 20 } },
        { types: ['echo'] },
      );
      // x-echo streams the request body back, line by line, and ends: two connections.
      await rec.untilError(0, 2);
      es.close();
      const { requests } = await ctx.server('x-echo', { key });
      const upToSecondEnd = rec.log.slice(
        0,
        rec.log.findIndex((e, i) => e.type === 'error' && rec.log.slice(0, i).some((x) => x.type === 'error')),
      );
      out[k] = {
        requests: requests.slice(0, 2).map((r) => [r.method, r.body, r.headers['content-type'] ?? null]),
        echoed: upToSecondEnd.filter((e) => e.data !== undefined).map((e) => e.data),
      };
    }
    return out;
  },
  expect: {
    string: {
      requests: Array(2).fill(['POST', '{"q":"é"}\nline 2', 'application/json']),
      echoed: ['{"q":"é"}', 'line 2', '{"q":"é"}', 'line 2'],
    },
    URLSearchParams: {
      requests: Array(2).fill(['POST', 'a=1&b=%C3%A9', 'application/x-www-form-urlencoded;charset=UTF-8']),
      echoed: ['a=1&b=%C3%A9', 'a=1&b=%C3%A9'],
    },
    Uint8Array: { requests: Array(2).fill(['POST', 'bin\nary', null]), echoed: ['bin', 'ary', 'bin', 'ary'] },
    ArrayBuffer: { requests: Array(2).fill(['POST', 'array\nbuffer', null]), echoed: ['array', 'buffer', 'array', 'buffer'] },
    Blob: { requests: Array(2).fill(['POST', 'blob\nbody', 'text/plain']), echoed: ['blob', 'body', 'blob', 'body'] },
  },
});

test('options: invalid values throw a TypeError at construction and make no request', {
  async run(ctx) {
    const u = ctx.url('x-once', { key: 'invalid' });
    const cases = {
      'GET with a body': { body: 'x' },
      'HEAD with a body': { method: 'HEAD', body: 'x' },
      'a ReadableStream body': { method: 'POST', body: new ReadableStream() },
      'lastEventId with LF': { lastEventId: 'a\nb' },
      'lastEventId with CR': { lastEventId: 'a\rb' },
      'lastEventId with NUL': { lastEventId: 'a\0b' },
      'retry.initialDelay -1': { retry: { initialDelay: -1 } },
      'retry.initialDelay Infinity': { retry: { initialDelay: Infinity } },
      'retry.maxDelay -1': { retry: { maxDelay: -1 } },
      'retry.multiplier 0.5': { retry: { multiplier: 0.5 } },
      'retry.multiplier Infinity': { retry: { multiplier: Infinity } },
      'retry.jitter 1.5': { retry: { jitter: 1.5 } },
      'retry.jitter -0.1': { retry: { jitter: -0.1 } },
      'retry.maxAttempts 1.5': { retry: { maxAttempts: 1.5 } },
      'retry.maxAttempts -1': { retry: { maxAttempts: -1 } },
    };
    const out = {};
    for (const [k, init] of Object.entries(cases)) out[k] = threw(() => ctx.track(new ctx.ES(u, init)));
    const edges = { retry: { initialDelay: 0, maxDelay: Infinity, multiplier: 1, jitter: 1, maxAttempts: Infinity }, lastEventId: 'ok' };
    out['valid edge values'] = threw(() => ctx.track(new ctx.ES(ctx.url('x-once', { key: 'valid' }), edges)));
    await ctx.quiet(300);
    out.requests = (await ctx.server('x-once', { key: 'invalid' })).count;
    return out;
  },
  expect: {
    'GET with a body': 'TypeError:TypeError',
    'HEAD with a body': 'TypeError:TypeError',
    'a ReadableStream body': 'TypeError:TypeError',
    'lastEventId with LF': 'TypeError:TypeError',
    'lastEventId with CR': 'TypeError:TypeError',
    'lastEventId with NUL': 'TypeError:TypeError',
    'retry.initialDelay -1': 'TypeError:TypeError',
    'retry.initialDelay Infinity': 'TypeError:TypeError',
    'retry.maxDelay -1': 'TypeError:TypeError',
    'retry.multiplier 0.5': 'TypeError:TypeError',
    'retry.multiplier Infinity': 'TypeError:TypeError',
    'retry.jitter 1.5': 'TypeError:TypeError',
    'retry.jitter -0.1': 'TypeError:TypeError',
    'retry.maxAttempts 1.5': 'TypeError:TypeError',
    'retry.maxAttempts -1': 'TypeError:TypeError',
    'valid edge values': 'no exception',
    requests: 0,
  },
});

// =====================================================================================
// credentials, fetch, signal
// =====================================================================================

test('credentials: "include" sends the cookie cross-origin, "omit" withholds it same-origin; withCredentials', {
  async run(ctx) {
    const name = `xc_${ctx.run.replace(/\W/g, '_')}`;
    // Set for the host 127.0.0.1: cookies ignore ports, so origins A and B both have it.
    await ctx.setCookie('B', name);
    const cases = {
      'include, cross-origin': [{ credentials: 'include' }, 'x-once-credentials', 'B'],
      'omit, same-origin': [{ credentials: 'omit' }, 'x-once', 'A'],
      'same-origin, same-origin': [{ credentials: 'same-origin' }, 'x-once', 'A'],
      'same-origin, cross-origin': [{ credentials: 'same-origin' }, 'x-once-cors', 'B'],
      'omit overrides withCredentials, same-origin': [{ withCredentials: true, credentials: 'omit' }, 'x-once', 'A'],
    };
    const out = {};
    for (const [k, [init, scenario, origin]] of Object.entries(cases)) {
      const key = k.replace(/\W/g, '');
      const { es, rec } = ctx.open(ctx.url(scenario, { key, origin }), init);
      await rec.until((l) => l.length >= 2 || l.some((e) => e.readyState === 2), `an event or a failure (${k})`);
      es.close();
      const req = (await ctx.server(scenario, { key })).requests[0];
      out[k] = { log: rec.log, withCredentials: es.withCredentials, cookieSent: cookieSent(req, name) };
    }
    return out;
  },
  expect: {
    'include, cross-origin': { log: [open(), msg('hi', { origin: 'B' })], withCredentials: true, cookieSent: true },
    'omit, same-origin': { log: [open(), msg('hi')], withCredentials: false, cookieSent: false },
    'same-origin, same-origin': { log: [open(), msg('hi')], withCredentials: false, cookieSent: true },
    'same-origin, cross-origin': { log: [open(), msg('hi', { origin: 'B' })], withCredentials: false, cookieSent: false },
    'omit overrides withCredentials, same-origin': { log: [open(), msg('hi')], withCredentials: false, cookieSent: false },
  },
});

/** Two connections, the second's request made again without `Last-Event-ID` after its preflight was refused. */
const RESUMED_WITHOUT_THE_HEADER = {
  log: [open(), msg('a', { id: '1', origin: 'B' }), xerr('end-of-stream', 0, { delay: 30 }), open(), msg('b', { id: '1', origin: 'B' })],
  requests: [
    { xClient: 'dashboard', cookieSent: true, lastEventId: null },
    { xClient: 'dashboard', cookieSent: true, lastEventId: null },
  ],
};

test('credentials: a preflight refusing Last-Event-ID → the same request again without it (same headers, same cookie)', {
  async run(ctx) {
    const name = `xl_${ctx.run.replace(/\W/g, '_')}`;
    await ctx.setCookie('B', name);
    const init = { withCredentials: true, headers: { 'X-Client': 'dashboard' } };
    const out = {};
    for (const [k, extra] of Object.entries({ reconnection: {}, 'lastEventId option': { lastEventId: '0' } })) {
      const key = k.replace(/\W/g, '');
      const { es, rec } = ctx.open(ctx.url('x-lei-refused', { key, origin: 'B' }), { ...init, ...extra }, X);
      await rec.until((l) => l.some((e) => e.data === 'b') || l.some((e) => e.readyState === 2), `"b" or a failure (${k})`);
      es.close();
      const { requests, preflights } = await ctx.server('x-lei-refused', { key });
      out[k] = {
        log: rec.log,
        // the GETs; not the `no-cors` probe that tells a CORS failure (README, "Behaviour")
        requests: requests
          .filter((r) => r.headers['sec-fetch-mode'] !== 'no-cors')
          .map((r) => ({
            xClient: r.headers['x-client'] ?? null,
            cookieSent: cookieSent(r, name),
            lastEventId: r.lastEventId,
          })),
        preflightsAskFor: preflights.map((p) => p.headers['access-control-request-headers'] ?? null),
      };
    }
    return out;
  },
  expect: {
    reconnection: { ...RESUMED_WITHOUT_THE_HEADER, preflightsAskFor: ['x-client', 'last-event-id,x-client', 'x-client'] },
    // The first request: refused, then made without the header (the probe takes no turn:
    // that request gets the first response, which sets id 1); then as above.
    'lastEventId option': {
      ...RESUMED_WITHOUT_THE_HEADER,
      preflightsAskFor: ['last-event-id,x-client', 'x-client', 'last-event-id,x-client', 'x-client'],
    },
  },
});

// What a cross-origin source of `x-lei-query` dispatches, whether it resumed with the ID or not.
const RESUMED_LOG = [
  open(),
  msg('a', { id: '7\u00e9', origin: 'B' }),
  xerr('end-of-stream', 0, { delay: 30 }),
  open(),
  msg('b', { id: '7\u00e9', origin: 'B' }),
];

test(
  'lastEventIdQueryParameter: cross-origin, a server refusing every preflight: the ID goes in the query, no preflight (without it: resumed without the ID)',
  {
    async run(ctx) {
      const out = {};
      for (const [k, init] of Object.entries({ query: { lastEventIdQueryParameter: 'lastEventID' }, header: {} })) {
        const { es, rec } = ctx.open(ctx.url('x-lei-query', { key: k, origin: 'B' }), init, X);
        await rec.until((l) => l.some((e) => e.data === 'b') || l.some((e) => e.readyState === 2), `"b" or a failure (${k})`);
        es.close();
        const { requests, preflights } = await ctx.server('x-lei-query', { key: k });
        out[k] = {
          log: rec.log,
          // the GETs; not the `no-cors` probe that tells a CORS failure
          requests: requests
            .filter((r) => r.headers['sec-fetch-mode'] !== 'no-cors')
            .map((r) => ({ header: r.lastEventId, query: new URL(r.url, 'http://x').searchParams.get('lastEventID') })),
          preflights: preflights.length,
        };
      }
      return out;
    },
    expect: {
      query: {
        log: RESUMED_LOG,
        requests: [
          { header: null, query: null },
          { header: null, query: '7\u00e9' },
        ],
        preflights: 0,
      },
      // The header's preflight refused: the same request again without the ID (the server
      // cannot resume), as the test of credentials above shows in full.
      header: {
        log: RESUMED_LOG,
        requests: [
          { header: null, query: null },
          { header: null, query: null },
        ],
        preflights: 1,
      },
    },
  },
);

test('fetch: a custom fetch gets the absolute URL and a plain init with a Headers; a rejection or a throw reconnects', {
  async run(ctx) {
    const calls = [];
    const rejection = new TypeError('the custom fetch rejects once');
    const custom = (url, init) => {
      calls.push({ url, init });
      return calls.length === 1 ? Promise.reject(rejection) : fetch(url, init);
    };
    const causeIs = (x) => ({
      detail: (e) => ({ ...errDetail(e), ...(e.type === 'error' && e.target.readyState === 0 ? { causeIsIt: e.cause === x } : {}) }),
    });
    const relative = ctx.url('x-once').slice(ctx.A.length); // resolved against the page
    const { es, rec } = ctx.open(
      relative,
      { fetch: custom, headers: { 'X-Custom': 'yes' }, retry: { initialDelay: 40 } },
      causeIs(rejection),
    );
    await rec.untilMessage('hi');
    const { url, init } = calls[0];
    const first = {
      url: ctx.norm(url),
      isTheSourceUrl: typeof url === 'string' && url === es.url,
      plainObject: Object.getPrototypeOf(init) === Object.prototype,
      method: init.method,
      headersIsHeaders: init.headers instanceof Headers,
      accept: init.headers.get('accept'),
      custom: init.headers.get('x-custom'),
      body: init.body ?? null,
      mode: init.mode,
      credentials: init.credentials,
      cache: init.cache,
      redirect: init.redirect,
      signal: init.signal instanceof AbortSignal && !init.signal.aborted,
    };
    es.close();
    const abortedByClose = calls[1].init.signal.aborted;
    // A custom fetch that throws (synchronously) is a network error too.
    const thrown = new Error('the custom fetch throws');
    const t = ctx.open(
      ctx.url('x-once', { key: 'thrower' }),
      {
        fetch: () => {
          throw thrown;
        },
        retry: { initialDelay: 20, maxAttempts: 1 },
      },
      causeIs(thrown),
    );
    await t.rec.untilError(2);
    const { requests } = await ctx.server('x-once');
    return {
      first,
      log: rec.log,
      calls: calls.length,
      abortedByClose,
      // the rejected call never reached the server, and no CORS probe is made
      serverRequests: requests.map((r) => r.headers['x-custom'] ?? null),
      thrower: t.rec.log,
      _info: { initKeys: Object.keys(init).sort() },
    };
  },
  expect: {
    first: {
      url: '{A}/sse/x-once?run={run}',
      isTheSourceUrl: true,
      plainObject: true,
      method: 'GET',
      headersIsHeaders: true,
      accept: 'text/event-stream',
      custom: 'yes',
      body: null,
      mode: 'cors',
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'follow',
      signal: true,
    },
    log: [{ ...xerr('network', 0, { delay: 40 }), causeIsIt: true }, open(), msg('hi')],
    calls: 2,
    abortedByClose: true,
    serverRequests: ['yes'],
    thrower: [{ ...xerr('network', 0, { delay: 20 }), causeIsIt: true }, xerr('retries-exhausted', 2)],
  },
});

test('signal: abort = close() (CLOSED, no error, the request aborted); already aborted = no request', {
  async run(ctx) {
    // OPEN: abort closes, no error event, the server sees the request go away.
    const ac = new AbortController();
    const a = ctx.open(ctx.url('x-once'), { signal: ac.signal }, X);
    await a.rec.untilMessage('hi');
    ac.abort();
    const readyStateAfterAbort = a.es.readyState;
    const { requests } = await ctx.waitClosed('x-once', 0);
    // Waiting to reconnect: abort cancels the reconnection.
    const ac2 = new AbortController();
    const b = ctx.open(ctx.url('x-end'), { signal: ac2.signal, retry: { initialDelay: 200 } }, X);
    b.es.addEventListener('error', () => ac2.abort(), { once: true });
    // Aborted before: CLOSED at once, no request.
    const c = ctx.open(ctx.url('x-once', { key: 'before' }), { signal: AbortSignal.abort() }, X);
    const readyStateAtOnce = c.es.readyState;
    await b.rec.untilError();
    await ctx.quiet(500);
    return {
      open: { log: a.rec.log, readyStateAfterAbort, request: requests[0].closed },
      waiting: { log: b.rec.log, readyState: b.es.readyState, requests: (await ctx.server('x-end')).count },
      alreadyAborted: { readyStateAtOnce, log: c.rec.log, requests: (await ctx.server('x-once', { key: 'before' })).count },
    };
  },
  expect: {
    open: { log: [open(), msg('hi')], readyStateAfterAbort: 2, request: 'aborted' },
    waiting: { log: [open(), msg('a'), xerr('end-of-stream', 0, { delay: 200 })], readyState: 2, requests: 1 },
    alreadyAborted: { readyStateAtOnce: 2, log: [], requests: 0 },
  },
});

// =====================================================================================
// retry policy
// =====================================================================================

const BACKOFF = { initialDelay: 50, multiplier: 2, jitter: 0.5, maxDelay: 400 };
test("retry: backoff ×2, jitter 0.5, 50..400 ms: each error's delay in bounds, the server's gaps at least the lower bound", {
  async run(ctx) {
    // Every attempt stalls (no response head) and the inactivity timeout ends it: six
    // requests in a row, none opens.
    const { es, rec } = ctx.open(ctx.url('x-stalled'), { inactivityTimeout: 30, retry: BACKOFF }, X);
    await ctx.waitConnections('x-stalled', 6);
    es.close();
    const { requests } = await ctx.server('x-stalled');
    const errors = rec.log.filter((e) => e.type === 'error').slice(0, 5);
    const bounds = [1, 2, 3, 4, 5].map((n) => delayBounds(n, { base: BACKOFF.initialDelay, ...BACKOFF }));
    return {
      errors: errors.map((e) => `${e.reason}/${e.readyState}`),
      opens: rec.log.filter((e) => e.type === 'open').length,
      delays: errors.map((e, i) => {
        const [lo, hi] = bounds[i];
        return Number.isInteger(e.delay) && e.delay >= lo && e.delay <= hi ? `in [${lo}, ${hi}]` : `${e.delay} not in [${lo}, ${hi}]`;
      }),
      gaps: gapsAtLeast(
        requests,
        bounds.map(([lo]) => lo),
      ),
      _info: { delays: errors.map((e) => e.delay), gaps: gapsOf(requests.slice(0, 6)) },
    };
  },
  expect: {
    errors: Array(5).fill('timeout/0'),
    opens: 0,
    delays: ['in [25, 50]', 'in [50, 100]', 'in [100, 200]', 'in [200, 400]', 'in [200, 400]'],
    gaps: ['>= 25', '>= 50', '>= 100', '>= 200', '>= 200'],
  },
});

test("retry: the server's retry: is the base (reconnectionTime), failures in a row multiply it, an open resets", {
  async run(ctx) {
    const withTime = {
      detail: (e) => ({ ...errDetail(e), ...(e.type === 'open' ? {} : { reconnectionTime: e.target.reconnectionTime }) }),
    };
    const { es, rec } = ctx.open(
      ctx.url('x-backoff-base'),
      { inactivityTimeout: 150, retry: { initialDelay: 1000, multiplier: 2 } },
      withTime,
    );
    const initial = es.reconnectionTime;
    es.addEventListener('message', (e) => {
      if (e.data === 'c') es.close();
    }); // before c's stream stalls
    await rec.untilMessage('c');
    const { requests } = await ctx.server('x-backoff-base');
    return {
      initial,
      log: rec.log,
      gaps: gapsAtLeast(requests, [120, 240, 480, 120]),
      _info: { gaps: gapsOf(requests) },
    };
  },
  expect: {
    initial: 1000,
    log: [
      open(),
      { ...msg('a'), reconnectionTime: 120 },
      { ...xerr('end-of-stream', 0, { delay: 120 }), reconnectionTime: 120 }, //   1st in a row: the base
      { ...xerr('timeout', 0, { delay: 240 }), reconnectionTime: 120 }, //         2nd: ×2
      { ...xerr('timeout', 0, { delay: 480 }), reconnectionTime: 120 }, //         3rd: ×4
      open(),
      { ...msg('b'), reconnectionTime: 120 },
      { ...xerr('end-of-stream', 0, { delay: 120 }), reconnectionTime: 120 }, //   reset by the open
      open(),
      { ...msg('c'), reconnectionTime: 120 },
    ],
    gaps: ['>= 120', '>= 240', '>= 480', '>= 120'],
  },
});

test('retry: maxAttempts 2 → exactly 3 requests, then CLOSED with "retries-exhausted"; maxAttempts 0 never reconnects', {
  async run(ctx) {
    const a = ctx.open(ctx.url('x-stalled'), { inactivityTimeout: 50, retry: { initialDelay: 20, maxAttempts: 2 } }, X);
    const b = ctx.open(ctx.url('x-end'), { retry: { initialDelay: 20, maxAttempts: 0 } }, X);
    await Promise.all([a.rec.untilError(2), b.rec.untilError(2)]);
    await ctx.quiet(400);
    return {
      two: { log: a.rec.log, readyState: a.es.readyState, requests: (await ctx.server('x-stalled')).count },
      zero: { log: b.rec.log, requests: (await ctx.server('x-end')).count },
    };
  },
  expect: {
    two: {
      log: [xerr('timeout', 0, { delay: 20 }), xerr('timeout', 0, { delay: 20 }), xerr('retries-exhausted', 2)],
      readyState: 2,
      requests: 3,
    },
    zero: { log: [open(), msg('a'), xerr('retries-exhausted', 2)], requests: 1 },
  },
});

// =====================================================================================
// inactivityTimeout, maxBufferSize
// =====================================================================================

test('inactivityTimeout: one event then silence → error "timeout" (CONNECTING), then a new request', {
  async run(ctx) {
    const { es, rec } = ctx.open(ctx.url('x-stall-after-one'), { inactivityTimeout: 300, retry: { initialDelay: 50 } }, X);
    es.addEventListener('message', (e) => {
      if (e.data === 'b') es.close();
    }); // b's stream stalls too
    await rec.untilMessage('b');
    const { requests } = await ctx.server('x-stall-after-one');
    const silence = rec.between(
      (e) => e.data === 'a',
      (e) => e.type === 'error',
    );
    return {
      log: rec.log,
      firstRequest: requests[0].closed ?? (await ctx.waitClosed('x-stall-after-one', 0)).requests[0].closed,
      requests: requests.length,
      timedOutAfterTheTimeout: silence >= 300 - TIMER_TOLERANCE_MS,
      _info: { silenceMs: Math.round(silence) },
    };
  },
  expect: {
    log: [open(), msg('a'), xerr('timeout', 0, { delay: 50 }), open(), msg('b')],
    firstRequest: 'aborted',
    requests: 2,
    timedOutAfterTheTimeout: true,
  },
});

test('inactivityTimeout: comments more frequent than the timeout keep the stream alive', {
  async run(ctx) {
    const { rec } = ctx.open(ctx.url('x-heartbeat'), { inactivityTimeout: 400, retry: { initialDelay: 50 } }, X);
    await rec.untilMessage('a');
    await ctx.quiet(1500); // a comment every 50 ms: nothing else happens
    return { log: rec.log, requests: (await ctx.server('x-heartbeat')).count };
  },
  expect: { log: [open(), msg('a')], requests: 1 },
});

test('maxBufferSize: a line over the cap fails the source ("buffer-full", CLOSED, no reconnection)', {
  async run(ctx) {
    const { rec } = ctx.open(ctx.url('x-big-line'), { maxBufferSize: 100, retry: { initialDelay: 20 } }, X);
    await rec.untilError();
    const { requests } = await ctx.waitClosed('x-big-line', 0);
    await ctx.quiet(300);
    return { log: rec.log, request: requests[0].closed, requests: (await ctx.server('x-big-line')).count };
  },
  expect: { log: [open(), msg('ok'), xerr('buffer-full', 2)], request: 'aborted', requests: 1 },
});

// =====================================================================================
// lastEventId, the getters
// =====================================================================================

test('lastEventId option: sent as Last-Event-ID from the first request on', {
  async run(ctx) {
    const { es, rec } = ctx.open(ctx.url('x-end-retry'), { lastEventId: 'resume-é' }, X);
    const initial = es.lastEventId;
    await rec.untilMessage('b');
    const { requests } = await ctx.server('x-end-retry');
    return {
      initial,
      log: rec.log,
      lastEventIds: requests.map((r) => r.lastEventId),
      bytes: requests[0].lastEventIdHex,
    };
  },
  expect: {
    initial: 'resume-é',
    // the server's `retry: 30` is the base (no retry option)
    log: [open(), msg('a', { id: 'resume-é' }), xerr('end-of-stream', 0, { delay: 30 }), open(), msg('b', { id: 'resume-é' })],
    lastEventIds: ['resume-é', 'resume-é'],
    bytes: '726573756d652dc3a9', // UTF-8
  },
  platform: {
    webkit: {
      why:
        "WebKit's fetch() sends the code units U+0080–U+00FF of a header value as UTF-8, so the " +
        'UTF-8 bytes of a non-ASCII id go out encoded twice (é → c3 83 c2 a9): see the test ' +
        '"request: fetch() sends each code unit of a header value as one byte"',
      expect: {
        initial: 'resume-é',
        log: [open(), msg('a', { id: 'resume-é' }), xerr('end-of-stream', 0, { delay: 30 }), open(), msg('b', { id: 'resume-é' })],
        lastEventIds: ['resume-Ã©', 'resume-Ã©'],
        bytes: '726573756d652dc383c2a9',
      },
    },
  },
});

test('getters: lastEventId and reconnectionTime (an id-only block counts; kept after close())', {
  async run(ctx) {
    const g = (es) => [es.lastEventId, es.reconnectionTime];
    const { es, rec } = ctx.open(ctx.url('x-getters'), undefined, X);
    const out = { constructed: g(es) };
    es.addEventListener('message', () => {
      out.atMessage = g(es);
    });
    // The id-only block `id: 2` (no data) is the last thing before the end of the body.
    es.addEventListener('error', () => {
      out.atError = g(es);
      es.close();
      out.afterClose = g(es);
    });
    await rec.untilError();
    out.log = rec.log;
    out.withInitialDelay = g(ctx.track(new ctx.ES(ctx.url('x-once', { key: 'initial' }), { retry: { initialDelay: 700 } })));
    const lastIdBeforeClose = ctx.track(new ctx.ES(ctx.url('x-once', { key: 'closed' }), { lastEventId: 'x' }));
    lastIdBeforeClose.close();
    out.closedAtOnce = g(lastIdBeforeClose);
    return out;
  },
  expect: {
    constructed: ['', 3000],
    atMessage: ['1', 1234],
    atError: ['2', 1234],
    afterClose: ['2', 1234],
    log: [open(), msg('a', { id: '1' }), xerr('end-of-stream', 0, { delay: 1234 })],
    withInitialDelay: ['', 700],
    closedAtOnce: ['x', 3000],
  },
});

test('re-entrancy: a listener may call anything at any point (getters, a new source, online and offline events, close())', {
  async run(ctx) {
    const { es, rec } = ctx.open(ctx.url('x-reentry'), undefined, X);
    const seen = [];
    const g = (what) => seen.push([what, es.readyState, es.lastEventId, es.reconnectionTime]);
    const dispatch = (...types) => {
      for (const type of types) window.dispatchEvent(new Event(type));
    };
    es.onopen = () => {
      g('open');
      dispatch('offline', 'online');
    };
    es.addEventListener('message', (e) => {
      g(`message ${e.data}`);
      if (e.data === 'a') dispatch('online', 'offline');
      if (e.data === 'b') ctx.track(new ctx.ES(ctx.url('basic', { key: 'reentry' }))).close();
      if (e.data === 'e') es.close(); // f, in the same chunk, is never dispatched
    });
    // The server's retry is 10 minutes: only this `online` (an input that arrives while
    // the error is being dispatched) brings the second connection.
    es.addEventListener('error', () => {
      g('error');
      dispatch('online');
    });
    await rec.untilMessage('e');
    await ctx.quiet(300);
    return { seen, log: rec.log, connections: (await ctx.server('x-reentry')).count };
  },
  expect: {
    seen: [
      ['open', 1, '', 3000],
      ['message a', 1, '1', 3000],
      // The retry field after b counts for the events after it.
      ['message b', 1, '2', 3000],
      ['message c', 1, '3', 600000],
      ['error', 0, '3', 600000],
      ['open', 1, '3', 600000],
      ['message d', 1, '4', 600000],
      ['message e', 1, '5', 600000],
    ],
    log: [
      open(),
      msg('a', { id: '1' }),
      msg('b', { id: '2' }),
      msg('c', { id: '3' }),
      xerr('end-of-stream', 0, { delay: 600000 }),
      open(),
      msg('d', { id: '4' }),
      msg('e', { id: '5' }),
    ],
    connections: 2,
  },
});

test('re-entrancy: window.stop() from a listener fails the source (spec 4), as from anywhere else', {
  async run(ctx) {
    // No fetch of the page is in flight when it stops but the stream's.
    const { es, rec } = ctx.open(ctx.url('basic', { key: 'stop-in-listener' }), undefined, X);
    es.onmessage = () => window.stop();
    await rec.untilError();
    await ctx.quiet(300);
    return { log: rec.log, connections: (await ctx.server('basic', { key: 'stop-in-listener' })).count };
  },
  expect: { log: [open(), msg('hello'), xerr('network', 2)], connections: 1 },
});

// =====================================================================================
// The richer error event
// =====================================================================================

test('error: HTTP 401 → reason "status", status 401, CLOSED; the event\'s shape', {
  async run(ctx) {
    const { es, rec } = ctx.open(ctx.url('x-401'), { retry: { initialDelay: 20 } }, X);
    let shape;
    es.addEventListener('error', (e) => {
      const keys = ['reason', 'status', 'message', 'delay', 'cause'];
      shape = {
        isEvent: e instanceof Event,
        isMessageEvent: e instanceof MessageEvent,
        bubbles: e.bubbles,
        cancelable: e.cancelable,
        own: keys.filter((k) => Object.hasOwn(e, k)),
        readOnly: keys.filter((k) => {
          const before = e[k];
          try {
            e[k] = 'changed';
          } catch {
            /* strict mode: a read-only property throws */
          }
          return e[k] === before;
        }),
        message: typeof e.message === 'string' && e.message.length > 0,
        causeIsUndefined: e.cause === undefined,
        _info: { message: e.message },
      };
    });
    await rec.untilError();
    await ctx.quiet(200);
    return { log: rec.log, shape, requests: (await ctx.server('x-401')).count };
  },
  expect: {
    log: [xerr('status', 2, { status: 401 })],
    shape: {
      isEvent: true,
      isMessageEvent: false,
      bubbles: false,
      cancelable: false,
      own: ['reason', 'status', 'message', 'delay', 'cause'],
      readOnly: ['reason', 'status', 'message', 'delay', 'cause'],
      message: true,
      causeIsUndefined: true,
    },
    requests: 1,
  },
});

test('error: text/html → reason "content-type", status 200, CLOSED', {
  async run(ctx) {
    const { es, rec } = ctx.open(ctx.url('x-html'), undefined, X);
    let message;
    es.addEventListener('error', (e) => {
      message = e.message;
    });
    await rec.untilError();
    return { log: rec.log, message: typeof message === 'string' && message.length > 0, _info: { message } };
  },
  expect: { log: [xerr('content-type', 2, { status: 200 })], message: true },
});

test('error: the server ends the body → "end-of-stream" (CONNECTING) with the delay', {
  async run(ctx) {
    const cases = {
      'standard: 3000 ms': ['x-end', undefined],
      "the server's retry: 30": ['x-end-retry', undefined],
      'retry.initialDelay 80': ['x-end', { retry: { initialDelay: 80 } }],
      'retry: 9999999999 is clamped': ['x-huge-retry', undefined],
    };
    const out = {};
    for (const [k, [scenario, init]] of Object.entries(cases)) {
      const { es, rec } = ctx.open(ctx.url(scenario, { key: k.replace(/\W/g, '') }), init, X);
      es.addEventListener('error', () => es.close());
      await rec.untilError();
      out[k] = rec.log;
    }
    return out;
  },
  expect: {
    'standard: 3000 ms': [open(), msg('a'), xerr('end-of-stream', 0, { delay: 3000 })],
    "the server's retry: 30": [open(), msg('a'), xerr('end-of-stream', 0, { delay: 30 })],
    'retry.initialDelay 80': [open(), msg('a'), xerr('end-of-stream', 0, { delay: 80 })],
    'retry: 9999999999 is clamped': [open(), msg('a'), xerr('end-of-stream', 0, { delay: 2 ** 31 - 1 })],
  },
});

test('error: unreachable server → "network" (CONNECTING, cause a TypeError); a CORS failure → "network" (CLOSED)', {
  async run(ctx) {
    const dead = await ctx.deadOrigin();
    const withCause = {
      detail: (e) => ({
        ...errDetail(e),
        ...(e.type === 'error' && e.target.readyState === 0 ? { cause: e.cause?.constructor?.name } : {}),
      }),
    };
    const a = ctx.open(`${dead}/sse/x-once`, { retry: { initialDelay: 60, maxAttempts: 1 } }, withCause);
    const b = ctx.open(ctx.url('x-once', { origin: 'B' }), undefined, X); // no CORS headers
    await Promise.all([a.rec.untilError(2), b.rec.untilError(2)]);
    await ctx.quiet(200);
    return { unreachable: a.rec.log, cors: b.rec.log };
  },
  expect: {
    unreachable: [{ ...xerr('network', 0, { delay: 60 }), cause: 'TypeError' }, xerr('retries-exhausted', 2)],
    cors: [xerr('network', 2)],
  },
});

// =====================================================================================
// Offline: the browser's own network conditions (run.mjs: puppeteer's setOfflineMode,
// CDP in Chromium, WebDriver BiDi emulation.setNetworkConditions in Firefox).
// =====================================================================================

/** Two sources on x-drop (one plain, one through a counting custom fetch), OPEN; the page
 *  goes offline; the server ends both bodies; `whileOffline()` runs; back online, both
 *  must reconnect (to their `b`). Returns what happened. */
async function offlineRound(ctx, retry, whileOffline) {
  let fetches = 0;
  const counting = (u, init) => {
    fetches++;
    return fetch(u, init);
  };
  const sources = {
    plain: ctx.open(ctx.url('x-drop', { key: 'plain' }), { retry }, X),
    counted: ctx.open(ctx.url('x-drop', { key: 'counted' }), { retry, fetch: counting }, X),
  };
  const all = (f) => Promise.all(Object.values(sources).map(f));
  await all((s) => s.rec.untilMessage('a'));
  await ctx.offline(true);
  // The page is offline: the runner carries these to the server.
  await all((s, i) => ctx.signal('drop', { key: Object.keys(sources)[i] }));
  await all((s) => s.rec.untilError());
  await whileOffline();
  const offline = { fetches, readyStates: Object.values(sources).map((s) => s.es.readyState) };
  for (const s of Object.values(sources)) s.rec.add({ online: true });
  const onlineAt = Date.now();
  await ctx.offline(false);
  await all((s) => s.rec.untilMessage('b'));
  const out = { offline, fetches };
  for (const [key, s] of Object.entries(sources)) {
    const { requests } = await ctx.server('x-drop', { key });
    out[key] = {
      log: s.rec.log,
      requests: requests.map((r) => ({ lastEventId: r.lastEventId, afterOnline: r.t >= onlineAt })),
    };
  }
  const { rec } = sources.plain;
  out._info = {
    msFromOnlineToOpen: Math.round(
      rec.between(
        (e) => e.online,
        (e) => e.type === 'open',
      ),
    ),
    plainTimeline: rec.log.map((e, i) => `${Math.round(rec.times[i] - rec.times[0])}:${e.type ?? 'online'}`),
  };
  return out;
}
const offlineExpect = (delay) => {
  const side = {
    log: [open(), msg('a', { id: '1' }), xerr('end-of-stream', 0, { delay }), { online: true }, open(), msg('b', { id: '1' })],
    requests: [
      { lastEventId: null, afterOnline: false },
      { lastEventId: '1', afterOnline: true },
    ],
  };
  return { offline: { fetches: 1, readyStates: [0, 0] }, fetches: 2, plain: side, counted: side };
};

test('offline: no request while offline however short the delay, no "retries-exhausted"; back online → reconnects', {
  needs: ['offline'],
  timeout: 15000,
  async run(ctx) {
    // 20 ms delays and one attempt allowed: 30 delays pass while offline.
    return offlineRound(ctx, { initialDelay: 20, maxAttempts: 1 }, () => ctx.quiet(600));
  },
  expect: offlineExpect(20),
});

test('offline: back online during a long retry wait reconnects at once', {
  needs: ['offline'],
  timeout: 15000,
  async run(ctx) {
    // A 60 s delay: the reconnection within the test's 15 s can only be the `online` one.
    return offlineRound(ctx, { initialDelay: 60000 }, async () => {});
  },
  expect: offlineExpect(60000),
});

test('offline: in a dedicated worker too (Chromium)', {
  needs: ['offline'],
  // Firefox's emulation (BiDi emulation.setNetworkConditions) is per browsing context: a
  // worker's fetches fail, but its navigator.onLine stays true and it gets no `offline` /
  // `online` event, so a worker cannot be taken offline there. In Chromium the worker's
  // navigator.onLine follows the emulation; Chromium fires no `online` / `offline` event
  // in workers at all (WorkerGlobalScope.ononline is not implemented: mdn/browser-compat-
  // data#14013, #14442), so a source waiting for `online` there must notice otherwise.
  browsers: ['chromium'],
  timeout: 15000,
  async run(ctx) {
    const w = await ctx.worker();
    const { rec } = w.open(ctx.url('x-drop', { key: 'worker' }), { retry: { initialDelay: 20, maxAttempts: 1 } });
    await rec.untilMessage('a');
    await ctx.offline(true);
    const workerOnLine = await w.onLine();
    await ctx.signal('drop', { key: 'worker' });
    await rec.untilError();
    await ctx.quiet(600);
    rec.add({ online: true });
    await ctx.offline(false);
    await rec.untilMessage('b');
    const { requests } = await ctx.server('x-drop', { key: 'worker' });
    return {
      workerOnLineWhileOffline: workerOnLine,
      // the status of an end-of-stream error is not compared (see STATUS_COMPARED)
      log: rec.log.map(({ status, ...e }) => (e.type === 'error' && STATUS_COMPARED.has(e.reason) ? { ...e, status } : e)),
      lastEventIds: requests.map((r) => r.lastEventId),
    };
  },
  expect: {
    workerOnLineWhileOffline: false,
    log: [open(), msg('a', { id: '1' }), xerr('end-of-stream', 0, { delay: 20 }), { online: true }, open(), msg('b', { id: '1' })],
    lastEventIds: [null, '1'],
  },
});

// =====================================================================================
// EventStreamParser
// =====================================================================================

test('EventStreamParser: a chunked POST response piped through it', {
  async run(ctx) {
    // Its own subpath ('eventsource-wasm/stream-parser'), not the main entry.
    const inMain = typeof (await import('/dist/index.js')).EventStreamParser;
    if (inMain !== 'undefined') return { exported: `by the main entry: ${inMain}` };
    const m = await import('/dist/stream-parser.js');
    if (typeof m.EventStreamParser !== 'function') return { exported: typeof m.EventStreamParser };
    const retries = [];
    const comments = [];
    const body = 'héllo\nwörld 𝄞\nend';
    // x-echo: one event per line of the POST body, in 5-byte chunks (UTF-8 split), then
    // an incomplete event and the end.
    const res = await fetch(ctx.url('x-echo', { query: { retry: 1500 } }), { method: 'POST', body });
    const parser = new m.EventStreamParser({ onRetry: (ms) => retries.push(ms), onComment: (t) => comments.push(t) });
    const events = [];
    const reader = res.body.pipeThrough(parser).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      events.push(value);
    }
    const { requests } = await ctx.server('x-echo');
    // Over maxBufferSize: the readable side errors with a RangeError.
    const big = await fetch(ctx.url('x-echo', { key: 'cap' }), { method: 'POST', body: 'x'.repeat(100) });
    let overTheCap = 'no error';
    try {
      const r = big.body.pipeThrough(new m.EventStreamParser({ maxBufferSize: 16 })).getReader();
      for (;;) if ((await r.read()).done) break;
    } catch (e) {
      overTheCap = e?.constructor?.name;
    }
    return {
      exported: 'function',
      isTransformStream: parser instanceof TransformStream,
      plainObjects: events.every((e) => Object.getPrototypeOf(e) === Object.prototype),
      events,
      retries,
      comments,
      request: [requests[0].method, requests[0].body],
      overTheCap,
    };
  },
  expect: {
    exported: 'function',
    isTransformStream: true,
    plainObjects: true,
    events: [
      { type: 'message', data: 'héllo', lastEventId: '1' },
      { type: 'echo', data: 'wörld 𝄞', lastEventId: '2' },
      { type: 'message', data: 'end', lastEventId: '3' },
    ],
    retries: [1500],
    comments: ['echo'],
    request: ['POST', 'héllo\nwörld 𝄞\nend'],
    overTheCap: 'RangeError',
  },
});
