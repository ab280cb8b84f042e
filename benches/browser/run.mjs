#!/usr/bin/env node
// `npm run bench`: EventSource implementations in headless Chromium and Firefox, in one
// browser session per browser, against a loopback server (server.mjs) that writes each
// stream as fast as the socket takes it.
//
// Implementations (implementations.mjs): the browser's native EventSource, this package
// (dist/, so build first: npm run bench does), and the npm packages `eventsource`,
// `event-source-polyfill` and `extended-eventsource`, bundled for the browser by esbuild
// at start. Measured:
//   - throughput: four workloads (workloads.mjs, the inputs of the parser benchmark): ms
//     from `open` to the last event, every event checked against the expected data and
//     last event ID; plus "floor": the same events created and dispatched as MessageEvents
//     on an EventTarget in a bare loop (no network, no parsing). CPU time per event: the
//     whole browser (every thread of every process, /proc/<pid>/task/*/schedstat; Linux
//     only) and the page's main thread (the busiest renderer or content process's main
//     thread; in Chromium, CDP's TaskDuration goes to the .json as a cross-check).
//   - latency: the server's clock → the handler, at a steady 1,000 events/s (page.mjs).
//   - cold start: in a fresh browser context (empty HTTP cache, new renderer process) with
//     the cache disabled (Chromium, CDP) and `no-store` on every file, two variants (cold.mjs):
//     "fresh": import the module, construct, first event; "imported early": the page imports
//     the module at load and waits for it (and one setTimeout(0)), then construct → first event.
//   - size (size.mjs): the ES entry gzipped (dist/index.js, every JS file it imports
//     statically, followed through the built files, and the wasm), the classic script; and,
//     with twiggy on PATH, the wasm's code by bucket (parser, machine, driver, allocator,
//     runtime, executor, other): built as scripts/build.sh builds it, names kept, into
//     target/bench-browser/twiggy/ (skipped, said so, without twiggy).
// Each repetition runs every implementation once, in an order rotated from one repetition
// to the next, after a warm-up round; the tables give medians and ratios against the
// native class (and `eventsource`) of the same run, then each target as met or missed.
//
//   node benches/browser/run.mjs              5 repetitions, full workloads (~5 minutes here)
//   node benches/browser/run.mjs --quick      1 repetition, workloads ÷ 50 (a smoke run)
//   options: --browser=chromium|firefox  --impl=NAME[,NAME]  --reps=N  --out=FILE.md
//   env:     E2E_CHROMIUM / E2E_FIREFOX (tests/browsers.mjs)
//
// Output: the tables on stdout and in target/bench-browser/results.md (--quick:
// results-quick.md), the raw figures beside it (.json); then one line per implementation
// and browser saying whether every run delivered every event intact, one for the check's
// self-test (a class that alters one event must be reported), and exactly
// `N passed, N failed`. Exit code 1 if an implementation lost or altered an event: there
// are no timing assertions, timing is what the tables are for.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { launch, processTree } from '../../tests/browsers.mjs';
import { ROOT } from '../../tests/static.mjs';
import { bookkeeping, scaled, tempDir } from '../../tests/runner.mjs';
import { startServer } from './server.mjs';
import { IMPLEMENTATIONS, bundlePeers, versions } from './implementations.mjs';
import { WORKLOADS, LABELS } from './workloads.mjs';
import { entrySize, twiggyBreakdown } from './size.mjs';

// ---- arguments ------------------------------------------------------------------------
const argv = process.argv.slice(2);
const opt = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = argv.includes('--quick');
const unknown = argv.filter((a) => !/^--(quick|browser=.+|impl=.+|reps=\d+|out=.+)$/.test(a));
if (unknown.length) {
  console.error(`unknown argument(s): ${unknown.join(' ')}`);
  process.exit(2);
}
const BROWSERS = opt('browser')?.split(',') ?? ['chromium', 'firefox'];
const wanted = opt('impl')?.split(',');
for (const n of wanted ?? []) {
  if (!IMPLEMENTATIONS.some((i) => i.name === n)) {
    console.error(`unknown implementation ${n}`);
    process.exit(2);
  }
}
const IMPLS = IMPLEMENTATIONS.filter((i) => !wanted || wanted.includes(i.name));
const CONFIG = quick
  ? { reps: 1, divisor: 50, latencyEvents: 200, coldReps: 1 }
  : { reps: 5, divisor: 1, latencyEvents: 3000, coldReps: 5 };
