// Fixture server for the end-to-end tests: plain node:http, no framework.
//
//   const { originA, originB, close } = await startServers();
//
// Two listeners on 127.0.0.1 (ephemeral ports) share one request handler and one state:
//   /sse/<scenario>?run=<id>   scripted SSE endpoints (scenarios.mjs)
//   /log?scenario=&run=        JSON: { count, requests: [...], preflights: [...] }; a request
//                              records its method, headers, body (UTF-8 and hex) and arrival
//                              time `t` (Date.now(), before its body was read)
//   /ctl/wait?scenario=&run=&count=N      long-poll until N connections have been seen
//   /ctl/wait-closed?scenario=&run=&n=K   long-poll until connection K has closed
//   /ctl/signal?run=&name=                release a `{ signal: name }` chunk
//   /ctl/flaky?run=&op=open|reopen        a third listener (origin C) that a scenario can
//                                         close (`after: 'close-listener'`); reopen listens
//                                         again on the same port
//   /ctl/setcookie?name=&value=           Set-Cookie for the host, CORS with credentials
//   /ctl/deadport                         { origin }: a port that was just listened on and
//                                         closed again (connection refused)
//   anything else                         static files from the repository root
// Every /log and /ctl answer carries `Access-Control-Allow-Origin: *`.
//
// Run it alone to poke at it: `node tests/e2e/server.mjs` prints the origins.

import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarios } from './scenarios.mjs';
import { readStatic } from '../static.mjs';

const LONG_POLL_MS = 20000;

