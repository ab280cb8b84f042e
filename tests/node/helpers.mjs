// Shared helpers for the Node.js tests: a scriptable SSE server on
// 127.0.0.1 (ephemeral port) and promise-based waits on events.
//
//   const server = await startServer();
//   server.route('/path', (req, res, n) => { ... });   // n: 1 for the first request to /path
//   new EventSource(server.url('/path'));
//   await server.waitFor('/path', 2);                    // resolves when 2 requests came
//   await server.requests('/path')[0].closed;            // the client went away
//   const { method, time } = server.requests('/path')[0]; // time: performance.now() at arrival
//   await server.requests('/path')[0].body;              // the request body, a Buffer
//   await server.close();
//
// Nothing here sleeps to synchronise: every wait resolves on an event and is
// bounded by the `timeout` given to each test.

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { after, before } from 'node:test';
import { scaled } from '../runner.mjs';

export { scaled };

export const SSE = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' };

/** Starts a server; `port` reuses a port (to bring a stopped server back). */
export async function startServer({ port = 0 } = {}) {
  const routes = new Map(); // path -> handler(req, res, n)
  const seen = new Map(); // path -> [{ req, res, headers, rawHeaders, closed }]
  const waiters = new Set();
  const sockets = new Set();

  const handler = (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const list = seen.get(path) ?? [];
    seen.set(path, list);
    const record = {
      req,
      res,
      url: req.url,
      method: req.method,
      // When the request arrived (performance.now()), to measure reconnection gaps.
      time: performance.now(),
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      // Resolves when the client closed the connection (or the response ended).
      closed: new Promise((resolve) => res.on('close', resolve)),
      // Resolves with the request body (a Buffer, empty for none) once it is
      // read, or with what came when the connection went away first.
      body: new Promise((resolve) => {
        const chunks = [];
        req.on('data', (chunk) => chunks.push(chunk));
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('close', () => resolve(Buffer.concat(chunks)));
      }),
    };
    list.push(record);
    for (const w of [...waiters])
      if (w.test()) {
        waiters.delete(w);
        w.resolve();
      }
    const route = routes.get(path);
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no route');
      return;
    }
    route(req, res, list.length);
  };

  let server;
  const listen = (p) =>
    new Promise((resolve, reject) => {
      server = http.createServer(handler);
      server.keepAliveTimeout = 100;
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve(server.address().port));
    });
  const actualPort = await listen(port);
  const origin = `http://127.0.0.1:${actualPort}`;

  const api = {
    port: actualPort,
    origin,
    url: (path) => origin + path,
    route(path, fn) {
      routes.set(path, fn);
      return api;
    },
    /** The requests seen on `path` so far. */
    requests: (path) => seen.get(path) ?? [],
    /** Resolves with the requests once `count` requests to `path` came. */
    waitFor(path, count = 1) {
      return new Promise((resolve) => {
        const w = { test: () => api.requests(path).length >= count, resolve: () => resolve(api.requests(path)) };
        if (w.test()) w.resolve();
        else waiters.add(w);
      });
    },
    /** Stops listening and drops every connection (the client sees a reset or EOF). */
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}

/**
 * The server of a test file: started before its tests, closed after them.
 * Until it has started, the returned object has nothing on it.
 *
 *   const server = fileServer();
 *   test('…', () => { server.route('/x', …); new EventSource(server.url('/x')); });
 */
export function fileServer() {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());
  return new Proxy({}, { get: (_, key) => server?.[key] });
}

/** Resolves with the next event of `type` dispatched on `target`. */
export function once(target, type) {
  return new Promise((resolve) => target.addEventListener(type, resolve, { once: true }));
}

/**
 * Records every open/message/error (and the named `types`) on `source`, and
 * lets a test wait until a predicate on the record holds.
 *
 *   const log = record(es, ['greet']);
 *   await log.until((l) => l.messages.length === 2);
 */
export function record(source, types = []) {
  const log = { all: [], messages: [], errors: [], opens: [], waiters: new Set() };
  const push = (event) => {
    const entry = { type: event.type, event, readyState: source.readyState };
    log.all.push(entry);
    if (event.type === 'open') log.opens.push(entry);
    else if (event.type === 'error') log.errors.push(entry);
    else log.messages.push(event);
    for (const w of [...log.waiters])
      if (w.test(log)) {
        log.waiters.delete(w);
        w.resolve(log);
      }
  };
  for (const type of ['open', 'message', 'error', ...types]) source.addEventListener(type, push);
  log.until = (test) =>
    new Promise((resolve) => {
      if (test(log)) resolve(log);
      else log.waiters.add({ test, resolve });
    });
  return log;
}

/** A promise that resolves after the event loop has run its pending I/O callbacks once more. */
export const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A short, bounded wait used only to check that something does NOT happen
 * (no further request, no further event): never to wait for something.
 */
export const quiet = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Per-test timeout (ms): every test here finishes well within it on a quiet machine; scaled
 *  to this one (TEST_TIME_SCALE, tests/runner.mjs). */
export const TIMEOUT = scaled(10_000);

/** `open(url, init)` for a test file: a new `EventSourceClass`, closed after the file's tests. */
export function opener(EventSourceClass) {
  const sources = new Set();
  after(() => {
    for (const es of sources) es.close();
  });
  return (url, init) => {
    const es = new EventSourceClass(url, init);
    sources.add(es);
    return es;
  };
}
