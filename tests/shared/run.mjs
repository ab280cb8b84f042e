#!/usr/bin/env node
// Sharing one connection across tabs (README, "One connection for every tab"), in headless
// Chromium and Firefox (puppeteer-core, ../browsers.mjs: nothing is downloaded), against
// an HTTP/1.1 server on 127.0.0.1 that counts the connections of each stream.
//
//   node tests/shared/run.mjs                     both browsers (dist/ must be built)
//   node tests/shared/run.mjs --browser=firefox   one
//   env: SHARED_TIMEOUT_MS (whole run, default 240000), TEST_TIME_SCALE (tests/runner.mjs)
//
// Eight pages of one origin: without `shared`, six connect and the seventh waits for a
// free connection; with it, all eight (and a frame, a worker and the classic script of one
// of them) receive every event over one connection. Then, with a steady stream (an event
// every TICK_MS, ids 1, 2, 3 …): a drop; hand-overs (the holding page closed, the holder's
// last source closed, the holding page frozen and resumed in Chromium, a holding worker
// terminated without a goodbye); close() in one page leaves the others running; the last
// close() ends the connection; a 204 fails every source at once. After each,
// every page must have every id exactly once, in order. The server knows which page holds
// the connection by the Referer (page.html?n=K).
//
// One line per check, then `N passed, N failed`; exit code 1 on any failure.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { launch } from '../browsers.mjs';
import { ROOT, readStatic } from '../static.mjs';
import { bookkeeping, scaled, withTimeout } from '../runner.mjs';

const TICK_MS = 20;
const WAIT_MS = 15000; // one wait in a page or at the server, on a quiet machine (withTimeout scales it)
const HANDOVER_MS = scaled(1500); // "within about a second", with room for a loaded machine
const args = process.argv.slice(2);
const wanted = args.filter((a) => a.startsWith('--browser=')).flatMap((a) => a.slice(10).split(','));
const BROWSERS = wanted.length ? wanted : ['chromium', 'firefox'];

// One check: attempt(name, fn); a failure is recorded and the run goes on.
const { attempt, check, cleanups, finish } = bookkeeping(Number(process.env.SHARED_TIMEOUT_MS ?? 240000));
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ---- the server ---------------------------------------------------------------------

/**
 * Static files from the repository root, and /stream?s=NAME: a steady stream per NAME
 * (once started), an event every TICK_MS with ids 1, 2, 3 … (every fifth named `named`);
 * a request with Last-Event-ID gets the events after it first. Every connection is kept:
 * { at, lastEventId, page (from the Referer), open, closedAt }. `drop()` ends the open ones;
 * with `refuse`, requests get 204.
 */