if (opt('reps')) CONFIG.reps = CONFIG.coldReps = Math.max(1, Number(opt('reps')));
const OUT = path.resolve(opt('out') ?? path.join(ROOT, 'target', 'bench-browser', quick ? 'results-quick.md' : 'results.md'));
const RUN_MS = scaled(50000); // one stream, page side (under puppeteer's protocol timeout, scaled(60 s))

// (the twiggy build included: a cargo build when the sources changed since the last one)
const { check, cleanups, finish } = bookkeeping(quick ? 420000 : 1980000);

// ---- helpers ----------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN;
};
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);
const fmt = (x, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');
const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

const HAVE_PROC = fs.existsSync('/proc/self/task');

/** Every thread's CPU time (ns) in the process tree under `root`: { pid: { page, threads: { tid: ns } } }. */
function cpuSnapshot(root) {
  const out = {};
  for (const pid of processTree(root)) {
    try {
      const threads = {};
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        try {
          threads[tid] = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        } catch {
          /* gone */
        }
      }
      // A forked child (Chromium's zygote, Firefox's fork server) has its whole command line
      // in one argument: match the text. Renderers; content processes end with `tab`.
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out[pid] = { threads, page: / --type=renderer /.test(cmd) || / -contentproc .* tab$/.test(cmd) };
    } catch {
      /* gone */
    }
  }
  return out;
}

/** CPU ms between two snapshots: the whole tree, and the main thread (its pid) of the busiest
 *  page process. Thread by thread: a thread that ended in between takes its time with it
 *  (a process's total would drop), so what it ran since the first snapshot is not counted. */
function cpuDelta(a, b) {
  let total = 0;
  let busiest = null;
  for (const [pid, after] of Object.entries(b)) {
    let d = 0;
    for (const [tid, ns] of Object.entries(after.threads)) d += ns - (a[pid]?.threads[tid] ?? 0);
    total += d;
    const main = (after.threads[pid] ?? 0) - (a[pid]?.threads[pid] ?? 0);
    if (after.page && (!busiest || d > busiest.d)) busiest = { d, main };
  }
  return { totalMs: total / 1e6, mainMs: busiest ? busiest.main / 1e6 : NaN };
}

// ---- setup ------------------------------------------------------------------------------
if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js')) && IMPLS.some((i) => i.name === 'eventsource-wasm')) {
  console.error('dist/index.js is missing: npm run build first (npm run bench does)');
  process.exit(2);
}
const t0 = Date.now();
const peersDir = tempDir('bench-peers-');
cleanups.push(() => fs.rmSync(peersDir, { recursive: true, force: true }));
await bundlePeers(peersDir);
const server = await startServer({ divisor: CONFIG.divisor, peersDir });
cleanups.push(() => server.close());

const cpuModel =
  (HAVE_PROC && fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1]) || os.cpus()[0]?.model || '?';
let nproc;
try {
  nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
} catch {
  nproc = String(os.availableParallelism());
}
const machine = { nproc, cpuModel, node: process.version, loadStart: loadavg(), peers: versions() };
console.log(`machine: ${nproc} cores (nproc), ${cpuModel}; Node.js ${process.version}; load average ${machine.loadStart}`);
console.log(
  `config: ${CONFIG.reps} repetition(s), workloads ÷ ${CONFIG.divisor}, latency ${CONFIG.latencyEvents} events, cold start ×${CONFIG.coldReps} per variant`,
);

