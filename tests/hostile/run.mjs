#!/usr/bin/env node
// Hostile input and security, in headless Chromium and Firefox (one at a time), against a
// loopback server (server.mjs):
//
//   huge     `data: ` and then 200 MiB without a line ending, generated on the fly, to OUR
//            class, with the default maxBufferSize (16 MiB) and with 1 MiB, each in a fresh
//            page (a fresh wasm instance: its memory never shrinks): one `error`, CLOSED,
//            reason 'buffer-full'; the wasm memory stays within 3 × the cap + 8 MiB, whatever
//            the stream's length; the server sees the connection closed early; the page
//            survives. The NATIVE class as a reference (the server stops at 64 MiB): what it
//            does is printed, never judged.
//   diff     random byte streams (seeded; a grammar of the parser's edge cases, mutations of
//            it, raw bytes: streams.mjs), each through ours and the native class in
//            the same page; the events (type, data, lastEventId) and the final readyState
//            compared. A difference that is exactly a native deviation docs/compatibility.md lists
//            (each deviation is an executable model of that browser's parser, and names the
//            words docs/compatibility.md must contain) is counted and printed, not failed; any other
//            difference fails, printed with the stream minimized (hex) and both event lists.
//            Ours is also held to a model of the standard (specEvents) on every stream. And
//            event names such as __proto__ or constructor reach their listeners and change
//            no prototype.
//   csp      pages served with `Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval';
//            object-src 'none'; base-uri 'none'` (no inline script, no eval): the ES entry and
//            the classic script work and cause no violation; without 'wasm-unsafe-eval' the ES
//            entry fails as README says ('module'), and what the classic script does is checked.
//   cred     cookies go cross-origin only with withCredentials / credentials: 'include':
//            directly, across a redirect to another origin or back to the page's origin, and
//            on the reconnection to the final URL (tests/e2e covers the direct cases only).
//   headers  custom headers across redirects are what fetch() itself sends (same-origin and
//            cross-origin, Authorization, POST bodies through 302/303/307/308); the
//            reconnection after a same-origin redirect sends them again, the one after a
//            redirect to another origin does not send Authorization there.
//   slots    9 sources of ours that followed a redirect, opened and closed one after
//            another: they must free the host's connections exactly as plain fetch() does in
//            the same page (Chromium: all 9 open. Firefox 153 keeps the connection of an
//            aborted fetch that followed a redirect, a Firefox bug: after 6, the host's
//            connection slots are gone, for fetch() and for ours). Native as a reference.
//
// Every case of cred, headers and slots runs on a fresh pair of origins (new ports: new
// connection pools), so that none depends on the connection slots another case left behind.
//
//   node tests/hostile/run.mjs [--browser=chromium,firefox] [--only=huge,diff,csp,cred,headers,slots]
//                                      [--streams=1000] [--verbose]
//   env: HOSTILE_SEED (the differential's seed: a number, default 1, or `random`; printed),
//        HOSTILE_TIMEOUT_MS (whole run, default 180000, more with --streams), E2E_CHROMIUM / E2E_FIREFOX
//
// One line per check, then exactly `N passed, N failed`; exit 1 on any failure.

import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { launch, processTree } from '../browsers.mjs';
import { bookkeeping, scaled, withTimeout } from '../runner.mjs';
import { ROOT } from '../static.mjs';
import { startServer, MiB } from './server.mjs';
import { rng, generate, specEvents, firefoxEvents, chromiumEvents, typesOf, hex, FIREFOX_KNOWN, FIREFOX_ALL } from './streams.mjs';

const t0 = Date.now();

// ---- arguments ----------------------------------------------------------------------------
const args = process.argv.slice(2);
const opt = (name) => args.filter((a) => a.startsWith(`--${name}=`)).flatMap((a) => a.slice(name.length + 3).split(','));
const unknown = args.filter((a) => !/^--(browser|only|streams)=.+$|^--verbose$/.test(a));
if (unknown.length) {
  console.error(`unknown argument(s): ${unknown.join(' ')}`);
  process.exit(2);
}
const BROWSERS = opt('browser').length ? opt('browser') : ['chromium', 'firefox'];
const ALL_PARTS = ['huge', 'diff', 'csp', 'cred', 'headers', 'slots'];
const PARTS = opt('only').length ? opt('only') : ALL_PARTS;
const STREAMS = Number(opt('streams')[0] ?? 1000);
const VERBOSE = args.includes('--verbose');
// A fixed seed by default, so that a run's streams are the same every time (CI); `random` for new ones.
const SEED = process.env.HOSTILE_SEED === 'random' ? (Math.random() * 2 ** 32) >>> 0 : Number(process.env.HOSTILE_SEED ?? 1) >>> 0;
const CONCURRENCY = 3; // streams at a time, each through both classes: 6 connections
for (const b of BROWSERS)
  if (!['chromium', 'firefox'].includes(b)) {
    console.error(`unknown browser ${b}`);
    process.exit(2);
  }