function startServer() {
  const streams = new Map();
  const waiters = new Set();
  const changed = () => {
    for (const w of [...waiters])
      if (w.test()) {
        waiters.delete(w);
        w.resolve();
      }
  };
  const stream = (name) => {
    let s = streams.get(name);
    if (!s) {
      s = { next: 1, history: [], connections: [], timer: null };
      s.start = () => {
        s.timer ??= setInterval(() => {
          const id = s.next++;
          s.history[id] = `${id % 5 ? '' : 'event: named\n'}id: ${id}\ndata: tick ${id}\n\n`;
          for (const c of s.connections) if (c.open) c.res.write(s.history[id]);
          changed();
        }, TICK_MS);
      };
      s.stop = () => {
        clearInterval(s.timer);
        s.timer = null;
      };
      s.drop = () => {
        for (const c of s.open()) c.res.end();
      };
      s.refuse = false; // answer 204: the sources fail
      s.open = () => s.connections.filter((c) => c.open);
      s.holder = () => s.open().map((c) => c.page);
      streams.set(name, s);
    }
    return s;
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/stream') {
      const s = stream(url.searchParams.get('s'));
      const page = new URL(req.headers.referer ?? 'http://x/').searchParams.get('n');
      if (s.refuse) {
        s.connections.push({ at: Date.now(), lastEventId: null, page, open: false, closedAt: Date.now(), refused: true });
        res.writeHead(204).end();
        changed();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
      res.write('retry: 500\n\n');
      const raw = req.headers['last-event-id'];
      if (raw !== undefined) for (let id = Number(raw) + 1; id < s.next; id++) res.write(s.history[id]);
      const c = { at: Date.now(), lastEventId: raw ?? null, page, open: true, closedAt: null, res };
      s.connections.push(c);
      res.on('close', () => {
        c.open = false;
        c.closedAt = Date.now();
        changed();
      });
      changed();
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    readStatic(url.pathname).then(({ status, data, type }) => {
      if (status !== 200) res.writeHead(status).end();
      else res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache' }).end(data);
    });
  });
  server.keepAliveTimeout = 60000;
  /** Resolves when test() holds (checked on every connection, close and event). */
  const until = (test, what, ms = WAIT_MS) =>
    withTimeout(
      new Promise((resolve) => {
        const w = { test, resolve };
        if (test()) resolve();
        else waiters.add(w);
      }),
      ms,
      what,
    );
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        origin: `http://127.0.0.1:${server.address().port}`,
        stream,
        until,
        close: () =>
          new Promise((done) => {
            for (const s of streams.values()) s.stop();
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}

// ---- checks on what pages received -----------------------------------------------------

/** Every id once, each the one after the last: the record's ids form a run with no gap and no repeat. */
function exactlyOnce(label, ids) {
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] !== ids[i - 1] + 1) {
      const what = ids[i] <= ids[i - 1] ? `repeated ${ids[i]}` : `missed ${ids[i - 1] + 1}–${ids[i] - 1}`;
      throw new Error(`${label}: ${what} (ids ${ids[0]}…${ids.at(-1)}, around: ${ids.slice(Math.max(0, i - 3), i + 3).join(', ')})`);
    }
  }
}

// ---- one browser ------------------------------------------------------------------------

