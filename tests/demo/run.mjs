#!/usr/bin/env node
// The demo, end to end: www/server.mjs on an ephemeral port, the page in headless Chromium
// (puppeteer-core, /usr/bin/chromium; nothing is ever downloaded), driven through its UI.
//
//   node tests/demo/run.mjs        (dist/ must be built: bash scripts/build.sh)
//   env: E2E_CHROMIUM (default /usr/bin/chromium, see ../browsers.mjs), DEMO_TIMEOUT_MS (whole run, default 180000), TEST_TIME_SCALE (tests/runner.mjs),
//        DEMO_DESKTOP_PNG (default docs/demo.png), DEMO_PHONE_PNG (default in the temp dir)
//
// Checks: both panes OPEN and receiving; chat through the UI; a second tab whose
// eventsource-wasm pane shares the first one's connection; "Drop connections" with
// messages sent while the clients reconnect: every chat id exactly once, no gaps, on both
// panes, reconnects >= 1; a 10,000-event burst arrives whole on both; "Stop with 204" ends
// both CLOSED; "Resume" opens both again. Saves docs/demo.png (desktop) and a phone-width
// screenshot. Ends with `N passed, N failed`; exit code 1 on any failure.

import fs from 'node:fs';
import http from 'node:http';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { launch } from '../browsers.mjs';
import { bookkeeping, scaled } from '../runner.mjs';
import { ROOT } from '../static.mjs';

const DESKTOP_PNG = process.env.DEMO_DESKTOP_PNG ?? path.join(ROOT, 'docs', 'demo.png');
const PHONE_PNG = process.env.DEMO_PHONE_PNG ?? path.join(os.tmpdir(), 'eventsource-wasm-demo-phone.png');
const WAIT = { timeout: scaled(20000), polling: 50 };