for (const p of PARTS)
  if (!ALL_PARTS.includes(p)) {
    console.error(`unknown part ${p}`);
    process.exit(2);
  }
if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
  console.error('dist/index.js is missing: build first (npm run build)');
  process.exit(2);
}
if (!(STREAMS >= 1)) {
  console.error('--streams wants a number ≥ 1');
  process.exit(2);
}
// The native classes' documented deviations: docs/compatibility.md, "Where the native classes differ".
const DEVIATIONS_DOC = fs.readFileSync(path.join(ROOT, 'docs', 'compatibility.md'), 'utf8').replace(/\s+/g, ' ');

// ---- results: a global time limit, browsers killed, the server closed ----------------------
const tally = bookkeeping(Number(process.env.HOSTILE_TIMEOUT_MS ?? 180000 + 40 * Math.max(0, STREAMS - 1000)));
const { check, cleanups } = tally;
const info = (line) => console.log(`     ${line}`);
const show = (v, max = 400) => {
  const s = JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
};
const mib = (n) => `${(n / MiB).toFixed(1)} MiB`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of a process and all its descendants (the whole browser), in bytes. */
function treeRss(root) {
  let total = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      /* gone */
    }
  }
  return total;
}
/** Samples treeRss every 100 ms (a measurement, not a synchronisation); stop() gives the peak. */
function rssSampler(pid) {
  if (!pid) return { stop: () => null };
  let peak = treeRss(pid);
  const base = peak;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss(pid));
  }, 100);
  return {
    base,
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, treeRss(pid));
      return { base, peak };
    },
  };
}

// ---- server, browsers ---------------------------------------------------------------------
const server = await startServer();
cleanups.push(() => server.close());
const { A } = server;
const pagePath = '/tests/hostile/page.html';

async function openPage(browser, consoleLines) {
  const page = await browser.newPage();
  page.on('console', (m) => consoleLines?.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines?.push(`pageerror: ${e?.message ?? e}`));
  return page;
}
/** Loads the test page from `origin` in `page` (a new tab if none). */
async function hostilePage(browser, consoleLines, origin = A, page = null) {
  page ??= await openPage(browser, consoleLines);
  await withTimeout(page.goto(`${origin}${pagePath}`, { waitUntil: 'load' }), 20000, 'loading the page');
  await withTimeout(
    page.waitForFunction(() => !!window.__hostile, { timeout: scaled(15000) }),
    20000,
    'the page module',
  );
  return page;
}
/** A fresh pair of origins, and `page` navigated to A's test page: { A, B }. */
async function freshOrigins(page) {
  const o = await server.pair();
  await hostilePage(null, null, o.A, page);
  return o;
}
const call = (page, ms, fn, ...a) => withTimeout(page.evaluate(fn, ...a), ms, fn.name || 'page call');

// ---- (a) a 200 MiB line -------------------------------------------------------------------
/** The bound the wasm memory must stay within, for a cap: it depends on the cap, never on
 *  the length of the line. (Measured: 2.1 × the default cap, 3.3 × a 1 MiB one: the buffer
 *  doubles as it grows, never past the cap, and the allocator keeps what it freed; the
 *  browser's chunks, up to 2 MiB, are copied in 64 KiB at a time. Before that copy was
 *  bounded: 2 to 4.5 ×.) */
const memoryBound = (cap) => 3 * cap + 8 * MiB;

