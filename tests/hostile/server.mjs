// The loopback server of tests/hostile/run.mjs: plain node:http, two origins (A, B) on 127.0.0.1, and
// more pairs on demand (`pair()`: fresh ports, so fresh connection pools in the browser).
//
//   /…                    static files from the repository root; `?csp=strict` adds
//                         Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval';
//                         object-src 'none'; base-uri 'none' — `?csp=nowasm` the same
//                         without 'wasm-unsafe-eval'
//   /diff/<key>           a stored stream (putStream), then the body ends
//   /huge?run=&cap=       `data: ` then `x` forever in 64 KiB writes, generated on the fly
//                         (backpressure respected), until the client goes, `cap` bytes were
//                         sent (then the response stays open, silent) or 200 MiB (then it ends)
//   /alive, /basic        `data: alive` / `data: one`, `data: two`; the response stays open
//   /setcookie?name=      Set-Cookie: <name>=1 for the host (CORS with credentials)
//   /redir?status=&to=A|B&path=   a redirect to `path` on origin `to` of the same pair
//   /target?key=&end=     logs the request (and answers a CORS preflight, logged too): CORS
//                         echoing the Origin, with credentials; `retry: 50`, `data: hit <n>`;
//                         with end=1 the body ends there (the source reconnects)
// Every SSE answer allows any origin (CORS `*`) unless said otherwise.

import http from 'node:http';
import { readStatic } from '../static.mjs';
import { scaled } from '../runner.mjs';

export const CSP = {
  strict: "script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'",
  nowasm: "script-src 'self'; object-src 'none'; base-uri 'none'",
};
export const MiB = 1024 * 1024;
const HUGE_LIMIT = 200 * MiB;
const SSE = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' };

