#!/usr/bin/env node
// The eventsource-wasm demo server: plain Node.js 20, no dependencies.
//
//   node www/server.mjs            http://localhost:8080/ (listens on 127.0.0.1 only)
//   PORT=3000 HOST=0.0.0.0 node www/server.mjs   another port; reachable from the network
//
// It serves the page (www/) and the built package (dist/, under /dist/), and these
// Server-Sent Events streams and controls:
//
//   GET  /events?client=NAME   the room: a clock tick (plain `data:`) every second, and the
//                              chat room's events with ids (`connected`, `disconnected`, and
//                              messages as multi-line JSON); `retry: 1000`; a `:` comment
//                              heartbeat every 15 s. A reconnect carrying `Last-Event-ID`
//                              gets every room event it missed, replayed from the history.
//   GET  /burst?client=NAME    the throughput stream: idle until POST /control/burst.
//   POST /chat                 {"name": "...", "text": "..."} → broadcast; answers {"id": N}
//   POST /control/drop         ends every open stream (clients reconnect; nothing is lost)
//   POST /control/stop         new connections get 204 No Content (clients stop for good),
//                              and every open stream is ended so that they find out
//   POST /control/resume       new connections are served again
//   POST /control/burst        10,000 events (then `event: done`) to every /burst stream
//
// Exported: start({ port, host, quiet, heartbeatMs }) → Promise<{ url, port, close() }> for tests.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOTS = { www: HERE, dist: path.resolve(HERE, '..', 'dist') };

const RETRY_MS = 1000;
const HEARTBEAT_MS = 15000;
const HISTORY_MAX = 500; // room events kept for replay
const FIRST_CONNECT_REPLAY = 20; // what a new client (no Last-Event-ID) is shown
const MAX_STREAMS = 200; // concurrent SSE streams
const MAX_BODY = 4096; // bytes of a POST body
const BURST_EVENTS = 10000;
const MAX_BUFFERED = 1 << 20; // bytes queued for a room client that does not read: then it is cut off

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
};