async function partHuge(bname, browser, consoleLines) {
  const pid = browser.process()?.pid;
  // Ours: with the default maxBufferSize (16 MiB), then with 1 MiB, each in a fresh page.
  for (const [cap, init] of [
    [16 * MiB, undefined],
    [MiB, { maxBufferSize: MiB }],
  ]) {
    const what = `ours, maxBufferSize ${mib(cap)}${init ? '' : ' (the default)'}`;
    const page = await hostilePage(browser, consoleLines);
    try {
      const run = `ours-${bname}-${cap}`;
      const warm = await call(page, 20000, (url) => window.__hostile.warmUp('ours', url), `${A}/alive`);
      const sampler = rssSampler(pid);
      await call(page, 10000, (url, it) => window.__hostile.hugeStart('ours', url, it), `${A}/huge?run=${run}`, init);
      let took = null;
      try {
        took = await call(page, 90000, () => window.__hostile.hugeUntilError());
      } catch (e) {
        info(`${what}: ${e.message}`);
      }
      const closed = await server.hugeClosed(run, 15000);
      await sleep(300); // only to show that nothing more happens (no reconnection, no event)
      const state = await call(page, 10000, () => window.__hostile.hugeState(false));
      const rss = sampler.stop();
      const rec = server.huge(run);
      check(
        isDeepStrictEqual(state.log, ['open', ['error', 2, 'buffer-full']]) && state.readyState === 2,
        `${bname} huge: ${what}, a 200 MiB line: one error, CLOSED, reason 'buffer-full'`,
        [`events: ${show(state.log)}${took ? ` (the error ${took.ms} ms after the source was created)` : ''}`],
      );
      check(state.memory <= memoryBound(cap), `${bname} huge: ${what}, wasm memory ≤ 3 × the cap + 8 MiB (${mib(memoryBound(cap))})`, [
        `wasm linear memory ${mib(warm.memory)} before, ${mib(state.memory)} after (${(state.memory / cap).toFixed(1)} × the cap); ` +
          `whole browser RSS ${rss ? `${mib(rss.base)} before, peak ${mib(rss.peak)} (+${mib(rss.peak - rss.base)})` : 'not measured'}`,
      ]);
      // What the server sent beyond the cap sat in the socket buffers and the browser's
      // (measured up to 15 MiB: more, the faster the browser reads).
      check(
        closed && rec.sent <= cap + 32 * MiB && rec.end === 'client closed the connection',
        `${bname} huge: ${what}, the client closed the connection after at most the cap + 32 MiB`,
        [`the server sent ${mib(rec.sent)} (${rec.sent} bytes) of 200 MiB: ${rec.end}`],
      );
      const after = await call(page, 15000, (url) => window.__hostile.alive('ours', url), `${A}/alive`);
      check(
        after.some((e) => e[0] === 'message' && e[1] === 'alive'),
        `${bname} huge: ${what}, the page survives (a new source receives an event)`,
        [`events: ${show(after)}`],
      );
    } finally {
      await page.close().catch(() => {});
    }
  }

  // Native, as a reference: the server stops at 64 MiB.
  const page = await hostilePage(browser, consoleLines);
  try {
    const nrun = `native-${bname}`;
    const nsampler = rssSampler(pid);
    await call(page, 10000, (url) => window.__hostile.hugeStart('native', url), `${A}/huge?run=${nrun}&cap=${64 * MiB}`);
    await server.hugeSettled(nrun, 60000);
    await sleep(1000); // only to show that nothing more happens once the server stopped
    const nstate = await call(page, 10000, () => window.__hostile.hugeState(true));
    const nrss = nsampler.stop();
    const nrec = server.huge(nrun);
    await server.hugeClosed(nrun, 10000);
    const nafter = await call(page, 15000, (url) => window.__hostile.alive('native', url), `${A}/alive`);
    info(
      `${bname} huge: native (reference, not judged): server ${nrec?.end ?? 'no request'} after ${mib(nrec?.sent ?? 0)}; ` +
        `readyState ${nstate.readyState}, events ${show(nstate.log)}; whole browser RSS ${
          nrss ? `${mib(nrss.base)} before, ` + `peak ${mib(nrss.peak)} (+${mib(nrss.peak - nrss.base)})` : 'not measured'
        }; afterwards a new native source: ${show(nafter)}`,
    );
  } finally {
    await page.close().catch(() => {});
  }
}

// ---- (b) the differential -----------------------------------------------------------------
const expected = (events) => [['@open'], ...events, ['@error', 0]];
/**
 * Where the native classes depart from the standard, each as an executable model of the
 * browser's parser (streams.mjs). A native result equal to one of these models is a
 * deviation; it is excused only if docs/compatibility.md ("Where the native classes differ") says
 * each of the words in `words`, else it fails like any other difference. `propose` is the
 * wording for docs/compatibility.md of those this differential found. Ours is always held to the standard.
 */
