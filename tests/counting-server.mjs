// The loopback server of tests/soak/ and tests/many/: static files from the repository root
// and two SSE endpoints, over HTTP/1.1 (node:http) or HTTP/2 with TLS (node:http2, a
// certificate the caller provides), counting what it sees.
//
//   const s = await startServer();                      // http://127.0.0.1:<port>
//   const s = await startServer({ tls: { key, cert } }); // https://127.0.0.1:<port>, h2 only
//   await s.waitFor(() => s.group('g').requests >= 6);   // event-driven, bounded
//   await s.close();
//
//   /sse/hold?g=<group>&n=<k>   200 text/event-stream, `id: k` + `data: hello k` at once,
//                               then open until the client goes away
//   /sse/once?g=<group>         200 text/event-stream, `retry: 0` + `id: <count>` +
//                               `data: <count>`, then the response ends (a reconnection)
//   anything else (GET)         a file under the repository root; with ?g=<group>, counted
//                               as a request of that group (to see when a page's request
//                               reached the server)
//
// Counters: per group, requests seen and responses still open; overall, SSE requests seen
// and responses still open, TCP connections open (HTTP/1.1), HTTP/2 sessions and streams seen.

import http from 'node:http';
import http2 from 'node:http2';
import { readStatic } from './static.mjs';
import { scaled } from './runner.mjs';

const SSE = { 'content-type': 'text/event-stream', 'cache-control': 'no-store' };

export async function startServer({ tls = null } = {}) {
  const groups = new Map(); // name -> { requests, open }
  const waiters = new Set();
  const sockets = new Set();
  const sessions = new Set();
  const stats = { sseSeen: 0, sseOpen: 0, sessionsSeen: 0, streamsSeen: 0, connectionsSeen: 0 };
  let closing = false;

  const group = (name) => {
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { requests: 0, open: 0 }));
    return g;
  };
  const changed = () => {
    for (const w of [...waiters])
      if (w.test()) {
        waiters.delete(w);
        w.done(true);
      }
  };

  async function handle(req, res) {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/sse/hold' || url.pathname === '/sse/once') {
      const g = group(url.searchParams.get('g') ?? '');
      const n = g.requests++;
      stats.sseSeen++;
      g.open++;
      stats.sseOpen++;
      res.on('close', () => {
        g.open--;
        stats.sseOpen--;
        changed();
      });
      changed();
      if (closing) return res.destroy();
      res.writeHead(200, SSE);
      if (url.pathname === '/sse/once') {
        res.end(`retry: 0\nid: ${n}\ndata: ${n}\n\n`);
      } else {
        const k = url.searchParams.get('n') ?? n;
        res.write(`id: ${k}\ndata: hello ${k}\n\n`);
      }
      return;
    }
    if (url.searchParams.has('g')) {
      group(url.searchParams.get('g')).requests++;
      changed();
    }
    const found = await readStatic(url.pathname);
    if (found.status !== 200) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    res.writeHead(200, { 'content-type': found.type, 'cache-control': 'no-store' });
    res.end(found.data);
  }

  let server;
  if (tls) {
    // HTTP/2 only (no HTTP/1.1 fallback): what the browsers negotiate is what we count.
    server = http2.createSecureServer({ ...tls, allowHTTP1: false, settings: { maxConcurrentStreams: 1000 } });
    server.on('session', (session) => {
      stats.sessionsSeen++;
      sessions.add(session);
      session.on('close', () => {
        sessions.delete(session);
        changed();
      });
      changed();
    });
    server.on('stream', () => {
      stats.streamsSeen++;
    });
  } else {
    server = http.createServer({ keepAliveTimeout: 2000 });
  }
  server.on('connection', (socket) => {
    stats.connectionsSeen++;
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      changed();
    });
    changed();
  });
  server.on('request', (req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    group,
    stats,
    /** TCP connections open now (HTTP/1.1: one per request in flight or kept alive; HTTP/2: one per session). */
    get sockets() {
      return sockets.size;
    },
    get sessions() {
      return sessions.size;
    },
    /** Resolves true once `test()` holds (checked at every change), false after `ms` (on a
     *  quiet machine: scaled to this one). */
    waitFor(test, ms = 15000) {
      if (test()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          resolve(false);
        }, scaled(ms));
        const w = {
          test,
          done: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
        };
        waiters.add(w);
      });
    },
    async close() {
      closing = true;
      for (const w of [...waiters]) {
        waiters.delete(w);
        w.done(false);
      }
      for (const s of sessions) s.destroy();
      server.closeAllConnections?.();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