/** One field per line; a value with line breaks becomes several lines of the same field. */
function frame({ id, event, data, retry }) {
  let out = '';
  if (retry !== undefined) out += `retry: ${retry}\n`;
  if (event) out += `event: ${event}\n`;
  if (id !== undefined) out += `id: ${id}\n`;
  if (data !== undefined) for (const line of String(data).split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

const cleanName = (s, max) =>
  String(s ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes.
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim()
    .slice(0, max);

export function start({ port = 8080, host = '127.0.0.1', quiet = false, heartbeatMs = HEARTBEAT_MS } = {}) {
  const log = quiet ? () => {} : (...a) => console.log(...a);
  let nextId = 1;
  const history = []; // { id, text } — the framed room events, oldest first
  const room = new Set(); // { res, client }
  const bursts = new Set();
  let refusing = false;
  let refused = 0; // streams answered 204

  /** Writes to a room stream; a client that stopped reading is cut off (it reconnects with Last-Event-ID). */
  function send(c, text) {
    if (c.res.writableLength > MAX_BUFFERED) c.res.destroy();
    else c.res.write(text);
  }

  function record(event, payload) {
    const id = nextId++;
    const text = frame({ id, event, data: JSON.stringify(payload, null, 2) });
    history.push({ id, text });
    if (history.length > HISTORY_MAX) history.splice(0, history.length - HISTORY_MAX);
    for (const c of room) send(c, text);
    return id;
  }

  function openStream(req, res) {
    if (refusing) {
      refused++;
      res.writeHead(204, { 'Cache-Control': 'no-cache' });
      res.end();
      return null;
    }
    if (room.size + bursts.size >= MAX_STREAMS) {
      res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '5' });
      res.end('too many streams\n');
      return null;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    req.socket.setNoDelay(true);
    res.write(`: welcome to the eventsource-wasm demo\nretry: ${RETRY_MS}\n\n`);
    return res;
  }

  function roomStream(req, res, url) {
    if (!openStream(req, res)) return;
    const client = cleanName(url.searchParams.get('client'), 40) || 'anonymous';
    const raw = req.headers['last-event-id'];
    const last = raw !== undefined && /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : null;
    let replay;
    if (last === null) replay = history.slice(-FIRST_CONNECT_REPLAY);
    else {
      replay = history.filter((e) => e.id > last);
      if (history.length && history[0].id > last + 1) res.write(`: history starts at ${history[0].id}; older events are gone\n\n`);
    }
    if (replay.length) res.write(replay.map((e) => e.text).join(''));
    const entry = { res, client };
    room.add(entry);
    record('connected', { client, resumedFrom: last, replayed: replay.length, clients: room.size });
    log(`+ ${client}${last !== null ? ` (Last-Event-ID: ${last}, replayed ${replay.length})` : ''}`);
    res.on('close', () => {
      if (!room.delete(entry)) return;
      record('disconnected', { client, clients: room.size });
      log(`- ${client}`);
    });
  }

  function burstStream(req, res) {
    if (!openStream(req, res)) return;
    bursts.add(res);
    res.on('close', () => bursts.delete(res));
  }

  function readJson(req) {
    return new Promise((resolve, reject) => {
      let size = 0;
      const chunks = [];
      req.on('data', (c) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c); // past the cap: read and discard, answer 413
      });
      req.on('end', () => {
        if (size > MAX_BODY) return reject(Object.assign(new Error('body too large'), { status: 413 }));
        if (!size) return resolve({});
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new Error('invalid JSON'));
        }
      });
      req.on('error', reject);
    });
  }

  const json = (res, status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  function endAll() {
    let n = 0;
    for (const c of [...room]) {
      c.res.end();
      n++;
    }
    for (const r of [...bursts]) {
      r.end();
      n++;
    }
    return n;
  }

  function burst() {
    const targets = [...bursts];
    const n = BURST_EVENTS;
    const STEP = 500;
    let i = 0;
    const pump = () => {
      while (i < n) {
        let chunk = '';
        const end = Math.min(n, i + STEP);
        for (; i < end; i++) chunk += `id: b${i + 1}\ndata: ${i + 1}\n\n`;
        let full = false;
        for (const r of targets) if (!r.writableEnded && !r.write(chunk)) full = true;
        if (full) {
          const waiting = targets.filter((r) => !r.writableEnded && r.writableNeedDrain);
          let left = waiting.length;
          if (!left) continue;
          for (const r of waiting) {
            const go = () => {
              r.off('drain', go);
              r.off('close', go);
              if (--left === 0) pump();
            };
            r.on('drain', go);
            r.on('close', go);
          }
          return;
        }
      }
      for (const r of targets) if (!r.writableEnded) r.write(frame({ event: 'done', data: JSON.stringify({ events: n }) }));
    };
    pump();
    return targets.length;
  }

  function serveFile(res, root, rel, head) {
    const base = ROOTS[root];
    if (rel.includes('\0')) return json(res, 404, { error: 'not found' });
    const file = path.resolve(base, `.${path.posix.normalize(`/${rel}`)}`);
    if (file !== base && !file.startsWith(base + path.sep)) return json(res, 404, { error: 'not found' });
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) return json(res, 404, { error: 'not found' });
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': st.size,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:",
      });
      if (head) return res.end();
      fs.createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
    });
  }

  async function handle(req, res) {
    let url;
    try {
      url = new URL(req.url, 'http://demo.invalid');
    } catch {
      return json(res, 400, { error: 'bad URL' });
    }
    const p = url.pathname;
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (req.method === 'POST') {
      let body;
      try {
        body = await readJson(req);
      } catch (e) {
        return json(res, e.status ?? 400, { error: e.message });
      }
      if (p === '/chat') {
        const name = cleanName(body?.name, 40);
        const text = cleanName(body?.text, 500);
        if (!name || !text) return json(res, 400, { error: 'name and text are required' });
        return json(res, 200, { id: record('message', { name, text, at: new Date().toISOString() }) });
      }
      if (p === '/control/drop') return json(res, 200, { dropped: endAll() });
      if (p === '/control/stop') {
        refusing = true;
        return json(res, 200, { refusing, dropped: endAll() });
      }
      if (p === '/control/resume') {
        refusing = false;
        return json(res, 200, { refusing });
      }
      if (p === '/control/burst') return json(res, 200, { events: BURST_EVENTS, streams: burst() });
      return json(res, 404, { error: 'not found' });
    }
    if (!get) {
      res.setHeader('Allow', 'GET, HEAD, POST');
      return json(res, 405, { error: 'method not allowed' });
    }
    if (p === '/events') return roomStream(req, res, url);
    if (p === '/burst') return burstStream(req, res);
    if (p === '/status')
      return json(res, 200, { refusing, refused, streams: room.size, bursts: bursts.size, lastId: nextId - 1, history: history.length });
    if (p === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    if (p.startsWith('/dist/')) return serveFile(res, 'dist', decodeURIComponentSafe(p.slice(6)), req.method === 'HEAD');
    if (p.endsWith('.mjs')) return json(res, 404, { error: 'not found' }); // not the server's own source
    return serveFile(res, 'www', decodeURIComponentSafe(p === '/' ? 'index.html' : p.slice(1)), req.method === 'HEAD');
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      log(`error: ${e.stack ?? e}`);
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    else socket.destroy();
  });
  server.keepAliveTimeout = 5000;

  const clock = setInterval(() => {
    const text = frame({ data: new Date().toISOString() });
    for (const c of room) send(c, text);
  }, 1000);
  const heartbeat = setInterval(() => {
    for (const c of room) send(c, ': heartbeat\n\n');
    for (const r of bursts) r.write(': heartbeat\n\n');
  }, heartbeatMs);

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      const shown = host === '127.0.0.1' || host === '0.0.0.0' || host === '::' || host === 'localhost' ? 'localhost' : host;
      const url = `http://${shown}:${actual}/`;
      let closing;
      const close = () =>
        (closing ??= new Promise((done) => {
          clearInterval(clock);
          clearInterval(heartbeat);
          room.clear(); // no `disconnected` broadcasts while shutting down
          for (const r of bursts) r.end();
          bursts.clear();
          server.close(() => done());
          server.closeAllConnections();
        }));
      resolve({ url, port: actual, host, close });
    });
  });
}

function decodeURIComponentSafe(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return '\u0000';
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = process.env.PORT === undefined || process.env.PORT === '' ? 8080 : Number(process.env.PORT);
  const host = process.env.HOST || '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`bad PORT: ${process.env.PORT}`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(ROOTS.dist, 'index.js')))
    console.warn('warning: dist/index.js is missing; build it first (bash scripts/build.sh)');
  const demo = await start({ port, host });
  console.log(`Demo: ${demo.url}`);
  console.log(
    `(listening on ${host}:${demo.port}${host === '127.0.0.1' ? ', this machine only; HOST=0.0.0.0 to open it to the network' : ''}; Ctrl+C stops)`,
  );
  const stop = (sig) => {
    console.log(`\n${sig}: closing every stream and stopping`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