// One check: attempt(name, fn); a failure is recorded and the run goes on (later checks may then fail too).
const { attempt, check, cleanups, finish } = bookkeeping(Number(process.env.DEMO_TIMEOUT_MS ?? 180000), { stackLines: Infinity });
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** A raw HTTP request: resolves with the response once its headers arrive; `body` collects the text. */
function request(base, pathname, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = http.request({ host: u.hostname, port: u.port, path: pathname, method, headers }, (res) => {
      res.setEncoding('utf8');
      const r = { res, status: res.statusCode, headers: res.headers, text: '', ended: false, waiters: [] };
      const poke = () => {
        r.waiters = r.waiters.filter((w) => !w());
      };
      res.on('data', (c) => {
        r.text += c;
        poke();
      });
      res.on('end', () => {
        r.ended = true;
        poke();
      });
      res.on('close', () => {
        r.ended = true;
        poke();
      });
      /** Resolves when pred(text) holds; rejects after ms. */
      r.until = (pred, what, ms = 5000) =>
        new Promise((ok2, ko) => {
          const t = setTimeout(() => ko(new Error(`timed out waiting for ${what}; got:\n${r.text.slice(-600)}`)), scaled(ms));
          const w = () => {
            if (pred(r.text, r)) {
              clearTimeout(t);
              ok2(r.text);
              return true;
            }
            return false;
          };
          if (!w()) r.waiters.push(w);
        });
      r.close = () => {
        req.destroy();
      };
      resolve(r);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
const ids = (text) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

/** The server alone, through raw HTTP: what the page relies on, and bad input. */
async function serverChecks(start) {
  const srv = await start({ port: 0, host: '127.0.0.1', quiet: true, heartbeatMs: 200 });
  cleanups.push(() => srv.close());
  const base = `http://127.0.0.1:${srv.port}`;
  const chat = async (text) => {
    const r = await request(base, '/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'srv', text }),
    });
    await r.until((_, x) => x.ended, 'the /chat answer');
    return JSON.parse(r.text).id;
  };

  await attempt('server: /events headers, retry, comment heartbeat, clock data', async () => {
    const r = await request(base, '/events?client=raw');
    try {
      assert(r.status === 200, `status ${r.status}`);
      assert(/^text\/event-stream\b/.test(r.headers['content-type']), `content-type ${r.headers['content-type']}`);
      assert(r.headers['cache-control'] === 'no-cache', `cache-control ${r.headers['cache-control']}`);
      assert(/keep-alive/i.test(r.headers.connection ?? ''), `connection ${r.headers.connection}`);
      await r.until((t) => /^retry: 1000$/m.test(t), 'retry: 1000');
      await r.until((t) => /^: heartbeat$/m.test(t), 'a heartbeat comment');
      await r.until((t) => /^data: \d{4}-\d\d-\d\dT[\d:.]+Z$/m.test(t), 'a clock tick', 3000);
    } finally {
      r.close();
    }
  });

  await attempt('server: chat as multi-line JSON with ids; Last-Event-ID replays exactly what was missed', async () => {
    const first = await chat('one');
    const r = await request(base, '/events?client=raw');
    await r.until((t) => ids(t).includes(first), `id ${first}`);
    const m = r.text.match(/event: message\nid: (\d+)\n((?:data: .*\n)+)\n/);
    assert(m && m[2].split('\n').length > 3, `no multi-line message event in:\n${r.text}`);
    assert(JSON.parse(m[2].replace(/^data: /gm, '').trimEnd()).text === 'one', 'the data lines do not join into the JSON');
    r.close();
    const missed = [await chat('two'), await chat('three')];
    const r2 = await request(base, '/events?client=raw', { headers: { 'Last-Event-ID': String(first) } });
    try {
      await r2.until((t) => /event: connected/.test(t), 'the connected event');
      const got = ids(r2.text);
      for (const id of missed)
        assert(got.filter((x) => x === id).length === 1, `id ${id} replayed ${got.filter((x) => x === id).length} times: ${got}`);
      assert(!got.includes(first), `id ${first} replayed although the client had it`);
      assert(
        got.every((x, i) => i === 0 || x === got[i - 1] + 1),
        `gaps or disorder: ${got}`,
      );
    } finally {
      r2.close();
    }
  });

  await attempt('server: bad input answered, never a crash; history capped', async () => {
    const bad = [
      ['/chat', 'POST', '{not json', 400],
      ['/chat', 'POST', '{"name":"x"}', 400],
      ['/chat', 'POST', '[1,2]', 400],
      ['/chat', 'POST', JSON.stringify({ name: 'x', text: 'y'.repeat(10000) }), 413],
      ['/nope', 'POST', '', 404],
      ['/', 'PUT', '', 405],
      ['/../package.json', 'GET', undefined, 404],
      ['/%2e%2e/package.json', 'GET', undefined, 404],
      ['/server.mjs', 'GET', undefined, 404],
      ['/%zz', 'GET', undefined, 404],
      ['/dist/../../package.json', 'GET', undefined, 404],
    ];
    for (const [p, method, body, want] of bad) {
      const r = await request(base, p, { method, body }).catch((e) => ({ status: `error ${e.code}` }));
      assert(r.status === want, `${method} ${p}: ${r.status}, wanted ${want}`);
      r.close?.();
    }
    const odd = await request(base, '/events', { headers: { 'Last-Event-ID': 'not a number' } });
    assert(odd.status === 200, `Last-Event-ID garbage: ${odd.status}`);
    odd.close();
    for (let i = 0; i < 520; i++) await chat(`flood ${i}`);
    const st = await request(base, '/status');
    await st.until((_, x) => x.ended, '/status');
    const status = JSON.parse(st.text);
    assert(status.history <= 500, `history ${status.history}`);
    const dist = await request(base, '/dist/eventsource_wasm_bg.wasm', { method: 'HEAD' });
    assert(
      dist.status === 200 && dist.headers['content-type'] === 'application/wasm',
      `wasm: ${dist.status} ${dist.headers['content-type']}`,
    );
    dist.close();
  });

  await attempt('server: stop answers 204 until resume', async () => {
    const r = await request(base, '/events');
    const stop = await request(base, '/control/stop', { method: 'POST' });
    assert(stop.status === 200, `stop: ${stop.status}`);
    await r.until((_, x) => x.ended, 'the open stream to end');
    const refused = await request(base, '/events');
    assert(refused.status === 204, `while stopped: ${refused.status}`);
    await request(base, '/control/resume', { method: 'POST' });
    const again = await request(base, '/events');
    assert(again.status === 200, `after resume: ${again.status}`);
    again.close();
  });
  await srv.close();

  await attempt('server: `node www/server.mjs` prints its URL and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'www', 'server.mjs')], {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    const exited = new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
    const url = await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no URL printed: ${out}`)), scaled(10000));
      child.stdout.on('data', () => {
        const m = out.match(/^Demo: (http:\/\/localhost:(\d+)\/)$/m);
        if (m) {
          clearTimeout(t);
          res(m[1]);
        }
      });
    });
    const port = new URL(url).port;
    const r = await request(`http://127.0.0.1:${port}`, '/events');
    assert(r.status === 200, `stream: ${r.status}`);
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    const { code, sig } = await exited;
    clearTimeout(t);
    assert(code === 0, `exit ${code} ${sig ?? ''}`);
    await r.until((_, x) => x.ended, 'the stream to end');
  });
}

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    check(false, 'dist/index.js exists', ['build it first: bash scripts/build.sh']);
    return;
  }
  const { start } = await import(path.join(ROOT, 'www', 'server.mjs'));
  await serverChecks(start);
  const server = await start({ port: 0, host: '127.0.0.1', quiet: true });
  cleanups.push(() => server.close());
  const base = `http://127.0.0.1:${server.port}/`;

  const { browser, close } = await launch('chromium', { prefix: 'demo' });
  cleanups.push(close);

  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    // Streams ended by the page (close()) or the server show up as aborted; anything else is a bug.
    const u = new URL(r.url());
    if (!['/events', '/burst'].includes(u.pathname)) pageErrors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });

  const state = () => page.evaluate(() => JSON.parse(JSON.stringify(globalThis.demo)));
  const both = (expr) => `['native','wasm'].every((k) => { const s = globalThis.demo.panes[k]; return ${expr}; })`;
  /** Sends one chat message through the form; resolves with the id the server gave it. */
  async function say(name, text) {
    await page.$eval(
      '#chat-name',
      (el, v) => {
        el.value = v;
      },
      name,
    );
    await page.$eval('#chat-text', (el) => {
      el.value = '';
    });
    await page.focus('#chat-text');
    await page.type('#chat-text', text);
    const [res] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/chat' && r.request().method() === 'POST', WAIT),
      page.keyboard.press('Enter'),
    ]);
    assert(res.status() === 200, `POST /chat answered ${res.status()}`);
    const { id } = await res.json();
    assert(Number.isInteger(id), `no id in the answer to POST /chat`);
    return id;
  }
  const sent = [];

  await attempt('the page loads with both panes and no script errors', async () => {
    const res = await page.goto(base, { waitUntil: 'load' });
    assert(res.status() === 200, `GET / answered ${res.status()}`);
    await page.waitForFunction('globalThis.demo?.ready === true', WAIT);
    assert(!(await page.$('script:not([src])')), 'an inline script');
  });

  await attempt('both panes OPEN and receiving (clock ticks and the connected event)', async () => {
    await page.waitForFunction(both('s.readyState === 1 && s.events >= 2 && s.ids.length >= 1'), WAIT);
    await page.waitForFunction(() => [...document.querySelectorAll('.ready')].every((e) => e.textContent === 'OPEN (1)'), WAIT);
    await page.waitForFunction(() => [...document.querySelectorAll('.clock')].every((e) => /\d\d:\d\d:\d\d/.test(e.textContent)), WAIT);
  });

  await attempt('chat: three messages sent through the form reach both panes', async () => {
    for (const t of ['hello from the test', 'multi-line JSON on the wire', 'third']) sent.push(await say('ada', t));
    await page.waitForFunction(
      (ids) => ['native', 'wasm'].every((k) => ids.every((id) => globalThis.demo.panes[k].ids.includes(id))),
      WAIT,
      sent,
    );
  });

  await attempt(
    'another tab: its eventsource-wasm pane shares the connection (no new stream at the server), both tabs count 2, its native pane is off',
    async () => {
      const streams = async () => (await (await fetch(`${base}status`)).json()).streams;
      const before = await streams();
      const second = await browser.newPage();
      second.on('pageerror', (e) => pageErrors.push(`second tab: pageerror: ${e.message}`));
      await second.goto(base, { waitUntil: 'load' });
      await second.waitForFunction('globalThis.demo?.ready === true && globalThis.demo.panes.wasm.readyState === 1', WAIT);
      assert(await second.evaluate(() => globalThis.demo.native === false), 'the second tab runs a native pane too');
      for (const p of [page, second]) await p.waitForFunction('globalThis.demo.sharing?.tabs === 2', WAIT);
      assert(await page.evaluate(() => globalThis.demo.sharing.holding), 'the first tab does not hold the connection');
      assert(!(await second.evaluate(() => globalThis.demo.sharing.holding)), 'the second tab holds a connection too');
      const shown = await second.$eval('#pane-wasm .share', (e) => e.textContent.replace(/\s+/g, ' '));
      assert(shown.includes('One connection for 2 tabs: another tab holds it'), `the second tab shows: ${shown}`);
      const id = await say('ada', 'seen in both tabs');
      sent.push(id);
      await second.waitForFunction((i) => globalThis.demo.panes.wasm.ids.includes(i), WAIT, id);
      assert((await streams()) === before, `the server has ${await streams()} streams, not ${before}`);
      await second.close();
      await page.waitForFunction('globalThis.demo.sharing?.tabs === 1', WAIT);
    },
  );

  await attempt('drop connections: both panes reconnect (reconnects >= 1 shown), messages sent meanwhile arrive', async () => {
    const before = await state();
    const [res] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/control/drop', WAIT),
      page.click('#drop'),
    ]);
    assert(res.status() === 200, `POST /control/drop answered ${res.status()}`);
    assert((await res.json()).dropped >= 2, 'fewer than 2 streams dropped');
    // While the clients wait their retry: 1000 ms (or just after): these must be replayed.
    sent.push(await say('grace', 'sent during the reconnection'));
    sent.push(await say('grace', 'and another one'));
    await page.waitForFunction(both('s.reconnects >= 1 && s.readyState === 1'), WAIT);
    await page.waitForFunction(() => [...document.querySelectorAll('.n-reconnects')].every((e) => Number(e.textContent) >= 1), WAIT);
    for (const k of ['native', 'wasm']) assert(before.panes[k].reconnects === 0, `${k} had reconnected before the drop`);
    sent.push(await say('ada', 'after the reconnection'));
    sent.push(await say('ada', 'last one'));
    await page.waitForFunction(
      (ids) => ['native', 'wasm'].every((k) => ids.every((id) => globalThis.demo.panes[k].ids.includes(id))),
      WAIT,
      sent,
    );
  });

  await attempt('every chat id exactly once, no gaps, on both panes (state and event log)', async () => {
    const s = await state();
    for (const k of ['native', 'wasm']) {
      const ids = s.panes[k].ids;
      const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
      assert(!dupes.length, `${k}: duplicate ids ${dupes.join(', ')}`);
      const sorted = [...ids].sort((a, b) => a - b);
      assert(sorted.join() === ids.join(), `${k}: ids out of order: ${ids.join(', ')}`);
      const gaps = [];
      for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) gaps.push(`${sorted[i - 1]}→${sorted[i]}`);
      assert(!gaps.length, `${k}: gaps ${gaps.join(', ')} in ${ids.join(', ')}`);
      for (const id of sent) assert(ids.includes(id), `${k}: chat id ${id} missing`);
    }
    // What the reader sees: each sent message once in each pane's log.
    const logs = await page.evaluate(() =>
      Object.fromEntries(
        ['native', 'wasm'].map((k) => [k, [...document.querySelectorAll(`#pane-${k} .log li.k-chat`)].map((li) => li.textContent)]),
      ),
    );
    for (const k of ['native', 'wasm']) {
      for (const id of sent) {
        const n = logs[k].filter((t) => t.startsWith(`message #${id} `)).length;
        assert(n === 1, `${k}: message #${id} appears ${n} times in the event log`);
      }
    }
  });

  await attempt('burst: 10,000 events reach each pane, with a rate shown', async () => {
    await page.click('#burst');
    await page.waitForFunction('globalThis.demo.lastBurst !== null', { ...WAIT, timeout: scaled(60000) });
    const { lastBurst } = await state();
    for (const k of ['native', 'wasm']) {
      assert(lastBurst[k]?.count === 10000, `${k}: ${lastBurst[k]?.count} events`);
    }
    const rates = await page.$$eval('.rate', (els) => els.map((e) => e.textContent));
    assert(
      rates.every((r) => /\/s$/.test(r)),
      `rates shown: ${rates.join(' | ')}`,
    );
    console.log(`     burst: native ${lastBurst.native.rate}/s, eventsource-wasm ${lastBurst.wasm.rate}/s`);
    await page.waitForFunction(both('s.readyState === 1'), WAIT);
  });

  await attempt('screenshots: docs/demo.png (desktop) and a phone-width one', async () => {
    fs.mkdirSync(path.dirname(DESKTOP_PNG), { recursive: true });
    await page.setViewport({ width: 1280, height: 1280 }); // down to the protocol notes
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: DESKTOP_PNG, fullPage: false });
    await page.setViewport({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.screenshot({ path: PHONE_PNG, fullPage: true });
    await page.setViewport({ width: 1280, height: 900 });
    assert(await page.evaluate(() => globalThis.demo.panes.native.reconnects >= 1), 'the page was reloaded by the viewport change');
    assert(overflow <= 0, `the page scrolls sideways by ${overflow}px at phone width`);
    console.log(`     ${DESKTOP_PNG}, ${PHONE_PNG}`);
  });

  await attempt('keyboard: every control is reachable with Tab and labelled', async () => {
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, button, select, textarea')]
        .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
        .map((el) => el.id || el.outerHTML),
    );
    assert(!unlabelled.length, `unlabelled: ${unlabelled.join(', ')}`);
    await page.evaluate(() => document.activeElement?.blur());
    await page.evaluate(() => window.scrollTo(0, 0));
    const reached = new Set();
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => document.activeElement?.id);
      if (id) reached.add(id);
    }
    for (const id of ['chat-name', 'chat-text', 'chat-send', 'drop', 'stop', 'burst', 'log-clock'])
      assert(reached.has(id), `Tab never reaches #${id}`);
  });

  await attempt('stop with 204: both panes end CLOSED, and stay closed', async () => {
    const [res] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/control/stop', WAIT),
      page.click('#stop'),
    ]);
    assert(res.status() === 200, `POST /control/stop answered ${res.status()}`);
    await page.waitForFunction(both('s.readyState === 2'), WAIT);
    await page.waitForFunction(() => [...document.querySelectorAll('.ready')].every((e) => e.textContent === 'CLOSED (2)'), WAIT);
    const status = await (await fetch(`${base}status`)).json();
    assert(status.streams === 0, `${status.streams} streams still open on the server`);
    assert(status.refused === 2, `the server answered ${status.refused} requests with 204, not 2 (one per client)`);
    assert(await page.$eval('#resume', (b) => !b.disabled), 'Resume is not enabled');
    // Not synchronisation: an observation window longer than retry (1000 ms), in which a
    // client that had not really stopped would have come back.
    await new Promise((r) => setTimeout(r, 1500));
    const later = await (await fetch(`${base}status`)).json();
    assert(later.refused === 2, `${later.refused - 2} more reconnection attempt(s) after CLOSED`);
    assert(await page.evaluate(both('s.readyState === 2')), 'a pane left CLOSED');
  });

  await attempt('resume: new clients on both panes, OPEN again', async () => {
    await page.click('#resume');
    await page.waitForFunction(both('s.readyState === 1'), WAIT);
  });

  await attempt('no script errors and no failed requests on the page', async () => {
    assert(!pageErrors.length, pageErrors.join('\n'));
  });
}

try {
  await main();
} catch (e) {
  check(false, 'the run itself', String(e?.stack ?? e).split('\n'));
}
await finish();
