#!/usr/bin/env node
// No leak under churn: in ONE headless page per browser, against a
// loopback SSE server (../counting-server.mjs), OUR EventSource goes through
//   (a) churn: N cycles of construct → open → (a message on every other cycle) → close(),
//       a few chains at once (--parallel, under the browsers' 6 connections per host);
//   (b) reconnections: one source through N reconnections (each response ends after one
//       event with `retry: 0`; counted by events: N + 1 events = N reconnections),
// after a warm-up of both. Before and after each, it measures
//   - the wasm linear memory (`memory.buffer.byteLength`) and the externref table's size
//     (`length` of the table it exports) of the library's own instance: every browser;
//   - the JS heap after a forced full GC (CDP HeapProfiler.collectGarbage, then
//     Runtime.getHeapUsage): Chromium only (Firefox has neither performance.memory nor a
//     heap or GC command over WebDriver BiDi, and about:memory is closed to it);
//   - the server's SSE responses still open (must come back to 0 after every close);
// and, in both browsers, that every closed source of the churn was garbage-collected
// (a FinalizationRegistry counts them: after a forced GC in Chromium; in Firefox by its
// own GC and cycle collector, which run during the reconnections).
// It prints the figures and asserts generous bounds (BOUNDS below). A calibration
// (Chromium) keeps 1,000 closed sources on purpose: the heap figure must show them and
// none may be counted as collected, or the checks above prove nothing.
//
//   node tests/soak/run.mjs                      5,000 cycles, 5,000 reconnections
//   node tests/soak/run.mjs --cycles 50000 --reconnections 50000 --browser=chromium
//   options: --cycles N  --reconnections N  --warmup N (default 300)  --parallel N (default 4)
//            --browser=chromium|firefox (default both)
//   env:     SOAK_TIMEOUT_MS (whole run; default 90 s + 6 ms per cycle and reconnection),
//            E2E_CHROMIUM / E2E_FIREFOX (tests/browsers.mjs)
//
// Output: one line per check, then exactly `N passed, N failed`; exit code 1 on a failure.

import { launch } from '../browsers.mjs';
import { startServer } from '../counting-server.mjs';
import { bookkeeping, scaled } from '../runner.mjs';

/** Growth allowed after the warm-up, whatever the counts. Measured with none (5,000 each):
 *  +0 wasm, +0 slots, +5 to +47 KiB of JS heap. A closed source kept by mistake costs
 *  about 200 to 240 bytes of JS heap (the calibration below), so at 5,000 cycles the heap
 *  bound catches that leak, and the collected count catches it in both browsers; a leaked
 *  wasm `Connection` or closure shows in the memory or the table (one slot per JS value
 *  kept by the wasm side). The wasm memory must not wait for the garbage collector either:
 *  a closed source gives back all of it when `close()` returns (tests/memory.rs counts the
 *  bytes), so it grows by no page at all here, whenever the browser collects; 388 bytes per
 *  closed source waiting for Firefox's collector grew it by up to 1.3 MiB. */
const BOUNDS = { wasm: 256 * 1024, externrefs: 256, heap: 512 * 1024 };
const CALIBRATION = { cycles: 1000, atLeast: 100 * 1024 }; // Chromium: kept sources must show
const BATCH = 1000; // cycles per page.evaluate: far under the protocol timeout
const COLLECT_MS = scaled(30000); // Firefox: at most this long for its own GC to collect the churn's sources

// ---- arguments ------------------------------------------------------------------------
const argv = process.argv.slice(2);
const opts = { cycles: 5000, reconnections: 5000, warmup: 300, parallel: 4, browser: ['chromium', 'firefox'] };
for (let i = 0; i < argv.length; i++) {
  const [k, inline] = argv[i].replace(/^--/, '').split('=');
  const value = inline ?? argv[++i];
  if (k === 'browser') opts.browser = value.split(',');
  else if (k in opts && /^\d+$/.test(value ?? '')) opts[k] = Number(value);
  else {
    console.error(`unknown or bad argument: ${argv[i]}`);
    process.exit(2);
  }
}
if (opts.parallel < 1 || opts.parallel > 6) {
  console.error('--parallel: 1 to 6');
  process.exit(2);
}

// ---- bookkeeping ------------------------------------------------------------------------
const TIMEOUT = Number(process.env.SOAK_TIMEOUT_MS ?? 90000 + 6 * (opts.cycles + opts.reconnections) * opts.browser.length);
const { check, cleanups, finish } = bookkeeping(TIMEOUT);

