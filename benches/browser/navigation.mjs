#!/usr/bin/env node
// Cold start as a user on a real network meets it: navigation → first event, with every
// round trip costing its latency. Part of `npm run bench` (after run.mjs); alone:
//
//   node benches/browser/navigation.mjs [--browser=chromium,firefox,webkit] [--latency=0,20,100] [--reps=5]
//                                       [--dist=DIR]   another build's dist/ (an earlier commit's)
//
// Four pages, each loaded in a fresh browser context (a new window in WebKit), every
// answer `no-store`, each constructing one source on /nav/sse, which sends one event at
// once; the page reports `performance.now()` at that event (ms since navigation start):
//
//   native      an inline module script constructs the native EventSource
//   entry       an inline module script imports eventsource-wasm's ES entry (/dist/index.js)
//               and constructs: the entry's fetch is one round trip native does not need
//   native-app  the page's own script (/nav/native-app.js) constructs the native class
//   bundle      the page's own bundle (/nav/bundle/app.js, esbuild: the app and the class in
//               one file, the wasm beside it) constructs ours: as many round trips as native-app
//
// The latency: Chromium's own network emulation (CDP, every request), in Firefox and WebKit,
// which have none, the server holds every response back by it. Targets (issue 21): `entry`
// within native + 1 round trip + 10 ms, `bundle` within native-app + 10 ms. Medians of
// --reps runs, the variants alternating in an order rotated each repetition. Writes the
// table to stdout and target/bench-browser/navigation.md (raw runs: navigation.json).
// No timing assertion: exit code 1 only if a page did not get its event.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { launch } from '../../tests/browsers.mjs';
import { ROOT, readStatic } from '../../tests/static.mjs';
import { scaled } from '../../tests/runner.mjs';

const argv = process.argv.slice(2);
const opt = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const unknown = argv.filter((a) => !/^--(browser|latency|reps|dist)=.+$/.test(a));
if (unknown.length) {
  console.error(`unknown argument(s): ${unknown.join(' ')}`);
  process.exit(2);
}
const BROWSERS = opt('browser')?.split(',') ?? ['chromium', 'firefox', 'webkit'];
const LATENCIES = (opt('latency') ?? '0,20,100').split(',').map(Number);
const REPS = Number(opt('reps') ?? 5);
const VARIANTS = ['native', 'entry', 'native-app', 'bundle'];
const OUT = path.join(ROOT, 'target', 'bench-browser');
const DIST = path.resolve(opt('dist') ?? path.join(ROOT, 'dist'));

// ---- the pages ----------------------------------------------------------------------
// What every page runs once it has its class: one source, the time of its first event.
const measure = (ES) => `
const es = new ${ES}('/nav/sse');
let openMs = null;
es.onopen = () => (openMs = performance.now());
es.onmessage = (event) => {
  const firstEventMs = performance.now();
  const wasm = performance.getEntriesByType('resource').find((entry) => entry.name.endsWith('.wasm'));
  const script = performance.getEntriesByType('resource').find((entry) => entry.name.endsWith('.js'));
  window.__nav = { ok: event.data === 'first', firstEventMs, openMs, scriptEndMs: script?.responseEnd, wasmStartMs: wasm?.startTime, wasmEndMs: wasm?.responseEnd };
  es.close();
};
es.onerror = () => {
  if (es.readyState === 2) window.__nav = { ok: false, error: 'error event, CLOSED' };
};`;
const page = (script) => `<!doctype html><meta charset="utf-8"><title>navigation</title>${script}<body>navigation`;
const PAGES = {
  native: page(`<script type="module">${measure('EventSource')}</script>`),
  entry: page(`<script type="module">import { EventSource as Ours } from '/dist/index.js';${measure('Ours')}</script>`),
  'native-app': page('<script type="module" src="/nav/native-app.js"></script>'),
  bundle: page('<script type="module" src="/nav/bundle/app.js"></script>'),
};

