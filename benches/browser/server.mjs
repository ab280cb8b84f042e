// The browser benchmark's loopback server: plain node:http (HTTP/1.1) on 127.0.0.1.
//
//   const server = await startServer({ divisor, peersDir });
//   server.origin; server.bytes.small; await server.idle(); await server.close();
//
//   /sse/<workload>      the workload's stream (workloads.mjs), its bytes computed once at
//                        start and written as fast as the socket takes them: 64 KiB writes,
//                        the next one after 'drain' when the socket's buffer is full
//   /sse/cold            one event (`data: cold`) at once
//   /sse/latency?events=N   N events at a steady 1,000 per second, each `data: <t> <d>`: t the
//                        server's clock (performance.timeOrigin + performance.now(), ms) and d
//                        its Date.now(), read just before the event is written
//   /clock               { t, d }: the same two clocks, for the page to estimate the offset
//                        between its clock and the server's (see page.mjs)
//   /peers/<name>.js     the bundled npm peers (implementations.mjs)
//   anything else        the repository's files (tests/static.mjs)
// Every answer is `Cache-Control: no-store`, and pages are cross-origin isolated
// (COOP + COEP), which gives them the browsers' finest timers.
//
// Every stream ends after its events: a client dispatches all of them before it sees the
// end (each reads and parses in order) and the page closes its source at the last one, so
// none reconnects; an ended response frees its connection at once, where one left open
// would hold it (Chromium drains a cancelled body for up to 5 s to reuse the connection).
//
// Run it alone to poke at it: `node benches/browser/server.mjs [divisor]` prints the page's URL.

import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { readStatic } from '../../tests/static.mjs';
import { WORKLOADS, workload } from './workloads.mjs';

const CHUNK = 64 * 1024;
const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' };
const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const clock = () => performance.timeOrigin + performance.now();

export async function startServer({ divisor = 1, peersDir = null } = {}) {
  const streams = new Map(WORKLOADS.map((name) => [name, Buffer.from(workload(name, divisor).text(), 'utf8')]));
  const open = new Set(); // SSE responses not yet closed
  const idleWaiters = new Set();
  const sockets = new Set();
  let closing = false;

  const track = (res) => {
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!open.size) for (const w of idleWaiters) w();
    });
  };

  /** Resolves at the response's next 'drain' or 'close', whichever comes first. */
  const drained = (res) =>
    new Promise((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });

  /** Writes `buf` as fast as the socket takes it; stops if the client goes away. */
  async function pump(res, buf) {
    for (let at = 0; at < buf.length; at += CHUNK) {
      if (res.destroyed || closing) return;
      if (!res.write(buf.subarray(at, at + CHUNK))) await drained(res);
    }
  }

  /** `events` events at 1,000 per second: each one is due 1 ms after the previous; a late
   *  timer sends every event that is due, each stamped as it is written. */
  async function steady(res, events) {
    const start = performance.now();
    let sent = 0;
    while (sent < events && !res.destroyed && !closing) {
      const due = Math.min(events, Math.floor(performance.now() - start) + 1);
      for (; sent < due; sent++) res.write(`id: ${sent}\ndata: ${clock()} ${Date.now()}\n\n`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://localhost');
    const p = url.pathname;
    if (p.startsWith('/sse/')) {
      const name = p.slice(5);
      if (!streams.has(name) && name !== 'cold' && name !== 'latency') {
        res.writeHead(404, { 'Cache-Control': 'no-store' });
        return res.end();
      }
      track(res);
      res.writeHead(200, SSE_HEADERS);
      res.flushHeaders();
      if (name === 'cold') res.write('data: cold\n\n');
      else if (name === 'latency') await steady(res, Number(url.searchParams.get('events') ?? 1000));
      else await pump(res, streams.get(name));
      if (!res.destroyed) res.end();
      return;
    }
    if (p === '/clock') {
      const body = JSON.stringify({ t: clock(), d: Date.now() });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      return res.end(body);
    }
    if (p.startsWith('/peers/') && peersDir) {
      try {
        const data = await fs.readFile(path.join(peersDir, path.basename(p)));
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
        return res.end(data);
      } catch {
        res.writeHead(404, { 'Cache-Control': 'no-store' });
        return res.end();
      }
    }
    const found = await readStatic(p);
    if (found.status !== 200) {
      res.writeHead(found.status, { 'Cache-Control': 'no-store' });
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': found.type, 'Cache-Control': 'no-store', ...ISOLATED });
    res.end(found.data);
  }

  const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    handle(req, res).catch((err) => {
      console.error('bench server:', err);
      res.destroy();
    });
  });
  server.on('connection', (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (err, s) => s.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    /** The size in bytes of each workload's stream. */
    bytes: Object.fromEntries([...streams].map(([name, buf]) => [name, buf.length])),
    /** How many SSE responses are still open. */
    get openStreams() {
      return open.size;
    },
    /** Resolves true once every SSE response is closed, false after `ms`. */
    idle(ms = 5000) {
      if (!open.size) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (v) => {
          clearTimeout(timer);
          idleWaiters.delete(w);
          resolve(v);
        };
        const w = () => done(true);
        const timer = setTimeout(() => done(false), ms);
        idleWaiters.add(w);
      });
    },
    async close() {
      closing = true;
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const os = await import('node:os');
  const { bundlePeers } = await import('./implementations.mjs');
  const peersDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-peers-'));
  await bundlePeers(peersDir);
  const s = await startServer({ divisor: Number(process.argv[2] ?? 1), peersDir });
  console.log(`page: ${s.origin}/benches/browser/page.html\nCtrl-C to stop`);
  const stop = async () => {
    await s.close();
    await fs.rm(peersDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