export async function startServers({ quiet = true } = {}) {
  const state = new Map(); // `${scenario}|${run}` -> { count, requests, preflights }
  const waiters = new Set(); // { test(): bool, resolve() }
  const signals = new Map(); // `${run}|${name}` -> { fired, promise, resolve }
  const listeners = []; // { name, server, sockets, origin }
  const flaky = new Map(); // run -> listener
  const timers = new Set();
  let closed = false;

  const entry = (scenario, run) => {
    const key = `${scenario}|${run}`;
    let e = state.get(key);
    if (!e) state.set(key, (e = { count: 0, requests: [], preflights: [] }));
    return e;
  };
  const changed = () => {
    for (const w of [...waiters])
      if (w.test()) {
        waiters.delete(w);
        w.resolve(true);
      }
  };
  const waitUntil = (test, ms = LONG_POLL_MS) => {
    if (test()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = { test, resolve };
      waiters.add(w);
      const t = setTimeout(() => {
        timers.delete(t);
        waiters.delete(w);
        resolve(false);
      }, ms);
      timers.add(t);
      w.resolve = (v) => {
        clearTimeout(t);
        timers.delete(t);
        resolve(v);
      };
    });
  };
  const signal = (run, name) => {
    const key = `${run}|${name}`;
    let s = signals.get(key);
    if (!s) {
      let resolve;
      const promise = new Promise((r) => (resolve = r));
      signals.set(key, (s = { promise, resolve }));
    }
    return s;
  };
  const pause = (ms) =>
    new Promise((r) => {
      const t = setTimeout(() => {
        timers.delete(t);
        r();
      }, ms);
      timers.add(t);
    });

  const originOf = (name) => listeners.find((l) => l.name === name)?.origin;
  const nameOfHost = (host) => listeners.find((l) => l.origin === `http://${host}`)?.name ?? '?';

  function json(res, status, body, extra = {}) {
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'Access-Control-Allow-Origin': '*',
      ...extra,
    });
    res.end(JSON.stringify(body));
  }

  function corsHeaders(cors, req) {
    const origin = req.headers.origin;
    if (cors === '*') return { 'Access-Control-Allow-Origin': '*' };
    if (cors === 'origin') return { 'Access-Control-Allow-Origin': origin ?? 'null', Vary: 'Origin' };
    if (cors === 'credentials') {
      return {
        'Access-Control-Allow-Origin': origin ?? 'null',
        'Access-Control-Allow-Credentials': 'true',
        Vary: 'Origin',
      };
    }
    return {};
  }

  function pickResponse(sc, n, lastEventId) {
    if (sc.byLastEventId && Object.hasOwn(sc.byLastEventId, lastEventId ?? '')) {
      return sc.byLastEventId[lastEventId ?? ''];
    }
    return sc.responses[Math.min(n, sc.responses.length - 1)];
  }

  function headerRecord(req) {
    const h = {};
    for (const [k, v] of Object.entries(req.headers)) h[k] = Array.isArray(v) ? v.join(', ') : v;
    // Node decodes header bytes as latin1: recover the bytes and decode them as UTF-8.
    const raw = req.headers['last-event-id'];
    const lastEventId = raw === undefined ? null : Buffer.from(raw, 'latin1').toString('utf8');
    return {
      lastEventId,
      lastEventIdHex: raw === undefined ? null : Buffer.from(raw, 'latin1').toString('hex'),
      headers: h,
    };
  }

  async function serveScenario(req, res, listener, name, url) {
    const sc = scenarios[name];
    const run = url.searchParams.get('run') ?? '';
    if (!sc) return json(res, 404, { error: `no scenario ${name}` });
    const e = entry(name, run);

    if (req.method === 'OPTIONS') {
      // CORS preflight (e.g. for Last-Event-ID cross-origin): answer for the response
      // the next GET will get.
      const next = pickResponse(sc, e.count, undefined);
      e.preflights.push({ server: listener.name, ...headerRecord(req), t: Date.now() });
      if (sc.refusePreflight) {
        res.writeHead(403, { 'Cache-Control': 'no-store' });
        res.end();
        changed();
        return;
      }
      res.writeHead(204, {
        ...corsHeaders(next.cors, req),
        'Access-Control-Allow-Methods': req.headers['access-control-request-method'] ?? 'GET',
        'Access-Control-Allow-Headers': sc.allowHeaders ?? req.headers['access-control-request-headers'] ?? '',
        'Access-Control-Max-Age': '0',
      });
      res.end();
      changed();
      return;
    }

    const t = Date.now();
    const body = await readBody(req);
    if (body === null) return; // the client went away while sending it
    // A scenario scripts the answers to the attempts of a source. The `no-cors` probe that
    // our class sends after a failed fetch (to tell a CORS failure from a network error:
    // docs/design.md) is no attempt: it gets the answer the next attempt would get, and
    // takes no turn. (Counted, it took one of `reset-then-serve`'s two resets whenever
    // WebKit did not retry the reset request by itself, and that test failed now and then.)
    const probe = req.headers['sec-fetch-mode'] === 'no-cors';
    const n = probe ? e.count : e.count++;
    const rec = {
      n,
      method: req.method,
      server: listener.name,
      url: req.url,
      ...headerRecord(req),
      body: body.length ? body.toString('utf8') : null,
      bodyHex: body.length ? body.toString('hex') : null,
      t,
      closed: null,
    };
    e.requests.push(rec);
    res.on('close', () => {
      rec.closed = res.writableFinished ? 'finished' : 'aborted';
      rec.closedAt = Date.now();
      changed();
    });
    changed();

    const r = pickResponse(sc, n, rec.lastEventId);
    if (r.destroy) {
      req.socket.destroy();
      return;
    }
    if (r.headersNever) return; // pending until the client goes away (or close())

    const headers = { 'Cache-Control': 'no-store', ...corsHeaders(r.cors, req), ...(r.headers ?? {}) };
    if (r.setCookie) headers['Set-Cookie'] = r.setCookie.replaceAll('{run}', run);
    if (r.redirect) {
      const { status, to } = r.redirect;
      if (to) {
        const origin = to.origin === 'same' ? listener.origin : originOf(to.origin);
        headers.Location = `${origin}/sse/${to.scenario}?run=${encodeURIComponent(run)}`;
      }
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const type = r.type === undefined ? 'text/event-stream' : r.type;
    if (type !== null) headers['Content-Type'] = type;
    // A 205 has no content. Node frames it as chunked with an empty last chunk ("0\r\n\r\n",
    // which RFC 9110 allows), but Chromium reads no body after a 205 and leaves those bytes
    // on the kept-alive socket, where they corrupt the next response sent on it
    // (ERR_INVALID_HTTP_RESPONSE, a network error for whichever request comes next, native
    // or ours): say Content-Length: 0 instead, which every browser reads alike.
    if (r.status === 205) headers['Content-Length'] = '0';
    res.writeHead(r.status ?? 200, headers);
    res.flushHeaders();

    const chunks = typeof r.chunks === 'function' ? r.chunks(url.searchParams, rec) : (r.chunks ?? []);
    const pauseMs = r.pauseMs ?? 3;
    for (let i = 0; i < chunks.length; i++) {
      if (res.destroyed || closed) return;
      const c = chunks[i];
      if (c && typeof c === 'object' && 'signal' in c) {
        await Promise.race([signal(run, c.signal).promise, new Promise((r2) => res.once('close', r2))]);
        continue;
      }
      if (i > 0) await pause(pauseMs);
      if (res.destroyed || closed) return;
      res.write(typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    }
    if (res.destroyed || closed) return;
    // Default: a 200 stays open; any other status is finished (a client may reuse the
    // connection at once, e.g. after a 204, which has no body).
    const end = r.end ?? ((r.status ?? 200) === 200 ? 'hang' : 'end');
    if (end === 'end') {
      res.end();
      if (r.after === 'close-listener') {
        res.once('finish', () => setImmediate(() => closeListener(listener)));
      }
    } else if (end === 'destroy') {
      await pause(pauseMs);
      res.socket?.destroy();
    } else if (end === 'reset') {
      await pause(pauseMs);
      res.socket?.resetAndDestroy();
    }
  }

  /** The request body as a Buffer (empty without one); null if the request was aborted. */
  function readBody(req) {
    return new Promise((resolve) => {
      const parts = [];
      req.on('data', (c) => parts.push(c));
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('aborted', () => resolve(null));
      req.on('error', () => resolve(null));
    });
  }

  async function serveStatic(req, res, url) {
    const found = await readStatic(url.pathname);
    if (found.status !== 200) return json(res, found.status, { error: `${found.status}: ${url.pathname}` });
    res.writeHead(200, { 'Content-Type': found.type, 'Cache-Control': 'no-store', 'Content-Length': found.data.length });
    res.end(req.method === 'HEAD' ? undefined : found.data);
  }

  async function handle(listener, req, res) {
    const url = new URL(req.url, listener.origin);
    const p = url.pathname;
    const q = url.searchParams;
    try {
      if (p.startsWith('/sse/')) return await serveScenario(req, res, listener, p.slice(5), url);
      if (p === '/log') {
        const e = entry(q.get('scenario'), q.get('run') ?? '');
        return json(res, 200, e);
      }
      if (p === '/ctl/wait') {
        const e = entry(q.get('scenario'), q.get('run') ?? '');
        const want = Number(q.get('count') ?? 1);
        const ok = await waitUntil(() => e.count >= want, Number(q.get('timeout') ?? LONG_POLL_MS));
        return json(res, 200, { ok, ...e });
      }
      if (p === '/ctl/wait-closed') {
        const e = entry(q.get('scenario'), q.get('run') ?? '');
        const n = Number(q.get('n') ?? 0);
        const ok = await waitUntil(() => e.requests[n]?.closed != null, Number(q.get('timeout') ?? LONG_POLL_MS));
        return json(res, 200, { ok, ...e });
      }
      if (p === '/ctl/signal') {
        signal(q.get('run') ?? '', q.get('name')).resolve();
        return json(res, 200, { ok: true });
      }
      if (p === '/ctl/flaky') {
        const run = q.get('run') ?? '';
        const op = q.get('op');
        let l = flaky.get(run);
        if (op === 'open' && !l) {
          l = await listen('C', 0);
          flaky.set(run, l);
        } else if (op === 'reopen' && l && !l.server.listening) {
          await relisten(l);
        }
        return json(res, l ? 200 : 404, { origin: l?.origin ?? null, listening: !!l?.server.listening });
      }
      if (p === '/ctl/setcookie') {
        const origin = req.headers.origin;
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Cache-Control': 'no-store',
          'Set-Cookie': `${q.get('name')}=${q.get('value') ?? '1'}; Path=/; SameSite=Lax`,
          ...(origin ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } : {}),
        });
        return res.end('{"ok":true}');
      }
      if (p === '/ctl/deadport') {
        const s = http.createServer();
        await new Promise((r) => s.listen(0, '127.0.0.1', r));
        const { port } = s.address();
        await new Promise((r) => s.close(r));
        return json(res, 200, { origin: `http://127.0.0.1:${port}` });
      }
      return await serveStatic(req, res, url);
    } catch (err) {
      if (!quiet) console.error('fixture server:', err);
      if (!res.headersSent) json(res, 500, { error: String(err) });
      else res.destroy();
    }
  }

  function attach(l) {
    l.server.on('connection', (s) => {
      s.setNoDelay(true);
      l.sockets.add(s);
      s.on('close', () => l.sockets.delete(s));
    });
    l.server.on('request', (req, res) => {
      handle(l, req, res);
    });
    l.server.on('clientError', (err, s) => s.destroy());
  }

  function listen(name, port) {
    const l = { name, server: http.createServer({ keepAliveTimeout: 2000 }), sockets: new Set(), origin: '' };
    attach(l);
    listeners.push(l);
    return new Promise((resolve, reject) => {
      l.server.once('error', reject);
      l.server.listen(port, '127.0.0.1', () => {
        l.server.off('error', reject);
        l.port = l.server.address().port;
        l.origin = `http://127.0.0.1:${l.port}`;
        resolve(l);
      });
    });
  }

  function relisten(l) {
    l.server = http.createServer({ keepAliveTimeout: 2000 });
    attach(l);
    return new Promise((resolve, reject) => {
      l.server.once('error', reject);
      l.server.listen(l.port, '127.0.0.1', () => {
        l.server.off('error', reject);
        resolve(l);
      });
    });
  }

  function closeListener(l) {
    return new Promise((resolve) => {
      if (!l.server.listening) return resolve();
      l.server.close(() => resolve());
      for (const s of l.sockets) s.destroy();
    });
  }

  const a = await listen('A', 0);
  const b = await listen('B', 0);

  return {
    originA: a.origin,
    originB: b.origin,
    /** Which listener an origin belongs to ('A', 'B', 'C'), for logs. */
    nameOf: (origin) => nameOfHost(origin.replace(/^http:\/\//, '')),
    async close() {
      closed = true;
      for (const w of waiters) w.resolve(false);
      waiters.clear();
      for (const s of signals.values()) s.resolve();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all(
        listeners.map((l) => {
          l.server.closeAllConnections?.();
          return closeListener(l);
        }),
      );
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const s = await startServers({ quiet: false });
  console.log(`origin A: ${s.originA}\norigin B: ${s.originB}\npage: ${s.originA}/tests/e2e/page.html\nCtrl-C to stop`);
  const stop = async () => {
    await s.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
