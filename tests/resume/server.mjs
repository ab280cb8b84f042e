// The fault-injecting SSE server of the resume test: plain node:http on 127.0.0.1.
//
//   const server = await startFaultServer();
//   server.configure('chromium-native', { n: 10000, seed: 1234, cuts: 450, retry: 1 });
//   new EventSource(`${server.origin}/sse/chromium-native`);
//   …
//   const report = server.report('chromium-native'); // what was sent, per connection, and checks
//   await server.close();
//
// GET /sse/<run> serves events 0..n-1 of stream.mjs (event i has the id `i`), resuming
// after the request's `Last-Event-ID` header, or else its `lastEventId` query parameter
// (how an app resumes a source it creates anew, with a class that has no `lastEventId`
// option), or else from the start. Each response starts with a preamble: sometimes a
// BOM, `retry: <ms>`, a comment.
//
// Faults come from a generator seeded by (seed, run name), so a run is reproducible for
// the same client behaviour. Each connection draws its fault from a shuffled bag (every
// kind once per 9 connections, so that a short run still sees every kind):
//   end          the response ends cleanly (chunked terminator) at a cut in the body
//   drop         the server half-closes the socket at a cut: a truncated chunked body
//   reset        the socket is reset (RST) at a cut: the tail may not arrive at all
//   reset-early  the socket is reset as soon as the request arrives: no status, no body
//   500, 503     that status, before any body: the source fails (spec 6), the app resumes
//   bad-type     a 200 with `Content-Type: text/plain` and a short body: the source fails too
// A body fault draws its cut's kind from another bag, then cuts at the first such byte
// offset at least a random distance into the events (on average the events' length over
// `cuts`, so that a run has about `cuts` cut responses whatever its number of events):
//   mid-line     inside a line, between two characters
//   cr-lf        between the CR and the LF of a CRLF that ends a field or comment line
//   blank-cr-lf  between the CR and the LF of the blank line that dispatches an event: the
//                event is dispatched at the CR (spec 15), which the next request shows
//   mid-char     inside a multi-byte UTF-8 character
//   line-start   right after a line's terminator (a complete line, maybe a complete event)
// If no such offset is left before the end, the response runs to the end: `complete`,
// and then stays open (no more events) until the client goes away.
//
// Requests that are not the event source's own (our class's `no-cors` probe after a failed
// fetch, which sends no `Accept: text/event-stream`) get a 204 and are only counted.
//
// The report checks the resumption points: after a clean end, the next request must resume
// exactly after the last event whose dispatching blank line had begun in the bytes sent
// (a CR dispatches before its LF: spec 15); after a drop or a reset, no later than that
// and no earlier than where that request itself resumed (bytes that reached the client's
// host before the error may never reach the page: Chromium discards the rest of a
// truncated chunked body, a RST can discard what was not read yet; `lostInFlight` counts
// these); after a status fault, a wrong Content-Type or an early reset, exactly where that
// request itself resumed.
//
// Anything else under the repository root is served as a static file (the test page,
// dist/). Run it alone with `node tests/resume/server.mjs` (RESUME_SEED=…,
// RESUME_EVENTS=…): it prints the origin and the seed, serves the run `demo`, and prints
// its report on Ctrl-C.

import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventFor, fnv1a, mulberry32 } from './stream.mjs';
import { readStatic } from '../static.mjs';

export const FAULTS = ['end', 'drop', 'reset', 'reset-early', '500', '503', 'bad-type'];
export const CUTS = ['mid-line', 'cr-lf', 'blank-cr-lf', 'mid-char', 'line-start'];
const FAULT_BAG = ['end', 'end', 'drop', 'drop', 'reset', 'reset-early', '500', '503', 'bad-type'];
const BODY_FAULTS = new Set(['end', 'drop', 'reset']);
/** The faults after which the app has to create a new source (the old one is CLOSED). */
const FAILING = new Set(['500', '503', 'bad-type']);
/** The faults that break the connection (the class reconnects by itself after a delay). */
const TRANSPORT_FAULTS = new Set(['drop', 'reset', 'reset-early']);
const EOLS = ['\n', '\r', '\r\n'];