const DEVIATIONS = {
  chromium: [
    {
      why: 'Chromium takes a CR or LF right after a leading BOM as the start of the next line, which is then ignored',
      words: ['right after the leading BOM'],
      propose: 'Chromium 156 … takes a CR or LF right after the leading BOM as the start of the next line, which is then ignored',
      events: (b) => chromiumEvents(b),
    },
  ],
  firefox: [
    {
      why: 'Firefox does not update the last event ID on an event without data, and mishandles ids containing NUL',
      words: ['does not update the last event ID on an event without data', 'mishandles ids containing NUL'],
      events: (b) => firefoxEvents(b, FIREFOX_KNOWN),
    },
    {
      why: 'the same, and Firefox drops a NUL inside a field value (not as its first character) and a NUL that starts a line after an LF',
      words: ['does not update the last event ID on an event without data', 'mishandles ids containing NUL', 'drops a NUL'],
      propose:
        'Firefox 153 ESR … drops a NUL in a field value (except as its first character) and at the start of a line that follows an LF',
      events: (b) => firefoxEvents(b, FIREFOX_ALL),
    },
  ],
};
for (const list of Object.values(DEVIATIONS)) for (const d of list) d.documented = d.words.every((w) => DEVIATIONS_DOC.includes(w));
/** 'same' | 'ours-off-spec' | 'different' | the index of the native deviation that explains it. */
function classify(bname, bytes, r) {
  const spec = expected(specEvents(bytes));
  const oursOk = isDeepStrictEqual(r.ours, spec);
  if (!oursOk) return 'ours-off-spec';
  if (isDeepStrictEqual(r.ours, r.native)) return 'same';
  const k = DEVIATIONS[bname].findIndex((d) => isDeepStrictEqual(r.native, expected(d.events(bytes))));
  return k >= 0 ? k : 'different';
}

function makeStreams() {
  const streams = [];
  for (let i = 0; i < STREAMS; i++) {
    const r = rng((SEED + Math.imul(i + 1, 0x9e3779b1)) >>> 0);
    const { kind, bytes } = generate(r);
    // The body in one to four writes, cut at random places.
    const cuts = Array.from({ length: r.int(4) }, () => r.int(bytes.length + 1)).sort((x, y) => x - y);
    streams.push({ i, kind, bytes, cuts, types: typesOf(bytes) });
  }
  return streams;
}
let STREAM_SET = null;

/** Runs streams through ours and native, from the page's own origin. */
async function runStreams(page, list, tag) {
  const origin = new URL(page.url()).origin;
  const items = list.map((s) => {
    const key = `${tag}-${s.i}`;
    server.putStream(key, s.bytes, s.cuts);
    return { url: `${origin}/diff/${encodeURIComponent(key)}`, types: s.types };
  });
  return call(page, 30000 + 200 * items.length, (it, c) => window.__hostile.diffBatch(it, c), items, CONCURRENCY);
}

/** Removes byte ranges (halves, quarters, … single bytes) while the stream still fails the
 *  same way (`cls`, from classify); at most 150 trials. */
async function minimize(bname, page, bytes, cls) {
  let best = bytes;
  let trials = 0;
  const stillFails = async (candidate) => {
    trials++;
    const [r] = await runStreams(page, [{ i: `min${trials}`, bytes: candidate, cuts: [], types: typesOf(candidate) }], `min-${bname}`);
    return classify(bname, candidate, r) === cls ? r : null;
  };
  let lastResult = null;
  for (let size = Math.max(1, best.length >> 1); size >= 1 && trials < 150; size = size >> 1) {
    for (let at = 0; at < best.length && trials < 150; ) {
      const candidate = Uint8Array.from([...best.subarray(0, at), ...best.subarray(at + size)]);
      const r = await stillFails(candidate);
      if (r) {
        best = candidate;
        lastResult = r;
      } else at += size;
    }
  }
  return { bytes: best, result: lastResult, trials };
}