async function inBrowser(name, server) {
  const { browser, close } = await launch(name, { prefix: 'shared' });
  cleanups.push(close);
  const version = await browser.version();
  console.log(`\n== ${name} (${version})`);
  const at = (what) => `${name}: ${what}`;
  const base = `${server.origin}/tests/shared/page.html`;
  const pageErrors = [];

  /** pages[n] = { page, keys: [record keys it has] } for n = 1 … 8. */
  const pages = {};
  const newPage = async (n) => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(`page ${n}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`page ${n}: ${m.text()}`);
    });
    await page.goto(`${base}?n=${n}`, { waitUntil: 'load' });
    await withTimeout(
      page.evaluate(() => window.t.ready),
      WAIT_MS,
      `page ${n} ready`,
    );
    pages[n] = { page, keys: [] };
  };
  const ev = (n, fn, ...a) => withTimeout(pages[n].page.evaluate(fn, ...a), WAIT_MS, `answer from page ${n}`);
  const open = (n, key, url, init, where) => {
    pages[n].keys.push(key);
    return ev(n, (k, u, i, w) => window.t.open(k, u, i, w), key, url, init, where);
  };
  const closeSource = (n, key) => ev(n, (k) => window.t.close(k), key);
  const until = (n, key, what, arg) => ev(n, (k, w, a) => window.t.until(k, w, a), key, what, arg);
  const get = (n, key) => ev(n, (k) => window.t.get(k), key);
  const live = () => Object.keys(pages).map(Number);
  /** Every record of the live pages that has `key` (or, without, any key but 'plain'). */
  const records = (filter = (k) => k !== 'plain') => live().flatMap((n) => pages[n].keys.filter(filter).map((key) => [n, key]));
  const label = (n, key) => `page ${n}${key === 's' ? '' : ` ${key}`}`;
  /** Waits until every record has an id >= `id`, then checks each one's ids exactly once. */
  async function everyoneGets(id, recs = records()) {
    await Promise.all(recs.map(([n, key]) => until(n, key, 'id', id)));
    for (const [n, key] of recs) exactlyOnce(label(n, key), (await get(n, key)).ids);
  }

  try {
    for (let n = 1; n <= 8; n++) await newPage(n);

    // -- the limit, without the option --------------------------------------------------
    const plainUrl = `${server.origin}/stream?s=plain-${name}`;
    const plain = server.stream(`plain-${name}`);
    let waiting = [];
    await attempt(at('without shared: six pages connect, the seventh and eighth wait (the per-host limit)'), async () => {
      for (let n = 1; n <= 8; n++) await open(n, 'plain', plainUrl);
      await server.until(() => plain.open().length >= 6, 'six connections at the server');
      // Not synchronisation: a window in which a seventh connection would have shown up.
      await new Promise((r) => setTimeout(r, 1500));
      const states = [];
      for (let n = 1; n <= 8; n++) states.push((await get(n, 'plain')).now);
      waiting = states.flatMap((state, i) => (state === 0 ? [i + 1] : []));
      assert(plain.connections.length === 6, `${plain.connections.length} connections at the server, not 6`);
      assert(states.filter((state) => state === 1).length === 6 && waiting.length === 2, `readyStates ${states.join()}`);
      return `readyStates ${states.join(' ')}; server: 6 connections`;
    });
    await attempt(at('without shared: one page closes, and a waiting one gets its connection'), async () => {
      await closeSource(
        live().find((n) => !waiting.includes(n)),
        'plain',
      );
      await Promise.race(waiting.map((n) => until(n, 'plain', 'open')));
      assert(plain.connections.length === 7, `${plain.connections.length} connections`);
    });
    for (let n = 1; n <= 8; n++) await closeSource(n, 'plain');
    for (const p of Object.values(pages)) p.keys = [];
    await server.until(() => plain.open().length === 0, 'the plain connections to close');

    // -- one connection for eight pages -------------------------------------------------
    const s = server.stream(`shared-${name}`);
    const url = `${server.origin}/stream?s=shared-${name}`;
    s.start();
    await attempt(at('shared: eight pages open, over one connection (counted by the server)'), async () => {
      await open(1, 's', url, { shared: true });
      await until(1, 's', 'open');
      for (let n = 2; n <= 8; n++) await open(n, 's', url, { shared: true });
      for (let n = 2; n <= 8; n++) await until(n, 's', 'open');
      assert(s.connections.length === 1, `${s.connections.length} connections at the server`);
      assert(s.holder()[0] === '1', `held by page ${s.holder()[0]}, not the first`);
      return 'server: 1 connection, held by page 1';
    });
    await attempt(at('shared: a frame, a worker and the classic script of page 8 join the same connection'), async () => {
      await open(8, 'f', url, { shared: true }, 'frame');
      await open(8, 'w', url, { shared: true }, 'worker');
      await open(8, 'c', url, { shared: true }, 'classic');
      for (const key of ['f', 'w', 'c']) await until(8, key, 'open');
      assert(s.connections.length === 1, `${s.connections.length} connections at the server`);
    });
    await attempt(
      at('shared: every page, the frame, the worker and the classic script receive every event exactly once, named ones too'),
      async () => {
        await everyoneGets(s.next + 30);
        for (const [n, key] of records()) {
          const r = await get(n, key);
          assert(r.types.named > 0 && r.types.message > 0, `${label(n, key)}: types ${JSON.stringify(r.types)}`);
          assert(r.origins.length === 1 && r.origins[0] === server.origin, `${label(n, key)}: origins ${r.origins}`);
          assert(r.errors.length === 0 && r.opens === 1, `${label(n, key)}: ${r.opens} open, errors ${JSON.stringify(r.errors)}`);
        }
        assert(s.connections.length === 1, `${s.connections.length} connections at the server`);
        return `${records().length} sources, 1 connection`;
      },
    );

    await attempt(
      at('the connection drops: every source sees error (CONNECTING) then open, as the holder does; nothing lost'),
      async () => {
        s.drop();
        await server.until(() => s.connections.length === 2 && s.open().length === 1, 'the reconnection');
        await everyoneGets(s.next + 20);
        for (const [n, key] of records()) {
          const r = await get(n, key);
          const errors = JSON.stringify(r.errors);
          assert(
            errors === '[{"readyState":0,"reason":"end-of-stream"}]' && r.opens === 2,
            `${label(n, key)}: ${r.opens} opens, errors ${errors}`,
          );
        }
        return `Last-Event-ID ${s.connections[1].lastEventId}`;
      },
    );

    /** Closes what `act` closes while the stream runs; checks the hand-over and every record after it. */
    async function handOver(act, { recs } = {}) {
      const before = s.connections.length;
      const lastId = s.next - 1;
      const t0 = Date.now();
      await act();
      await server.until(() => s.connections.length > before && s.open().length === 1, 'a new connection');
      const c = s.connections.at(-1);
      const ms = c.at - t0;
      assert(ms <= HANDOVER_MS, `the hand-over took ${ms} ms`);
      assert(Number(c.lastEventId) >= lastId - 5, `resumed with Last-Event-ID ${c.lastEventId}, the stream was at ${lastId}`);
      await everyoneGets(s.next + 30, recs ?? records());
      assert(s.open().length === 1, `${s.open().length} connections open`);
      return { ms, page: c.page, lastEventId: c.lastEventId };
    }

    await attempt(at('hand-over: the holding page closes mid-stream; another takes over; every event once everywhere'), async () => {
      const holder = s.holder()[0];
      const { page } = pages[holder];
      delete pages[holder];
      const r = await handOver(() => page.close());
      return `page ${holder} closed → page ${r.page} holds after ${r.ms} ms, Last-Event-ID ${r.lastEventId}`;
    });

    await attempt(at('close() in a page that does not hold leaves the others running, its second source too'), async () => {
      const holder = s.holder()[0];
      const other = live().find((n) => String(n) !== holder && n !== 8);
      await open(other, 's2', url, { shared: true });
      await until(other, 's2', 'open');
      const count = s.connections.length;
      await closeSource(other, 's');
      pages[other].keys = ['s2'];
      await everyoneGets(s.next + 20);
      assert((await get(other, 's')).now === 2, `page ${other}: its closed source is not CLOSED`);
      assert(s.connections.length === count && s.open().length === 1, 'the connection changed');
      return `page ${other} closed one of its two sources; page ${holder} still holds`;
    });

    await attempt(at("hand-over: the holder's last source closes (its page stays); another takes over"), async () => {
      const holder = Number(s.holder()[0]);
      pages[holder].keys = [];
      const r = await handOver(() => closeSource(holder, 's'));
      return `page ${holder} closed its source → page ${r.page} holds after ${r.ms} ms`;
    });

    if (name === 'chromium') {
      await attempt(at('hand-over: the holding page is frozen (Page Lifecycle), then resumed, and catches up exactly once'), async () => {
        const holder = Number(s.holder()[0]);
        const cdp = await pages[holder].page.createCDPSession();
        const frozenAt = s.next;
        const others = records().filter(([n]) => n !== holder);
        const r = await handOver(() => cdp.send('Page.setWebLifecycleState', { state: 'frozen' }), { recs: others });
        await cdp.send('Page.setWebLifecycleState', { state: 'active' });
        await everyoneGets(s.next + 20);
        for (const key of pages[holder].keys) {
          const { ids } = await get(holder, key);
          assert(ids.includes(frozenAt + 5), `${label(holder, key)} lacks the events sent while it was frozen`);
        }
        await cdp.detach();
        return `page ${holder} frozen → page ${r.page} holds after ${r.ms} ms; page ${holder} resumed with no gap`;
      });
    }

    await attempt(at('the last close() ends the connection'), async () => {
      const count = s.connections.length;
      for (const [n, key] of records()) await closeSource(n, key);
      await server.until(() => s.open().length === 0, 'the connection to close');
      return `${count} connections in all before (one per holder), none open after`;
    });
    s.stop();

    // -- a holder that goes without a goodbye -------------------------------------------
    const v = server.stream(`vanish-${name}`);
    const vUrl = `${server.origin}/stream?s=vanish-${name}`;
    v.start();
    await attempt(at('hand-over: a holding worker is terminated (no goodbye); another page takes over; every event once'), async () => {
      const [first, ...rest] = live().slice(0, 3);
      await ev(first, (u) => window.t.open('vw', u, { shared: true }, 'worker'), vUrl);
      await until(first, 'vw', 'open');
      for (const n of rest) {
        await ev(n, (u) => window.t.open('v', u, { shared: true }), vUrl);
        await until(n, 'v', 'open');
      }
      await Promise.all(rest.map((n) => until(n, 'v', 'id', v.next + 10)));
      const t0 = Date.now();
      await ev(first, () => window.t.terminateWorker());
      await server.until(() => v.connections.length === 2 && v.open().length === 1, 'a new connection');
      const ms = v.connections[1].at - t0;
      assert(ms <= HANDOVER_MS, `the hand-over took ${ms} ms`);
      await Promise.all(rest.map((n) => until(n, 'v', 'id', v.next + 30)));
      for (const n of rest) exactlyOnce(`page ${n}`, (await get(n, 'v')).ids);
      for (const n of rest) await closeSource(n, 'v');
      await server.until(() => v.open().length === 0, 'the connection to close');
      return `the worker of page ${first} terminated → page ${v.connections[1].page} holds after ${ms} ms`;
    });
    v.stop();

    // -- failing for good --------------------------------------------------------------
    const f = server.stream(`fail-${name}`);
    const fUrl = `${server.origin}/stream?s=fail-${name}`;
    await attempt(
      at('a refused reconnection (204) fails every shared source at once: CLOSED, one error each, no more requests'),
      async () => {
        const some = live().slice(0, 3);
        for (const n of some) {
          await ev(n, (u) => window.t.open('x', u, { shared: true }), fUrl);
          await until(n, 'x', 'open');
        }
        f.refuse = true;
        f.drop();
        await Promise.all(some.map((n) => until(n, 'x', 'error', 2)));
        for (const n of some) {
          const r = await get(n, 'x');
          const errors = JSON.stringify(r.errors);
          assert(
            errors === '[{"readyState":0,"reason":"end-of-stream"},{"readyState":2,"reason":"status"}]' && r.now === 2,
            `page ${n}: errors ${errors}, readyState ${r.now}`,
          );
        }
        // Not synchronisation: a window longer than retry (500 ms) for a request that must not come.
        await new Promise((r) => setTimeout(r, 1000));
        assert(f.connections.length === 2, `${f.connections.length} requests, not 2 (the first and the refused one)`);
        f.refuse = false;
        await ev(some[1], (u) => window.t.open('y', u, { shared: true }), fUrl);
        await until(some[1], 'y', 'open');
        assert(f.connections.length === 3, 'a new shared source did not start a new connection');
        await closeSource(some[1], 'y');
      },
    );

    await attempt(at('no script errors in the pages'), async () => {
      assert(!pageErrors.length, pageErrors.join('\n'));
    });
  } finally {
    cleanups.splice(cleanups.indexOf(close), 1);
    await close();
  }
}

try {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/index.js is missing: bash scripts/build.sh');
  const server = await startServer();
  cleanups.push(() => server.close());
  for (const name of BROWSERS) {
    try {
      await inBrowser(name, server);
    } catch (e) {
      check(false, `${name}: the run itself`, String(e?.stack ?? e).split('\n'));
    }
  }
} catch (e) {
  check(false, 'the run itself', String(e?.stack ?? e).split('\n'));
}
await finish();