/**
 * Events 0..n-1 as one buffer, with the byte offset where each starts (`start[n]` is the
 * length) and where each is dispatched (the offset of its blank line's first character).
 */
export function buildStream(n) {
  const parts = [];
  const start = new Int32Array(n + 1);
  const dispatch = new Int32Array(n);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const { text, blank } = eventFor(i);
    const bytes = Buffer.from(text, 'utf8');
    start[i] = offset;
    dispatch[i] = offset + Buffer.byteLength(text.slice(0, blank), 'utf8');
    parts.push(bytes);
    offset += bytes.length;
  }
  start[n] = offset;
  return { n, bytes: Buffer.concat(parts), start, dispatch };
}

/** The kind of the cut before byte `p` (0 < p < bytes.length) of stream.mjs's events. */
export function cutKind(bytes, p) {
  if ((bytes[p] & 0xc0) === 0x80) return 'mid-char';
  const before = bytes[p - 1];
  if (before === 0x0d && bytes[p] === 0x0a) {
    // A CRLF right after a line's end is an empty line: in these events, always the
    // blank line that dispatches an event.
    return p >= 2 && (bytes[p - 2] === 0x0a || bytes[p - 2] === 0x0d) ? 'blank-cr-lf' : 'cr-lf';
  }
  if (before === 0x0a || before === 0x0d) return 'line-start';
  return 'mid-line';
}

/**
 * How many events of `stream` a client has dispatched once it got the bytes before `cut`,
 * when it started at event `next`: the index of the event it must resume with.
 */