const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
const signedKib = (b) => `${b >= 0 ? '+' : ''}${(b / 1024).toFixed(1)} KiB`;
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

// ---- the run --------------------------------------------------------------------------
const server = await startServer();
cleanups.push(() => server.close());
const t0 = Date.now();
const figures = [];

for (const name of opts.browser) {
  let browser;
  let closeBrowser;
  try {
    ({ browser, close: closeBrowser } = await launch(name, { prefix: 'soak' }));
    cleanups.push(closeBrowser);
  } catch (e) {
    check(false, `${name}: cannot launch: ${e.message}`);
    continue;
  }
  const label = name.padEnd(8);
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e?.message ?? e)));
    const cdp = name === 'chromium' ? await page.createCDPSession() : null;
    await page.goto(`${server.origin}/tests/soak/page.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => !!window.__soak, { timeout: scaled(15000) });
    console.log(`\n== ${name} (${await browser.version()})`);

    /** wasm figures; after a full GC (twice, with a task between for finalizers) where the browser lets us. */
    const measure = async () => {
      let heap = null;
      if (cdp) {
        await cdp.send('HeapProfiler.collectGarbage');
        await page.evaluate(() => __soak.tick());
        await cdp.send('HeapProfiler.collectGarbage');
        heap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
      }
      return { ...(await page.evaluate(() => __soak.wasm())), heap };
    };
    const churn = async (n, group, { keep = false, trackAs = null } = {}) => {
      const total = { cycles: 0, opens: 0, messages: 0 };
      for (let done = 0; done < n; done += BATCH) {
        const r = await page.evaluate(
          (b, k, p, g, kp, tr) => __soak.churn(b, k, p, g, 'ours', kp, tr),
          server.origin,
          Math.min(BATCH, n - done),
          opts.parallel,
          group,
          keep,
          trackAs,
        );
        for (const k in total) total[k] += r[k];
      }
      return total;
    };
    const reconnect = (n, group) => page.evaluate((b, k, g) => __soak.reconnect(b, k, g), server.origin, n, group);
    /** Every SSE response of the server closed: waits for the last closes to arrive. Chromium
     *  (its own class too) may keep reading a cancelled response for up to 5 s before it
     *  closes the connection ("draining" it, to reuse it): hence a few seconds, at times. */
    const allClosed = async (what) => {
      const t = Date.now();
      const ok = await server.waitFor(() => server.stats.sseOpen === 0, 20000);
      return check(
        ok,
        `${label} ${what}: the server has 0 SSE responses open (${ok ? `the last close arrived ${Date.now() - t} ms after the loop` : `${server.stats.sseOpen} still open after 20 s`})`,
      );
    };
    const compare = (what, before, after) => {
      const f = { browser: name, what, before, after };
      figures.push(f);
      const dWasm = after.memory - before.memory;
      const dRefs = after.externrefs - before.externrefs;
      check(
        dWasm <= BOUNDS.wasm,
        `${label} ${what}: wasm memory ${kib(before.memory)} → ${kib(after.memory)} (${signedKib(dWasm)}; bound +${kib(BOUNDS.wasm)})`,
      );
      check(
        dRefs <= BOUNDS.externrefs,
        `${label} ${what}: externref table ${before.externrefs} → ${after.externrefs} slots (${dRefs >= 0 ? '+' : ''}${dRefs}; bound +${BOUNDS.externrefs})`,
      );
      if (before.heap != null) {
        const dHeap = after.heap - before.heap;
        check(
          dHeap <= BOUNDS.heap,
          `${label} ${what}: JS heap after GC ${kib(before.heap)} → ${kib(after.heap)} (${signedKib(dHeap)}; bound +${kib(BOUNDS.heap)})`,
        );
      }
    };

    // Warm-up: the allocator's and the engine's steady state (JIT, pools, caches).
    let t = Date.now();
    const w1 = await churn(opts.warmup, 'warmup-churn');
    const w2 = await reconnect(opts.warmup, 'warmup-reconnect');
    check(
      w1.cycles === opts.warmup && w2.messages === opts.warmup + 1,
      `${label} warm-up: ${opts.warmup} cycles and ${opts.warmup} reconnections (${secs(Date.now() - t)})`,
    );
    await server.waitFor(() => server.stats.sseOpen === 0, 20000);
    const m0 = await measure();
    console.log(
      `       start: wasm memory ${kib(m0.memory)}, externref table ${m0.externrefs} slots${m0.heap != null ? `, JS heap ${kib(m0.heap)}` : ''}`,
    );

    // (a) churn
    const churnGroup = `churn-${name}`;
    t = Date.now();
    const c = await churn(opts.cycles, churnGroup, { trackAs: 'churn' });
    const churnMs = Date.now() - t;
    const wantMessages = Math.floor(opts.cycles / 2);
    check(
      c.cycles === opts.cycles && c.opens === opts.cycles && c.messages === wantMessages,
      `${label} churn: ${c.cycles} cycles, ${c.opens} opens, ${c.messages} messages (want ${opts.cycles}, ${opts.cycles}, ${wantMessages}); ${secs(churnMs)}, ${opts.parallel} at once`,
    );
    check(
      server.group(churnGroup).requests === opts.cycles,
      `${label} churn: the server saw ${server.group(churnGroup).requests} requests (want ${opts.cycles}: one per cycle)`,
    );
    await allClosed('churn');
    const m1 = await measure();
    compare(`churn (${opts.cycles} cycles)`, m0, m1);

    // (b) reconnections
    const reGroup = `reconnect-${name}`;
    t = Date.now();
    const r = await reconnect(opts.reconnections, reGroup);
    const reMs = Date.now() - t;
    check(
      r.messages === opts.reconnections + 1 && r.errors === opts.reconnections,
      `${label} reconnections: ${r.messages} events, ${r.errors} error events (want ${opts.reconnections + 1}, ${opts.reconnections}: one per end of stream); ${secs(reMs)}`,
    );
    check(
      server.group(reGroup).requests === opts.reconnections + 1,
      `${label} reconnections: the server saw ${server.group(reGroup).requests} requests (want ${opts.reconnections + 1})`,
    );
    await allClosed('reconnections');
    const m2 = await measure();
    compare(`reconnections (${opts.reconnections})`, m1, m2);

    // The churn's closed sources, unreachable: the engine collected every one. Chromium:
    // after the forced GCs of measure(). Firefox: by its own GC and cycle collector, which
    // ran during the reconnections (waited for here, bounded, if not yet).
    t = Date.now();
    const col = await page.evaluate((ms) => __soak.collected('churn', ms), COLLECT_MS);
    check(
      col.collected === col.tracked && col.tracked === opts.cycles,
      `${label} churn: ${col.collected} of the ${col.tracked} closed sources were garbage-collected${cdp ? ' (forced GC)' : ` (Firefox's own GC; ${secs(Date.now() - t)} more after the reconnections)`}`,
    );

    // Calibration: the same churn, keeping every closed source (a deliberate leak), must
    // show in the heap figure; otherwise the bound above proves nothing.
    if (cdp) {
      await churn(CALIBRATION.cycles, `calibration-${name}`, { keep: true, trackAs: 'kept' });
      await server.waitFor(() => server.stats.sseOpen === 0, 20000);
      const m3 = await measure();
      const kept = await page.evaluate(() => __soak.collected('kept', 0));
      await page.evaluate(() => __soak.release());
      const d = m3.heap - m2.heap;
      check(
        d >= CALIBRATION.atLeast && kept.collected === 0,
        `${label} calibration: ${CALIBRATION.cycles} closed sources kept on purpose grow the JS heap by ${signedKib(d)} (${(d / CALIBRATION.cycles).toFixed(0)} B each; must show at least +${kib(CALIBRATION.atLeast)}), and ${kept.collected} of them were collected (must be 0)`,
      );
    }

    check(
      pageErrors.length === 0,
      `${label} no uncaught error in the page${pageErrors.length ? `: ${pageErrors.slice(0, 3).join(' | ')}` : ''}`,
    );
    await page.close();
  } catch (e) {
    check(false, `${label} the run stopped: ${e.message}`);
  }
  cleanups.splice(cleanups.indexOf(closeBrowser), 1);
  await closeBrowser();
}

await finish(
  `\nmeasured: ${opts.cycles} cycles and ${opts.reconnections} reconnections per browser, after a warm-up of ${opts.warmup} each; wasm memory grows by whole 64 KiB pages, the externref table in steps; total ${secs(Date.now() - t0)}`,
);