// The bundle: an app that imports the package, built as an application's bundler would,
// into one file, with the wasm copied beside it (where the class looks for it).
const bundleDir = path.join(OUT, 'nav-bundle');
fs.rmSync(bundleDir, { recursive: true, force: true });
fs.mkdirSync(bundleDir, { recursive: true });
fs.writeFileSync(
  path.join(bundleDir, 'main.js'),
  `import { EventSource as Ours } from '${path.join(DIST, 'index.js')}';${measure('Ours')}`,
);
await esbuild.build({
  entryPoints: [path.join(bundleDir, 'main.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  outfile: path.join(bundleDir, 'app.js'),
  external: ['./shared.js'],
  logLevel: 'warning',
});
fs.copyFileSync(path.join(DIST, 'eventsource_wasm_bg.wasm'), path.join(bundleDir, 'eventsource_wasm_bg.wasm'));

// ---- the server -----------------------------------------------------------------------
// Every response held back by `server.hold` ms (Firefox, WebKit), then sent whole.
const server = http.createServer(async (req, res) => {
  const { pathname } = new URL(req.url, 'http://x');
  const send = (status, type, body) => {
    setTimeout(() => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      if (type === 'text/event-stream') res.write(body);
      else res.end(body);
    }, server.hold);
  };
  if (pathname === '/nav/sse') return send(200, 'text/event-stream', 'data: first\n\n');
  if (pathname.startsWith('/nav/page/')) return send(200, 'text/html; charset=utf-8', PAGES[pathname.slice(10)] ?? '');
  if (pathname === '/nav/native-app.js') return send(200, 'text/javascript', measure('EventSource'));
  const file = pathname.startsWith('/nav/bundle/')
    ? await readStatic(pathname.slice('/nav/bundle'.length), bundleDir)
    : pathname.startsWith('/dist/')
      ? await readStatic(pathname.slice('/dist'.length), DIST)
      : { status: 404 };
  if (file.status !== 200) return send(file.status, 'text/plain', String(file.status));
  send(200, file.type, file.data);
});
server.hold = 0;
server.keepAliveTimeout = 1000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

// ---- one measurement ------------------------------------------------------------------
async function load(browser, name, variant, latency) {
  const chromium = name === 'chromium';
  server.hold = chromium ? 0 : latency;
  const context = browser.webdriver ? null : await browser.createBrowserContext();
  const p = await (context ?? browser).newPage();
  try {
    if (chromium) {
      await p.setCacheEnabled(false);
      await p.emulateNetworkConditions({ download: -1, upload: -1, latency });
    }
    await p.goto(`${origin}/nav/page/${variant}?nonce=${Math.random()}`, { waitUntil: 'load' });
    await p.waitForFunction(() => !!window.__nav, { timeout: scaled(20000) });
    return await p.evaluate(() => window.__nav);
  } catch (error) {
    return { ok: false, error: String(error?.message ?? error) };
  } finally {
    await (context ?? p).close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const rotate = (xs, n) => xs.map((_, i) => xs[(i + n) % xs.length]);

const runs = [];
let failed = 0;
for (const name of BROWSERS) {
  const { browser, close } = await launch(name, { prefix: 'bench-nav' });
  try {
    const version = await browser.version();
    console.log(`== ${name} (${version})`);
    await load(browser, name, 'entry', 0); // not counted: the first load of a session settles slower
    for (const latency of LATENCIES) {
      for (let rep = 0; rep < REPS; rep++) {
        for (const variant of rotate(VARIANTS, rep)) {
          const r = await load(browser, name, variant, latency);
          runs.push({ browser: name, version, latency, variant, rep, ...r });
          if (!r.ok) {
            failed++;
            console.log(`   FAIL ${variant} at ${latency} ms: ${r.error}`);
          }
        }
      }
      const row = VARIANTS.map((v) => `${v} ${median(cell(name, latency, v)).toFixed(0)} ms`).join(', ');
      console.log(`   ${latency} ms latency: ${row}`);
    }
  } finally {
    await close();
  }
}
server.close();
server.closeAllConnections();

function cell(name, latency, variant) {
  return runs.filter((r) => r.browser === name && r.latency === latency && r.variant === variant && r.ok).map((r) => r.firstEventMs);
}

// ---- the report -----------------------------------------------------------------------
const lines = [
  `Navigation → first event (ms, median of ${REPS}; min–max), a fresh context each, every answer no-store; the build of ${DIST}.`,
  'Latency: Chromium network emulation; Firefox and WebKit, the server holding each response back.',
  '',
  '| browser | latency | native | entry | − native | target | native-app | bundle | − native-app | target |',
  '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |',
];
const range = (xs) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
const verdict = (delta, allowed) => `${delta <= allowed ? 'met' : 'missed'} (≤ ${allowed})`;
for (const name of BROWSERS) {
  const version = runs.find((r) => r.browser === name)?.version ?? '';
  for (const latency of LATENCIES) {
    const [native, entry, nativeApp, bundle] = VARIANTS.map((v) => cell(name, latency, v));
    if (![native, entry, nativeApp, bundle].every((xs) => xs.length)) continue;
    const d1 = median(entry) - median(native);
    const d2 = median(bundle) - median(nativeApp);
    lines.push(
      `| ${name} ${version.split('/').pop()} | ${latency} ms | ${range(native)} | ${range(entry)} | ${d1.toFixed(0)} | ${verdict(d1, latency + 10)} | ${range(nativeApp)} | ${range(bundle)} | ${d2.toFixed(0)} | ${verdict(d2, 10)} |`,
    );
  }
}
const report = `${lines.join('\n')}\n`;
console.log(`\n${report}`);
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(path.join(OUT, 'navigation.md'), report);
fs.writeFileSync(path.join(OUT, 'navigation.json'), JSON.stringify(runs, null, 1));
console.log(`${runs.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