export function nextAfterCut(stream, next, cut) {
  let lo = next; // events < lo are dispatched
  let hi = stream.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (stream.dispatch[mid] < cut) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const shuffled = (list, rand) => {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};

export async function startFaultServer({ host = '127.0.0.1', port = 0 } = {}) {
  const runs = new Map();
  const streams = new Map(); // n -> stream (built once per size)
  const sockets = new Set();
  let closed = false;

  const streamOf = (n) => {
    if (!streams.has(n)) streams.set(n, buildStream(n));
    return streams.get(n);
  };

  /** Prepares the run `name`: n events, faults from `seed`, about `cuts` responses cut. */
  function configure(name, { n = 10000, seed = 1, cuts = 450, retry = 1, bomRate = 0.3 } = {}) {
    const runSeed = fnv1a(`${name}`, seed >>> 0);
    const stream = streamOf(n);
    runs.set(name, {
      name,
      n,
      seed: runSeed,
      meanChunk: Math.max(16, stream.bytes.length / cuts),
      retry,
      bomRate,
      stream,
      rand: mulberry32(runSeed),
      faultBag: [],
      cutBag: [],
      connections: [],
      probes: 0,
      rejected: [],
    });
  }

  const draw = (run, bag, list) => {
    if (!run[bag].length) run[bag] = shuffled(list, run.rand);
    return run[bag].pop();
  };

  async function serveEvents(req, res, run, url) {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('text/event-stream') || req.headers['sec-fetch-mode'] === 'no-cors') {
      run.probes++;
      res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
      return;
    }
    const header = req.headers['last-event-id'];
    const query = url.searchParams.get('lastEventId');
    const raw = header ?? query ?? '';
    const via = header !== undefined ? 'header' : query !== null ? 'query' : 'none';
    if (raw !== '' && (!/^(0|[1-9]\d*)$/.test(raw) || Number(raw) >= run.n)) {
      run.rejected.push({ raw, via });
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`bad last event ID ${JSON.stringify(raw)}`);
      return;
    }
    // The first event to send: the one after the last event ID.
    const next = raw === '' ? 0 : Number(raw) + 1;
    const { stream } = run;
    const conn = {
      n: run.connections.length + 1,
      next,
      via,
      fault: 'complete',
      cut: null,
      cutAt: null,
      bytesSent: 0,
      expectedNext: null,
      bom: false,
      t: performance.now(),
    };
    run.connections.push(conn);
    const rand = mulberry32(Math.floor(run.rand() * 2 ** 32)); // this connection's own
    if (next < run.n) {
      conn.fault = draw(run, 'faultBag', FAULT_BAG);
      // A source created anew (the first one, or the app's after a failure) has the
      // default reconnection time (3 s in Chromium and ours, 5 s in Firefox) until a
      // `retry:` arrives. An early reset would make it wait that long, and so would a drop
      // or a reset mid-body: the browsers may discard the bytes that had arrived before the
      // error, preamble included (Chromium does, after a truncated chunked body). So the
      // first response of a source ends cleanly, which delivers its `retry:`; the fault it
      // drew goes back into the bag for a later connection.
      const prev = run.connections.at(-2);
      if (TRANSPORT_FAULTS.has(conn.fault) && (!prev || FAILING.has(prev.fault))) {
        run.faultBag.unshift(conn.fault);
        conn.fault = 'end';
      }
    }

    if (conn.fault === '500' || conn.fault === '503') {
      res.writeHead(Number(conn.fault), { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
      res.end('fault injected');
      return;
    }
    if (conn.fault === 'bad-type') {
      // A body that looks like events, so that only the Content-Type can fail the source.
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(`retry: ${run.retry}\n\n${eventFor(next).text}`);
      return;
    }
    if (conn.fault === 'reset-early') {
      req.socket.resetAndDestroy();
      return;
    }

    const from = stream.start[next];
    let cut = -1;
    if (BODY_FAULTS.has(conn.fault)) {
      conn.cut = draw(run, 'cutBag', CUTS);
      const distance = Math.max(1, Math.round(run.meanChunk * (0.25 + 1.5 * rand())));
      for (let p = from + distance; p < stream.bytes.length; p++) {
        if (cutKind(stream.bytes, p) === conn.cut) {
          cut = p;
          break;
        }
      }
      if (cut < 0) {
        conn.fault = 'complete';
        conn.cut = null;
      }
    }
    const end = cut < 0 ? stream.bytes.length : cut;
    conn.cutAt = cut < 0 ? null : cut - from;
    conn.expectedNext = nextAfterCut(stream, next, end);

    let gone = false;
    const goneP = new Promise((resolve) =>
      res.once('close', () => {
        gone = true;
        resolve();
      }),
    );
    conn.bom = rand() < run.bomRate;
    const eol = EOLS[Math.floor(rand() * 3)];
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
    res.write(`${conn.bom ? '\uFEFF' : ''}retry: ${run.retry}${eol}: resuming at event ${next} ✓${eol}`);
    let p = from;
    while (p < end && !gone && !closed) {
      // Slices of random size, each handed to the socket before the next: the last one
      // has left when the fault strikes.
      const q = Math.min(end, p + 256 + Math.floor(rand() * 8192));
      const written = new Promise((resolve) => res.write(stream.bytes.subarray(p, q), resolve));
      conn.bytesSent += q - p;
      p = q;
      await Promise.race([written, goneP]);
    }
    if (gone || closed || cut < 0) return; // complete: stays open, with no more events
    if (conn.fault === 'end') res.end();
    else if (conn.fault === 'drop') res.socket.end();
    else res.socket.resetAndDestroy();
  }

  async function serveFile(req, res, pathname) {
    const found = req.method === 'GET' ? await readStatic(pathname) : { status: 405 };
    if (found.status !== 200) {
      res.writeHead(found.status, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': found.type, 'Cache-Control': 'no-store' }).end(found.data);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const m = /^\/sse\/([\w.-]+)$/.exec(url.pathname);
    if (m) {
      const run = runs.get(m[1]);
      if (!run) res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no run ${m[1]}`);
      else serveEvents(req, res, run, url).catch(() => res.destroy());
      return;
    }
    serveFile(req, res, url.pathname).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 2000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_, socket) => socket.destroy());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const origin = `http://${host}:${server.address().port}`;

  /** What the run `name` was sent, per connection, with the counts and the resumption check. */
  function report(name) {
    const run = runs.get(name);
    const faults = Object.fromEntries([...FAULTS, 'complete'].map((k) => [k, 0]));
    const cuts = Object.fromEntries(CUTS.map((k) => [k, 0]));
    const via = { header: 0, query: 0, none: 0 };
    let boms = 0;
    let bytesSent = 0;
    for (const c of run.connections) {
      faults[c.fault]++;
      if (c.cut) cuts[c.cut]++;
      via[c.via]++;
      if (c.bom) boms++;
      bytesSent += c.bytesSent;
    }
    // Where each request resumed, against what the previous response delivered.
    const mismatches = [];
    const lostInFlight = { drop: 0, reset: 0 };
    const conns = run.connections;
    for (let j = 0; j + 1 < conns.length; j++) {
      const prev = conns[j];
      const got = conns[j + 1].next;
      let ok;
      let want;
      if (prev.fault === 'complete') {
        ok = false;
        want = 'no further request (the stream was complete)';
      } else if (!BODY_FAULTS.has(prev.fault)) {
        ok = got === prev.next;
        want = `event ${prev.next}`;
      } else if (prev.fault === 'reset' || prev.fault === 'drop') {
        ok = got >= prev.next && got <= prev.expectedNext;
        want = `events ${prev.next}..${prev.expectedNext}`;
        if (ok && got < prev.expectedNext) lostInFlight[prev.fault]++;
      } else {
        ok = got === prev.expectedNext;
        want = `event ${prev.expectedNext}`;
      }
      if (!ok) {
        mismatches.push(
          `connection ${prev.n} (from event ${prev.next}, ${prev.fault}${prev.cut ? ` at a ${prev.cut} cut, byte ${prev.cutAt} of the events` : ''}) ` +
            `→ connection ${j + 2} started at event ${got} (last event ID via ${conns[j + 1].via}); expected ${want}`,
        );
      }
    }
    // The time from each request to the next, by the fault of the first (ms: mean, max).
    const gaps = {};
    for (let j = 0; j + 1 < conns.length; j++) {
      const g = (gaps[conns[j].fault] ??= { count: 0, total: 0, max: 0 });
      const d = conns[j + 1].t - conns[j].t;
      g.count++;
      g.total += d;
      g.max = Math.max(g.max, d);
    }
    for (const g of Object.values(gaps)) g.mean = Math.round(g.total / g.count);
    return {
      seed: run.seed,
      n: run.n,
      connections: conns.length,
      probes: run.probes,
      rejected: run.rejected,
      faults,
      cuts,
      via,
      boms,
      bytesSent,
      streamBytes: run.stream.bytes.length,
      mismatches,
      lostInFlight,
      gaps,
      log: conns,
    };
  }

  async function close() {
    closed = true;
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(() => resolve()));
  }

  return { origin, configure, report, close };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seed = Number(process.env.RESUME_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  const n = Number(process.env.RESUME_EVENTS ?? 10000);
  const server = await startFaultServer({ port: Number(process.env.PORT ?? 0) });
  server.configure('demo', { n, seed, cuts: 450, retry: 1 });
  console.log(`fault server on ${server.origin}: events at ${server.origin}/sse/demo (n=${n}, RESUME_SEED=${seed})`);
  process.on('SIGINT', async () => {
    const { log, ...summary } = server.report('demo');
    console.log(JSON.stringify(summary, null, 2));
    await server.close();
    process.exit(0);
  });
}