// Size: before the browsers, so that the twiggy build does not run beside a measurement.
const size = fs.existsSync(path.join(ROOT, 'dist', 'index.js')) ? await entrySize(path.join(ROOT, 'dist')) : null;
if (size)
  console.log(
    `size: ES entry ${size.total} B gzipped (wasm ${size.wasm} B + JS ${size.js} B: ${size.files.map((f) => f.file).join(', ')})`,
  );
const twiggy = await twiggyBreakdown(ROOT, path.join(ROOT, 'target', 'bench-browser', 'twiggy'));
console.log(
  twiggy.skipped
    ? `twiggy: breakdown skipped: ${twiggy.skipped}`
    : twiggy.error
      ? `twiggy: breakdown failed: ${twiggy.error}`
      : `twiggy: ${twiggy.code} B of code (target/bench-browser/twiggy/, ${twiggy.seconds.toFixed(1)} s)`,
);

// ---- one browser --------------------------------------------------------------------------
const results = []; // per browser
const COLD_VARIANTS = ['fresh', 'early'];
const COLD_LABELS = { fresh: 'fresh context', early: 'imported early' };

async function benchBrowser(name) {
  const r = { browser: name, version: null, info: null, throughput: [], latency: [], cold: [], failures: [] };
  const { browser, close } = await launch(name, { prefix: 'bench' });
  cleanups.push(close);
  r.version = await browser.version();
  r.loadStart = loadavg();
  const tb = Date.now();
  const rootPid = HAVE_PROC ? browser.process()?.pid : null;
  console.log(`\n== ${name} (${r.version})`);

  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e?.message ?? e)));
  await page.goto(`${server.origin}/benches/browser/page.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => !!window.__bench, { timeout: scaled(15000) });
  r.info = await page.evaluate((d, impls) => __bench.init(d, impls), CONFIG.divisor, IMPLS);
  console.log(`   page: crossOriginIsolated ${r.info.crossOriginIsolated}, performance.now() step ${r.info.timerStepMs} ms`);
  const cdp = name === 'chromium' ? await page.createCDPSession() : null;
  if (cdp) await cdp.send('Performance.enable');
  const taskSeconds = async () => {
    if (!cdp) return NaN;
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
  };

  /** One throughput run (an implementation, or 'floor'), with CPU time around it. */
  const one = async (impl, wname) => {
    if (cdp) await cdp.send('HeapProfiler.collectGarbage');
    if (!(await server.idle(5000))) r.failures.push(`${impl} ${wname}: a previous stream was still open after 5 s`);
    const task0 = await taskSeconds();
    const c0 = rootPid ? cpuSnapshot(rootPid) : null;
    const res =
      impl === 'floor'
        ? await page.evaluate((w) => __bench.floor(w), wname)
        : await page.evaluate((i, w, ms) => __bench.throughput(i, w, ms), impl, wname, RUN_MS);
    const c1 = rootPid ? cpuSnapshot(rootPid) : null;
    const task1 = await taskSeconds();
    const cpu = c0 ? cpuDelta(c0, c1) : { totalMs: NaN, mainMs: NaN };
    return { ...res, cpu: { ...cpu, cdpTaskMs: (task1 - task0) * 1000 } };
  };
  const names = [...IMPLS.map((i) => i.name), 'floor'];

  // Warm-up: every implementation once on the small events (JIT, the wasm instantiated).
  for (const impl of names) {
    const w = await one(impl, 'small');
    if (!w.ok) r.failures.push(`warm-up ${impl}: ${w.error ?? `${w.bad} events wrong of ${w.events}`}`);
  }
  // Self-test: a class that alters one event's data by one character must be reported.
  const st = await one('self-test', 'multibyte');
  r.selfTest = st.ok === false && st.bad === 1 && st.events === st.expected && st.firstBad?.index === 2;

  for (let rep = 0; rep < CONFIG.reps; rep++) {
    const tr = Date.now();
    for (const wname of WORKLOADS) {
      for (const impl of rotate(names, rep)) {
        const res = await one(impl, wname);
        r.throughput.push({ rep, impl, workload: wname, ...res });
        if (!res.ok)
          console.log(
            `   FAIL ${impl} ${wname}: ${res.error ?? ''} ${res.events}/${res.expected} events, ${res.bad} wrong${res.firstBad ? ` (first: ${JSON.stringify(res.firstBad)})` : ''}`,
          );
      }
    }
    console.log(`   repetition ${rep + 1}/${CONFIG.reps}: ${((Date.now() - tr) / 1000).toFixed(1)} s`);
  }

  // Latency: the events split over the repetitions, implementations alternating.
  const perPass = Math.max(50, Math.round(CONFIG.latencyEvents / CONFIG.reps));
  for (let rep = 0; rep < CONFIG.reps; rep++) {
    for (const { name: impl } of rotate(IMPLS, rep)) {
      await server.idle(5000);
      const res = await page.evaluate((i, n) => __bench.latency(i, n), impl, perPass);
      r.latency.push({ rep, impl, ...res });
      if (!res.ok) console.log(`   FAIL latency ${impl}: ${res.error ?? ''} ${res.events}/${res.expected} events, ${res.bad} wrong`);
    }
  }
  console.log(`   latency: ${CONFIG.reps} × ${perPass} events per implementation`);
  await page.close();

  // Cold start: a fresh browser context per measurement, after one not counted (the first
  // context of a session is slower to settle, whichever class it measures). Both variants
  // in each repetition (cold.mjs): fresh, then imported early (cold.html?early=<url>).
  const coldStart = async (url, early) => {
    await server.idle(5000);
    const ctx = await browser.createBrowserContext();
    try {
      const p = await ctx.newPage();
      try {
        await p.setCacheEnabled(false);
      } catch {
        /* Firefox: no-store does it */
      }
      await p.goto(`${server.origin}/benches/browser/cold.html${early ? `?early=${encodeURIComponent(url ?? '')}` : ''}`, {
        waitUntil: 'load',
      });
      await p.waitForFunction(() => !!window.__cold, { timeout: scaled(15000) });
      return await p.evaluate((u, e) => __cold({ url: u, early: e }), url ?? null, early);
    } finally {
      await ctx.close();
    }
  };
  await coldStart(null, false);
  for (let rep = 0; rep < CONFIG.coldReps; rep++) {
    for (const variant of COLD_VARIANTS) {
      for (const { name: impl, url } of rotate(IMPLS, rep)) {
        const res = await coldStart(url, variant === 'early');
        r.cold.push({ rep, impl, variant, ...res });
        if (!res.ok) console.log(`   FAIL cold start (${COLD_LABELS[variant]}) ${impl}: ${res.error}`);
      }
    }
  }
  console.log(`   cold start: ${CONFIG.coldReps} per implementation and variant (${COLD_VARIANTS.map((v) => COLD_LABELS[v]).join(', ')})`);
  if (pageErrors.length) r.failures.push(`page errors: ${pageErrors.slice(0, 3).join(' | ')}`);
  r.loadEnd = loadavg();
  r.seconds = (Date.now() - tb) / 1000;
  console.log(`== ${name}: ${r.seconds.toFixed(1)} s, load average ${r.loadEnd}`);
  cleanups.splice(cleanups.indexOf(close), 1);
  await close();
  return r;
}

for (const name of BROWSERS) {
  try {
    results.push(await benchBrowser(name));
  } catch (e) {
    check(false, `${name}: the run stopped: ${e.message}`);
  }
}

// ---- tables ---------------------------------------------------------------------------------
const lines = [];
const out = (s = '') => lines.push(s);
const targets = [];
const target = (ok, text) => targets.push(`${ok ? 'met   ' : 'missed'} ${text}`);
const kb = (b) => `${(b / 1000).toFixed(1)} KB`;

out(`# Browser benchmark${quick ? ' (--quick: a smoke run, not for figures)' : ''}`);
out();
out(
  `${new Date().toISOString().slice(0, 10)}; machine: ${nproc} cores (nproc), ${cpuModel}; Node.js ${process.version}; ` +
    `load average (1, 5, 15 min) ${machine.loadStart} at the start. ${CONFIG.reps} repetition(s), workloads ÷ ${CONFIG.divisor}. ` +
    `Peers: ${Object.entries(machine.peers)
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}.`,
);

/** A caption paragraph, then a markdown table: the first `left` columns aligned left, the rest right. */
function table(caption, head, rows, left = 1) {
  out();
  out(caption);
  out();
  out(`| ${head.join(' | ')} |`);
  out(`| ${head.map((_, i) => (i < left ? '---' : '---:')).join(' | ')} |`);
  for (const row of rows) out(`| ${row.join(' | ')} |`);
}
const signed = (x, digits) => `${x >= 0 ? '+' : ''}${fmt(x, digits)}`;
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const OURS = 'eventsource-wasm';

for (const r of results) {
  const bname = `${r.browser[0].toUpperCase()}${r.browser.slice(1)}`;
  out();
  out(`## ${bname} ${r.version}`);
  out();
  out(
    `Headless; ${r.seconds.toFixed(0)} s; load average ${r.loadStart} before, ${r.loadEnd} after; ` +
      `crossOriginIsolated ${r.info.crossOriginIsolated}, performance.now() step ${r.info.timerStepMs} ms.`,
  );

  const m = {}; // workload -> implementation -> figures
  const rows = [];
  for (const wname of WORKLOADS) {
    const stats = (m[wname] = {});
    for (const impl of [...IMPLS.map((i) => i.name), 'floor']) {
      const runs = r.throughput.filter((x) => x.workload === wname && x.impl === impl && x.ok);
      const ms = runs.map((x) => x.ms);
      stats[impl] = {
        ms: median(ms),
        min: Math.min(...ms),
        max: Math.max(...ms),
        fromConstruct: median(runs.map((x) => x.setupMs + x.ms)),
        cpu: median(runs.map((x) => x.cpu.totalMs / x.events)) * 1000,
        main: median(runs.map((x) => x.cpu.mainMs / x.events)) * 1000,
      };
    }
    for (const [impl, s] of Object.entries(stats)) {
      const stream = impl !== 'floor';
      rows.push([
        `${LABELS[wname]}${CONFIG.divisor > 1 ? ` ÷ ${CONFIG.divisor}` : ''}`,
        impl,
        fmt(s.ms, 1),
        `${fmt(s.min)}–${fmt(s.max)}`,
        ratio(s.ms, stats.native?.ms),
        ratio(s.ms, stats.eventsource?.ms),
        stream ? fmt(server.bytes[wname] / s.ms / 1000, 1) : '',
        stream ? `${fmt(s.fromConstruct, 1)} (${ratio(s.fromConstruct, stats.native?.fromConstruct)})` : '',
        fmt(s.cpu, 2),
        fmt(s.main, 2),
      ]);
    }
  }
  table(
    'Throughput: ms from `open` to the last event, median of the repetitions (min–max); × native and × eventsource: ' +
      "ratio of medians (lower is faster); MB/s: the stream's bytes over that time; construct → last: the same from the " +
      'constructor, connection included, and its ratio to native (bytes pile up in the socket before `open`, and a class that ' +
      "dispatches `open` late looks faster from `open`: Firefox's native class at times, on large streams); CPU per event: the whole browser " +
      "(every process and thread, over the run) and the page's main thread. floor: the same events created and dispatched as " +
      'MessageEvents on an EventTarget in a bare loop, no network, no parsing.',
    [
      'workload',
      'implementation',
      'median ms',
      'min–max',
      '× native',
      '× eventsource',
      'MB/s',
      'construct → last, ms (× native)',
      'CPU µs/event, browser',
      'CPU µs/event, main thread',
    ],
    rows,
    2,
  );

  table(
    "Latency: the server reads its clock and writes the event; the handler reads the page's clock, set to the server's by the " +
      '/clock exchange with the shortest round trip (the offset is shared by every implementation of the page, so differences are exact). ' +
      'Steady 1,000 events/s; samples pooled over the repetitions.',
    ['implementation', 'median ms', 'p99 ms', 'max ms', 'mean ms', 'mean ms, Date.now()', 'samples', 'clock round trip ms'],
    IMPLS.map(({ name: impl }) => {
      const runs = r.latency.filter((x) => x.impl === impl && x.ok);
      const samples = runs.flatMap((x) => x.samples.slice(10)); // the first events of a connection are not steady state
      const dates = runs.flatMap((x) => x.dateSamples.slice(10));
      return [
        impl,
        fmt(median(samples), 2),
        fmt(quantile(samples, 0.99), 2),
        fmt(Math.max(...samples), 1),
        fmt(mean(samples), 2),
        fmt(mean(dates), 2),
        String(samples.length),
        fmt(median(runs.map((x) => x.rtt)), 2),
      ];
    }),
  );

  const cold = {}; // variant -> implementation -> runs
  for (const v of COLD_VARIANTS) {
    cold[v] = {};
    for (const { name: impl } of IMPLS) cold[v][impl] = r.cold.filter((x) => x.impl === impl && (x.variant ?? 'fresh') === v && x.ok);
  }
  const firstMs = (impl, v = 'fresh') => median((cold[v][impl] ?? []).map((x) => x.firstEventMs));
  const coldRows = (v, last) =>
    IMPLS.map(({ name: impl }) => {
      const runs = cold[v][impl];
      const first = runs.map((x) => x.firstEventMs);
      const native = impl === 'native' || !cold[v].native?.length ? null : firstMs(impl, v) - firstMs('native', v);
      return [
        impl,
        fmt(median(first), 1),
        `${fmt(Math.min(...first), 1)}–${fmt(Math.max(...first), 1)}`,
        native === null ? '' : signed(native, 1),
        impl === 'native' ? '' : fmt(median(runs.map((x) => x.fetchMs ?? NaN)), 1),
        ...last(runs),
      ];
    });
  const wasmLine = (v) => {
    const wasmRuns = (cold[v][OURS] ?? []).filter((x) => x.wasm);
    if (!wasmRuns.length) return;
    const ms = (k) => fmt(median(wasmRuns.map((x) => x.wasm[k])), 1);
    out();
    out(
      `eventsource-wasm, ${COLD_LABELS[v]}, medians from construct: the wasm's request starts at ${ms('startMs')} ms, its response ends at ${ms('endMs')} ms; ` +
        'from there to the fetch() of the stream: compiling and instantiating it (a negative time: before the construct).',
    );
  };
  table(
    "Cold start, fresh context: a fresh browser context, HTTP cache disabled, every file `no-store`: construct → first event (the class's " +
      'module already imported; the wasm fetched at the import or when the first source is constructed, as the module does: see below), when the class called fetch() for the stream ' +
      '(the page wraps fetch to see it), and import → first event.',
    [
      'implementation',
      'construct → first event, median ms',
      'min–max',
      '− native ms',
      'construct → fetch() of the stream, ms',
      'import → first event, median ms',
    ],
    coldRows('fresh', (runs) => [fmt(median(runs.map((x) => x.totalMs)), 1)]),
  );
  wasmLine('fresh');
  table(
    'Cold start, imported early: the same fresh context, but the page imports the module at load, awaits it and one setTimeout(0) ' +
      "(the module's top-level work done), and constructs when the harness asks, later: construct → first event; the import (at load) and " +
      'the time from its end to the construct for reference.',
    [
      'implementation',
      'construct → first event, median ms',
      'min–max',
      '− native ms',
      'construct → fetch() of the stream, ms',
      'import at load, median ms',
      'import → construct, median ms',
    ],
    coldRows('early', (runs) => [
      runs.length && runs[0].importMs !== undefined ? fmt(median(runs.map((x) => x.importMs)), 1) : '–',
      fmt(median(runs.map((x) => x.idleMs ?? NaN)), 1),
    ]),
  );
  wasmLine('early');

  /** Target: ours at most `factor` × `peer`'s median time on `wname`. */
  const versus = (wname, peer, factor) => {
    const a = m[wname]?.[OURS]?.ms;
    const b = m[wname]?.[peer]?.ms;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return;
    target(a <= factor * b, `${bname}: ${LABELS[wname]} ≤ ${factor.toFixed(1)}× ${peer}: ${ratio(a, b)} (${fmt(a)} ms vs ${fmt(b)} ms)`);
  };
  versus('small', 'native', 0.2);
  versus('small', 'eventsource', 1);
  versus('large', 'eventsource', 0.5);
  if (cold.fresh[OURS]?.length && cold.fresh.native?.length) {
    const d = firstMs(OURS) - firstMs('native');
    target(
      d <= 10,
      `${bname}: cold start within 10 ms of native: ${signed(d, 1)} ms (${fmt(firstMs(OURS), 1)} ms vs ${fmt(firstMs('native'), 1)} ms, construct → first event)`,
    );
  }
  for (const v of COLD_VARIANTS) {
    if (!cold[v][OURS]?.length || !cold[v].native?.length) continue;
    const d = firstMs(OURS, v) - firstMs('native', v);
    target(
      d <= 3,
      `${bname}: cold start (${COLD_LABELS[v]}) within 3 ms of native: ${signed(d, 1)} ms (${fmt(firstMs(OURS, v), 1)} ms vs ${fmt(firstMs('native', v), 1)} ms, construct → first event)`,
    );
  }
}

// ---- size ---------------------------------------------------------------------------------------
const num = (b) => fmt(b);
if (size) {
  const sumRaw = (fs_) => fs_.reduce((a, f) => a + f.raw, 0);
  const sumGz = (fs_) => fs_.reduce((a, f) => a + f.gzip, 0);
  const rows = [
    ['wasm', 'eventsource_wasm_bg.wasm', num(size.wasmRaw), num(size.wasm)],
    ['JS: dist/index.js and its static imports', size.files.map((f) => f.file).join(', '), num(size.jsRaw), num(size.js)],
    ['**ES entry** (wasm + JS)', '', num(size.wasmRaw + size.jsRaw), `**${num(size.total)}**`],
  ];
  if (size.lazy.length)
    rows.push([
      'loaded on demand (dynamic import(), not counted)',
      size.lazy.map((f) => f.file).join(', '),
      num(sumRaw(size.lazy)),
      num(sumGz(size.lazy)),
    ]);
  for (const s of size.subpaths)
    rows.push([
      `subpath ${s.subpath} (${s.file}) adds`,
      s.files.map((f) => f.file).join(', ') || '(nothing)',
      num(sumRaw(s.files)),
      num(s.gzip),
    ]);
  rows.push([
    'classic script (wasm inlined)',
    size.classic?.file ?? '(missing)',
    num(size.classic?.raw ?? NaN),
    num(size.classic?.gzip ?? NaN),
  ]);
  out();
  out('## Size');
  table(
    'What a page that imports only `eventsource-wasm` downloads (dist/index.js, every JS file it imports statically, followed ' +
      'through the built files, and the wasm), each file gzip -9 alone, as served (and as scripts/build.sh counts); bytes. JS file by file: ' +
      `${size.files.map((f) => `${f.file} ${num(f.gzip)}`).join(', ')}.`,
    ['part', 'files', 'raw bytes', 'gzip -9 bytes'],
    rows,
    2,
  );
  target(size.total <= 16000, `ES entry ≤ 16 KB gzipped: ${kb(size.total)} (wasm ${kb(size.wasm)} + JS ${kb(size.js)}, gzip -9 of dist/)`);
  target(size.total <= 12000, `ES entry ≤ 12 KB gzipped (stretch): ${kb(size.total)}`);
}

out();
out('## Wasm code by bucket (twiggy)');
if (twiggy.skipped || twiggy.error) {
  out();
  out(twiggy.skipped ? `Skipped: ${twiggy.skipped}.` : `Not available: ${twiggy.error}`);
} else {
  const pct = (b) => `${((100 * b) / twiggy.code).toFixed(1)}%`;
  const sym = (n) =>
    `\`${n
      .replace(/\[[0-9a-f]{16}\]/g, '')
      .replaceAll('|', '\\|')
      .replaceAll('`', "'")}\``;
  const short = (n, max = 110) => (n.length > max ? `${n.slice(0, max - 1)}…` : n);
  table(
    'The wasm built as scripts/build.sh builds it (its cargo, wasm-bindgen and wasm-opt lines, feature flags included) but with ' +
      'the function names kept (wasm-bindgen --keep-debug, wasm-opt --debuginfo; target/bench-browser/twiggy/), from the current sources ' +
      `(not necessarily those of dist/). \`twiggy top\`'s rows, grouped by symbol: raw bytes of code (function bodies), ` +
      `${num(twiggy.names)} B of "function names" subsection and ${num(twiggy.nonCode)} B of data, types, imports, exports and ` +
      `sections excluded; ${num(twiggy.fileBytes)} B in all. "in the top 25": the bytes of \`twiggy top -n 25\`'s rows.`,
    ['bucket', 'code bytes', 'share', 'functions', 'in the top 25', 'largest'],
    [
      ...Object.entries(twiggy.buckets).map(([b, s]) => [
        b,
        num(s.bytes),
        pct(s.bytes),
        String(s.items),
        num(s.top),
        s.largest ? `${sym(short(s.largest.name.replace(/\[[0-9a-f]{16}\]/g, ''), 90))} (${num(s.largest.bytes)})` : '',
      ]),
      [
        '**all code**',
        `**${num(twiggy.code)}**`,
        '100%',
        String(Object.values(twiggy.buckets).reduce((a, s) => a + s.items, 0)),
        num(Object.values(twiggy.buckets).reduce((a, s) => a + s.top, 0)),
        '',
      ],
    ],
  );
  table(
    '`twiggy top -n 25` (crate hashes removed):',
    ['item', 'bucket', 'bytes'],
    twiggy.top.map((t) => [sym(short(t.name.replace(/\[[0-9a-f]{16}\]/g, ''), 140)), t.bucket ?? '(not code)', num(t.bytes)]),
    2,
  );
}
out();
out(quick ? '## Targets (a --quick run: workloads too small to judge them)' : '## Targets');
out();
out('```text');
for (const t of targets) out(t);
out('```');

const md = lines.join('\n');
console.log(`\n${md}\n`);
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, `${md}\n`);
fs.writeFileSync(
  OUT.replace(/\.md$/, '.json'),
  JSON.stringify({ config: CONFIG, machine, size, twiggy, results }, (k, v) => (k === 'samples' || k === 'dateSamples' ? undefined : v), 1),
);
console.log(`written: ${path.relative(process.cwd(), OUT)} (and .json)\n`);