async function partDiff(bname, page) {
  STREAM_SET ??= makeStreams();
  const { A } = await freshOrigins(page);
  const started = Date.now();
  const devs = DEVIATIONS[bname];
  const counts = { same: 0, 'ours-off-spec': 0, different: 0 };
  const byDeviation = devs.map(() => []);
  const bad = { different: [], 'ours-off-spec': [] };
  const BATCH = 100;
  for (let at = 0; at < STREAM_SET.length; at += BATCH) {
    const list = STREAM_SET.slice(at, at + BATCH);
    const results = await runStreams(page, list, `d-${bname}`);
    list.forEach((s, k) => {
      const c = classify(bname, s.bytes, results[k]);
      if (typeof c === 'number') byDeviation[c].push({ s, r: results[k] });
      else counts[c]++;
      if (bad[c]) bad[c].push({ s, r: results[k], c });
    });
    server.dropStreams();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const kinds = {};
  for (const s of STREAM_SET) kinds[s.kind] = (kinds[s.kind] ?? 0) + 1;
  const bytes = STREAM_SET.reduce((n, s) => n + s.bytes.length, 0);
  const documented = devs.reduce((n, d, k) => n + (d.documented ? byDeviation[k].length : 0), 0);
  const undocumented = devs.reduce((n, d, k) => n + (d.documented ? 0 : byDeviation[k].length), 0);
  const lines = [
    `${STREAM_SET.length} streams (${Object.entries(kinds)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}; ${mib(bytes)}), seed ${SEED}, ${secs} s: ` +
      `${counts.same} identical, ${documented} native deviations docs/compatibility.md lists, ${undocumented} native deviations it does not list, ` +
      `${counts.different} other differences (and ${counts['ours-off-spec']} where ours is off the standard)`,
  ];
  devs.forEach((d, k) => {
    const list = byDeviation[k];
    lines.push(`  ${list.length} × ${d.documented ? '(documented)' : list.length ? 'NOT DOCUMENTED:' : '(not documented)'} ${d.why}`);
    const shortest = list.reduce((m, x) => (!m || x.s.bytes.length < m.s.bytes.length ? x : m), null);
    if (shortest && (!d.documented || VERBOSE)) {
      lines.push(
        `    shortest: stream #${shortest.s.i}, ${shortest.s.bytes.length} bytes: ${hex(shortest.s.bytes).slice(0, 240)}`,
        `      ours (the standard): ${show(shortest.r.ours, 300)}`,
        `      native:              ${show(shortest.r.native, 300)}`,
      );
      if (!d.documented) lines.push(`    docs/compatibility.md should say (the runner looks for ${show(d.words)}): ${d.propose}`);
    }
  });
  // The first few failures, minimized.
  const examples = async (list) => {
    const out = [];
    for (const { s, r, c } of list.slice(0, 3)) {
      const m = await minimize(bname, page, s.bytes, c);
      const rr = m.result ?? r;
      out.push(
        `stream #${s.i} (${s.kind}, ${c}), minimized in ${m.trials} trials to ${m.bytes.length} bytes: ${hex(m.bytes)}`,
        `  ours:     ${show(rr.ours, 600)}`,
        `  native:   ${show(rr.native, 600)}`,
        `  standard: ${show(expected(specEvents(m.bytes)), 600)}`,
      );
    }
    return out;
  };
  lines.push(...(await examples(bad.different)));
  check(
    counts.different === 0 && undocumented === 0,
    `${bname} diff: ours and native agree on every stream but native deviations docs/compatibility.md lists`,
    [lines],
  );
  check(counts['ours-off-spec'] === 0, `${bname} diff: ours matches the model of the standard on every stream`, [
    counts['ours-off-spec'] ? `${counts['ours-off-spec']} streams off the model` : '',
    await examples(bad['ours-off-spec']),
  ]);

  // Event names a hostile server may pick.
  const names = [
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '__defineGetter__',
    'then',
    'onmessage',
    'close',
    'readyState',
    'url',
  ];
  const text = `${names.map((n, i) => `event: ${n}\ndata: ${i}\nid: ${n}\n\n`).join('')}data: last\n\n`;
  const pbytes = new TextEncoder().encode(text);
  server.putStream(`proto-${bname}`, pbytes, []);
  const pr = await call(page, 20000, (u) => window.__hostile.protoNames(u), `${A}/diff/proto-${bname}`);
  const want = specEvents(pbytes).filter((e) => pr.names.includes(e[0]));
  check(
    isDeepStrictEqual(pr.log, want) &&
      pr.changed.length === 0 &&
      pr.plain === null &&
      pr.onmessage === null &&
      isDeepStrictEqual(pr.ownAfter, pr.ownBefore),
    `${bname} diff: ours, event names such as __proto__ and constructor reach their listeners and change no prototype`,
    [
      `${pr.log.length} events to their listeners (${want.length} expected); prototype properties changed: ${show(pr.changed)}; ` +
        `own properties of the source ${show(pr.ownAfter)}; onmessage ${show(pr.onmessage)}`,
      isDeepStrictEqual(pr.log, want) ? '' : `events ${show(pr.log, 800)}`,
    ],
  );
  server.dropStreams();
}

// ---- (c) Content-Security-Policy ----------------------------------------------------------
async function partCsp(bname, browser) {
  const runPage = async (file, csp) => {
    const lines = [];
    const page = await openPage(browser, lines);
    try {
      await withTimeout(page.goto(`${A}/tests/hostile/${file}?csp=${csp}`, { waitUntil: 'load' }), 20000, 'loading');
      const result = await withTimeout(
        page.evaluate(() => window.__csp.done),
        20000,
        'the CSP page',
      );
      return { ...result, console: lines.slice() };
    } catch (e) {
      return { error: e.message, console: lines.slice() };
    } finally {
      await page.close().catch(() => {});
    }
  };
  const works = ['open', ['message', 'one'], ['message', 'two']];
  for (const [file, what] of [
    ['csp-module.html', 'the ES entry'],
    ['csp-classic.html', 'the classic script'],
  ]) {
    const r = await runPage(file, 'strict');
    check(
      r.loaded &&
        isDeepStrictEqual(r.log, works) &&
        r.violations.length === 0 &&
        r.evalResult === 'EvalError' &&
        r.evalViolation.length >= 1,
      `${bname} csp: strict policy, ${what}: a source opens and receives events, no violation, eval refused`,
      [
        `events ${show(r.log)}; violations ${show(r.violations)}; eval: ${r.evalResult}, reported as ${show(r.evalViolation)}`,
        r.error,
        VERBOSE || !r.loaded ? r.console : [],
      ],
    );
  }
  // Without 'wasm-unsafe-eval' the compilation is refused; both compile asynchronously (the
  // classic script too: js/classic.js), so both load, and their sources fail.
  for (const [file, what] of [
    ['csp-module.html', 'the ES entry'],
    ['csp-classic.html', 'the classic script'],
  ]) {
    const m = await runPage(file, 'nowasm');
    check(
      m.loaded &&
        isDeepStrictEqual(m.log, [['error', 2, 'module']]) &&
        m.console.some((l) => l.startsWith('console.error: eventsource-wasm: the WebAssembly module did not load')),
      `${bname} csp: without 'wasm-unsafe-eval', ${what} logs an error and fires error, CLOSED, reason 'module'`,
      [`events ${show(m.log)}; violations ${show(m.violations)}`, m.console.slice(0, 3), m.error],
    );
  }
}

// ---- (d) credentials across redirects -----------------------------------------------------
/** A URL on `from` that redirects (`status`) to /target?key=<key> on origin `to`. */
const via = (from, to, key, status = 302, extra = '') =>
  `${from}/redir?status=${status}&to=${to}&key=${key}&path=${encodeURIComponent(`/target?key=${key}${extra}`)}`;
const hasCookie = (req, name) => (req?.headers.cookie ?? '').split('; ').includes(`${name}=1`);

async function partCred(bname, page) {
  // Cookies ignore ports: set once for the host 127.0.0.1, every origin of the run has it.
  const name = `hc_${bname}_${Date.now().toString(36)}`;
  const cases = [
    // [label, from, to (null: no redirect), init, impls, expect the cookie at the target, messages (2: a reconnection)]
    ['a cross-origin URL, no credentials', 'B', null, undefined, ['native', 'ours'], false, 1],
    ['a cross-origin URL, withCredentials', 'B', null, { withCredentials: true }, ['native', 'ours'], true, 1],
    ['a same-origin URL redirected to another origin, no credentials', 'A', 'B', undefined, ['native', 'ours'], false, 1],
    ['a same-origin URL redirected to another origin, withCredentials', 'A', 'B', { withCredentials: true }, ['native', 'ours'], true, 1],
    ["a same-origin URL redirected to another origin, credentials: 'include'", 'A', 'B', { credentials: 'include' }, ['ours'], true, 1],
    ["a cross-origin URL redirected back to the page's origin, no credentials", 'B', 'A', undefined, ['native', 'ours'], false, 1],
    ['a same-origin URL redirected to another origin, no credentials, and the reconnection there', 'A', 'B', undefined, ['ours'], false, 2],
    [
      'a same-origin URL redirected to another origin, withCredentials, and the reconnection there',
      'A',
      'B',
      { withCredentials: true },
      ['ours'],
      true,
      2,
    ],
  ];
  let first = true;
  for (const [label, from, to, init, impls, want, n] of cases) {
    const o = await freshOrigins(page);
    if (first) await call(page, 10000, (u, c) => window.__hostile.setCookie(u, c), o.B, name);
    first = false;
    const seen = {};
    for (const impl of impls) {
      const key = `cred-${bname}-${impl}-${label.replace(/\W+/g, '')}`;
      const extra = n > 1 ? '&end=1' : '';
      const url = to ? via(o[from], to, key, 302, extra) : `${o[from]}/target?key=${key}${extra}`;
      const log = await call(page, 20000, (i, u, it, m) => window.__hostile.once(i, u, it, m), impl, url, init, n);
      const reqs = server.log(`target:${key}`);
      seen[impl] = { log, cookie: reqs.map((r) => hasCookie(r, name)), origin: reqs.map((r) => r.headers.origin ?? null) };
    }
    const s = seen.ours;
    check(
      s.cookie.length === n && s.cookie.every((c) => c === want) && s.log.filter((e) => e[0] === 'message').length === n,
      `${bname} cred: ours, ${label}: cookie ${want ? 'sent' : 'not sent'}`,
      [`ours: ${show(s)}`, seen.native ? `native (reference): ${show(seen.native)}` : ''],
    );
  }
}

// ---- (e) custom headers across redirects --------------------------------------------------
/** What the target saw, without what depends on the client (Accept, Sec-Fetch-*, …). */
const view = (req) =>
  req && {
    server: req.server,
    method: req.method,
    body: req.body,
    authorization: req.headers.authorization ?? null,
    'x-custom': req.headers['x-custom'] ?? null,
    'content-type': req.headers['content-type'] ?? null,
    origin: req.headers.origin ?? null,
  };

async function partHeaders(bname, page) {
  const headers = { 'X-Custom': 'custom-value', Authorization: 'Bearer s3cret' };
  const post = { method: 'POST', body: 'hello', headers: { 'Content-Type': 'text/plain', 'X-Custom': 'custom-value' } };
  const cases = [
    ['a same-origin redirect (302)', 'A', 302, { headers }],
    ['a redirect to another origin (302)', 'B', 302, { headers }],
    ['a redirect to another origin (307)', 'B', 307, { headers }],
    ['POST through a 302', 'A', 302, post],
    ['POST through a 303', 'A', 303, post],
    ['POST through a 307', 'A', 307, post],
    ['POST through a 308 to another origin', 'B', 308, post],
  ];
  for (const [label, to, status, init] of cases) {
    const o = await freshOrigins(page);
    const key = `hdr-${bname}-${label.replace(/\W+/g, '')}`;
    const log = await call(page, 20000, (u, it) => window.__hostile.once('ours', u, it), via(o.A, to, key, status), init);
    // The same request through fetch() itself.
    const fkey = `${key}-fetch`;
    const fetched = await call(
      page,
      20000,
      async (u, it) => {
        const c = new AbortController();
        const r = await fetch(u, { ...it, cache: 'no-store', signal: c.signal });
        c.abort();
        return r.status;
      },
      via(o.A, to, fkey, status),
      init,
    );
    const mine = view(server.log(`target:${key}`)[0]);
    const theirs = view(server.log(`target:${fkey}`)[0]);
    const pre = server.log(`preflight:${key}`)[0];
    check(
      log.some((e) => e[0] === 'message') && isDeepStrictEqual(mine, theirs),
      `${bname} headers: ours, ${label}: the target gets what fetch() sends`,
      [
        `ours: ${show(mine)}${pre ? `; preflight asked for ${pre.headers['access-control-request-headers']}` : ''}`,
        isDeepStrictEqual(mine, theirs) ? '' : `fetch() (status ${fetched}): ${show(theirs)}`,
        `events ${show(log)}`,
      ],
    );
  }
  // Reconnections after a redirect go to the final URL directly. After a same-origin
  // redirect the headers go there as on the first request. After a redirect to another
  // origin, fetch had removed Authorization at the redirect (Fetch, "HTTP-redirect fetch":
  // a CORS non-wildcard request-header name), so sending it there now would hand the new
  // origin what fetch kept from it.
  for (const [to, label, wantAuth] of [
    ['A', 'a same-origin redirect still sends the headers there', 'Bearer s3cret'],
    ['B', 'a redirect to another origin does not send Authorization there', null],
  ]) {
    const o = await freshOrigins(page);
    const key = `hdr-${bname}-reconnect-${to}`;
    const log = await call(page, 20000, (u, it) => window.__hostile.once('ours', u, it, 2), via(o.A, to, key, 302, '&end=1'), { headers });
    const reqs = server.log(`target:${key}`).map(view);
    check(
      reqs.length >= 2 && reqs.every((r) => r.authorization === wantAuth && r['x-custom'] === 'custom-value'),
      `${bname} headers: ours, the reconnection after ${label}`,
      [
        `requests at the target: ${show(reqs.map((r) => ({ server: r.server, authorization: r.authorization, 'x-custom': r['x-custom'] })))}`,
        `requests to the redirecting URL: ${server.log(`redir:${key}`).length}; events ${show(log)}`,
      ],
    );
  }
}

// ---- (f) connection slots after redirects ---------------------------------------------------
async function partSlots(bname, page) {
  const N = 9;
  const SLOT_WAIT = scaled(4000); // a source that gets no message by then waits for a connection slot
  const urls = (o, tag) => Array.from({ length: N }, (_, i) => via(o.A, 'A', `slots-${bname}-${tag}-${i + 1}`));
  const opened = (runs) =>
    `${runs.filter((r) => r.ok).length} of ${N}` +
    `${runs.length < N || !runs.at(-1).ok ? ` (#${runs.length} got nothing within ${SLOT_WAIT / 1000} s)` : ''}`;
  // Each on fresh origins (new ports, new connection pools): what one left does not hold the next.
  let o = await freshOrigins(page);
  const ours = await call(page, 20000 + N * 5000, (u, ms) => window.__hostile.oneByOne('ours', u, ms), urls(o, 'ours'), SLOT_WAIT);
  o = await freshOrigins(page);
  const plain = await call(page, 20000 + N * 5000, (u, ms) => window.__hostile.fetchOneByOne(u, ms), urls(o, 'fetch'), SLOT_WAIT);
  const freed = (runs) => runs.length === N && runs.every((r) => r.ok);
  // Ours is fetch() underneath: it frees a host's connection slots exactly when fetch() does.
  // Chromium: both free them. Firefox 153: an aborted fetch() that followed a redirect keeps
  // its connection (a Firefox bug; no cancel or abort frees it, see README), so both stop at
  // the 7th; should Firefox fix it, the check then demands that ours frees them too.
  check(
    freed(ours) === freed(plain) && (bname !== 'chromium' || freed(ours)),
    `${bname} slots: ours, ${N} sources that followed a redirect, opened and closed one by one, ` +
      `free the host's connections exactly as plain fetch() does`,
    [`ours ${opened(ours)} opened; fetch() ${opened(plain)}`],
  );
  o = await freshOrigins(page);
  const native = await call(page, 20000 + N * 5000, (u, ms) => window.__hostile.oneByOne('native', u, ms), urls(o, 'native'), SLOT_WAIT);
  info(`${bname} slots: ours ${opened(ours)}, plain fetch() ${opened(plain)}, native (reference, not judged) ${opened(native)}`);
}

// ---- the run ------------------------------------------------------------------------------
console.log(`hostile: ${BROWSERS.join(', ')}; parts ${PARTS.join(', ')}; seed ${SEED} (HOSTILE_SEED=${SEED} to repeat)`);
for (const bname of BROWSERS) {
  const tb = Date.now();
  let b;
  try {
    b = await withTimeout(launch(bname, { prefix: 'hostile' }), 60000, `launching ${bname}`);
  } catch (e) {
    check(false, `${bname}: the browser starts`, [e.message]);
    continue;
  }
  cleanups.push(b.close);
  const { browser } = b;
  console.log(`\n== ${bname} (${await browser.version()})`);
  const consoleLines = [];
  for (const part of PARTS) {
    let page;
    try {
      if (part === 'csp') {
        await partCsp(bname, browser);
        continue;
      }
      if (part === 'huge') {
        await partHuge(bname, browser, consoleLines);
        continue;
      }
      page = await hostilePage(browser, consoleLines);
      if (part === 'diff') await partDiff(bname, page);
      if (part === 'cred') await partCred(bname, page);
      if (part === 'headers') await partHeaders(bname, page);
      if (part === 'slots') await partSlots(bname, page);
    } catch (e) {
      check(false, `${bname} ${part}: ran to the end`, [e.stack ?? String(e), consoleLines.slice(-10)]);
    } finally {
      if (page) await page.close().catch(() => {});
    }
  }
  console.log(`== ${bname}: ${((Date.now() - tb) / 1000).toFixed(1)} s`);
  await b.close();
  cleanups.splice(cleanups.indexOf(b.close), 1);
}

await tally.finish(tally.failureLines(), `\ntotal ${((Date.now() - t0) / 1000).toFixed(1)} s`);