export async function startServer() {
  const streams = new Map(); // key -> { bytes, cuts }
  const huge = new Map(); // run -> record
  const logs = new Map(); // key -> [request records]
  const waiters = new Set();
  const listeners = [];
  const changed = () => {
    for (const w of [...waiters])
      if (w.test()) {
        waiters.delete(w);
        w.resolve(true);
      }
  };
  /** Resolves true once test() holds, false after `ms` (on a quiet machine: scaled to this one). */
  const waitFor = (test, ms) => {
    if (test()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        test,
        resolve: (v) => {
          clearTimeout(t);
          resolve(v);
        },
      };
      const t = setTimeout(() => {
        waiters.delete(w);
        resolve(false);
      }, scaled(ms));
      waiters.add(w);
    });
  };
  const log = (key) => {
    if (!logs.has(key)) logs.set(key, []);
    return logs.get(key);
  };

  function record(req, listener, body) {
    return {
      server: listener.name,
      method: req.method,
      url: req.url,
      headers: { ...req.headers },
      body: body?.length ? body.toString('utf8') : null,
    };
  }
  const readBody = (req) =>
    new Promise((resolve) => {
      const parts = [];
      req.on('data', (c) => parts.push(c));
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('error', () => resolve(null));
    });
  const corsCredentials = (req) => ({
    'Access-Control-Allow-Origin': req.headers.origin ?? '*',
    'Access-Control-Allow-Credentials': 'true',
    Vary: 'Origin',
  });

  async function serveStatic(req, res, url) {
    const found = await readStatic(url.pathname);
    if (found.status !== 200) {
      res.writeHead(found.status).end();
      return;
    }
    const headers = { 'Content-Type': found.type, 'Cache-Control': 'no-store' };
    const csp = CSP[url.searchParams.get('csp')];
    if (csp) headers['Content-Security-Policy'] = csp;
    res.writeHead(200, headers);
    res.end(found.data);
  }

  async function serveHuge(req, res, url) {
    const run = url.searchParams.get('run') ?? '';
    const cap = Number(url.searchParams.get('cap') ?? HUGE_LIMIT);
    const rec = { sent: 0, end: null, closed: false };
    huge.set(run, rec);
    let closed = false;
    const gone = new Promise((r) =>
      res.once('close', () => {
        closed = true;
        rec.closed = true;
        rec.end ??= 'client closed the connection';
        changed();
        r();
      }),
    );
    res.writeHead(200, { ...SSE, 'Access-Control-Allow-Origin': '*' });
    res.write('data: ');
    rec.sent = 6;
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    while (!closed) {
      if (rec.sent >= HUGE_LIMIT) {
        rec.end = 'all 200 MiB sent';
        res.end();
        changed();
        return;
      }
      if (rec.sent >= cap) {
        rec.end = `stopped at the cap (${cap / MiB} MiB), response left open`;
        changed();
        return;
      }
      rec.sent += chunk.length;
      if (!res.write(chunk)) await Promise.race([new Promise((r) => res.once('drain', r)), gone]);
    }
  }

  async function handle(listener, req, res) {
    const url = new URL(req.url, listener.origin);
    const q = url.searchParams;
    const p = url.pathname;
    if (p.startsWith('/diff/')) {
      const s = streams.get(decodeURIComponent(p.slice(6)));
      if (!s) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { ...SSE, 'Access-Control-Allow-Origin': '*' });
      // The stream in a few writes, each in its own turn of the event loop.
      let at = 0;
      for (const cut of [...s.cuts, s.bytes.length]) {
        if (res.destroyed) return;
        if (cut > at) res.write(s.bytes.subarray(at, cut));
        at = cut;
        await new Promise((r) => setImmediate(r));
      }
      res.end();
      return;
    }
    if (p === '/huge') return serveHuge(req, res, url);
    if (p === '/alive' || p === '/basic') {
      res.writeHead(200, { ...SSE, 'Access-Control-Allow-Origin': '*' });
      res.write(p === '/alive' ? 'data: alive\n\n' : 'data: one\n\ndata: two\n\n');
      return; // stays open until the client goes
    }
    if (p === '/setcookie') {
      res.writeHead(200, {
        'Content-Type': 'text/plain',
        'Cache-Control': 'no-store',
        ...corsCredentials(req),
        'Set-Cookie': `${q.get('name')}=1; Path=/; SameSite=Lax`,
      });
      res.end('ok');
      return;
    }
    if (p === '/redir') {
      const body = await readBody(req);
      log(`redir:${q.get('key') ?? ''}`).push(record(req, listener, body));
      changed();
      res.writeHead(Number(q.get('status') ?? 302), {
        Location: `${listener.pair[q.get('to') === 'B' ? 'B' : 'A'].origin}${q.get('path')}`,
        'Cache-Control': 'no-store',
        ...corsCredentials(req),
      });
      res.end();
      return;
    }
    if (p === '/target') {
      const key = q.get('key') ?? '';
      if (req.method === 'OPTIONS') {
        log(`preflight:${key}`).push(record(req, listener, null));
        changed();
        res.writeHead(204, {
          ...corsCredentials(req),
          'Access-Control-Allow-Methods': req.headers['access-control-request-method'] ?? 'GET',
          'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '',
          'Access-Control-Max-Age': '0',
        });
        res.end();
        return;
      }
      const body = await readBody(req);
      const l = log(`target:${key}`);
      l.push(record(req, listener, body));
      changed();
      res.writeHead(200, { ...SSE, ...corsCredentials(req) });
      res.write(`retry: 50\ndata: hit ${l.length}\n\n`);
      if (q.get('end') === '1') res.end();
      return;
    }
    return serveStatic(req, res, url);
  }

  function listen(name, pair) {
    const server = http.createServer({ keepAliveTimeout: 2000 });
    const l = { name, pair, server, origin: '', sockets: new Set() };
    pair[name] = l;
    server.on('connection', (s) => {
      s.setNoDelay(true);
      l.sockets.add(s);
      s.on('close', () => l.sockets.delete(s));
    });
    server.on('request', (req, res) => {
      handle(l, req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.destroy();
      });
    });
    server.on('clientError', (err, s) => s.destroy());
    listeners.push(l);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        l.origin = `http://127.0.0.1:${server.address().port}`;
        resolve(l);
      });
    });
  }

  /** A new pair of origins { A, B } (new ports). */
  async function pair() {
    const p = {};
    await listen('A', p);
    await listen('B', p);
    return { A: p.A.origin, B: p.B.origin };
  }
  const first = await pair();
  return {
    A: first.A,
    B: first.B,
    pair,
    /** Stores a stream for /diff/<key>, written in pieces split at `cuts`. */
    putStream(key, bytes, cuts = []) {
      streams.set(key, { bytes, cuts });
    },
    dropStreams() {
      streams.clear();
    },
    /** The /huge record of a run: { sent, end, closed }; `settled` waits until it ended. */
    huge: (run) => huge.get(run),
    hugeSettled: (run, ms) => waitFor(() => huge.get(run)?.end != null, ms),
    hugeClosed: (run, ms) => waitFor(() => huge.get(run)?.closed, ms),
    /** Requests seen under a log key ('target:K', 'preflight:K', 'redir:K'). */
    log: (key) => logs.get(key) ?? [],
    waitLog: (key, n, ms) => waitFor(() => (logs.get(key)?.length ?? 0) >= n, ms),
    async close() {
      for (const w of waiters) w.resolve(false);
      waiters.clear();
      await Promise.all(
        listeners.map(
          (l) =>
            new Promise((resolve) => {
              l.server.close(() => resolve());
              l.server.closeAllConnections?.();
              for (const s of l.sockets) s.destroy();
            }),
        ),
      );
    },
  };
}