// ---- the only assertions: every event delivered, intact -----------------------------------------
for (const r of results) {
  for (const { name: impl } of [...IMPLS, { name: 'floor' }]) {
    const runs = [
      ...r.throughput.filter((x) => x.impl === impl),
      ...r.latency.filter((x) => x.impl === impl),
      ...r.cold.filter((x) => x.impl === impl),
    ];
    const bad = runs.filter((x) => !x.ok);
    check(
      runs.length > 0 && bad.length === 0,
      `${r.browser.padEnd(8)} ${impl}: ${runs.length - bad.length} of ${runs.length} runs delivered every event, data and id as sent`,
      bad
        .slice(0, 3)
        .map(
          (x) =>
            `${x.workload ?? 'latency/cold'}: ${x.error ?? ''} ${x.events ?? ''}/${x.expected ?? ''} events, ${x.bad ?? 0} wrong${x.firstBad ? `, first ${JSON.stringify(x.firstBad)}` : ''}`,
        ),
    );
  }
  check(
    r.selfTest,
    `${r.browser.padEnd(8)} self-test: a class that alters one event's data by one character is reported (1 event wrong, the third)`,
  );
  for (const f of r.failures) check(false, `${r.browser}: ${f}`);
}
await finish(`total ${((Date.now() - t0) / 1000).toFixed(0)} s; load average ${loadavg()} at the end`);
