#!/usr/bin/env node
// End-to-end runner: the fixture servers, headless Chromium and Firefox (puppeteer-core:
// CDP for Chromium, WebDriver BiDi for Firefox) and WebKit (WebKitGTK's MiniBrowser over
// W3C WebDriver under Xvfb, ../webkit.mjs), every test of tests.mjs against the
// browser's NATIVE EventSource and against OURS (/dist/index.js), each compared with the
// spec's expected result and the two compared with each other.
//
//   node tests/e2e/run.mjs                 the three browsers, native and ours (dist/ required)
//   node tests/e2e/run.mjs --native-only   native only (no dist/ needed; exit 0 if green)
//   options: --browser=chromium|firefox|webkit  --impl=native|ours  --filter=TEXT (substring of
//            the test name, repeatable)  --verbose (print _info and browser console)
//            --list (print the test names and exit)
//   env:     E2E_CHROMIUM (default /usr/bin/chromium), E2E_FIREFOX (default
//            /usr/bin/firefox-esr), E2E_TIMEOUT_MS (whole run, default 600000),
//            TEST_TIME_SCALE (every time limit times this; tests/runner.mjs)
//
// Output: one line per test, browser and implementation (`ok` / `FAIL` + a diff), then
// exactly `N passed, N failed` (how CI counts tests). Exit code 1 on any failure.
// Known native deviations from the spec (tests.mjs `deviations`) count as passed and are
// listed at the end. Nothing is ever downloaded; browsers only reach 127.0.0.1.
// A test that `needs` what a browser's automation cannot give (UNAVAILABLE below: WebKit's
// WebDriver has no offline emulation) is printed as `n/a` with the reason, in neither count.

import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { EXECUTABLES, launch as launchBrowser } from '../browsers.mjs';
import { TIME_SCALE, bookkeeping, scaled, withTimeout } from '../runner.mjs';
import { ROOT } from '../static.mjs';

const t0 = Date.now();

// ---- arguments ----------------------------------------------------------------------
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const values = (name) => args.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
const nativeOnly = flag('native-only');
const verbose = flag('verbose');
const browsersWanted = values('browser').flatMap((v) => v.split(','));
const implsWanted = values('impl').flatMap((v) => v.split(','));
const filters = values('filter');
const unknown = args.filter((a) => !/^--(native-only|verbose|list|browser=.*|impl=.*|filter=.*)$/.test(a));
if (unknown.length) {
  console.error(`unknown argument(s): ${unknown.join(' ')}`);
  process.exit(2);
}

const { tests } = await import('./tests.mjs');
const selected = tests.filter((t) => !filters.length || filters.some((f) => t.name.includes(f)));
if (flag('list')) {
  for (const t of tests) console.log(`${t.name}${t.spec ? `  (spec ${t.spec.join(', ')})` : ''}`);
  process.exit(0);
}

const BROWSERS = Object.fromEntries(Object.entries(EXECUTABLES).map(([name, exe]) => [name, { exe }]));
const browserNames = browsersWanted.length ? browsersWanted : Object.keys(BROWSERS);
for (const b of browserNames)
  if (!BROWSERS[b]) {
    console.error(`unknown browser ${b}`);
    process.exit(2);
  }

const distPresent = fs.existsSync(path.join(ROOT, 'dist', 'index.js'));
let impls = implsWanted.length ? implsWanted : ['native', 'ours'];
if (nativeOnly) impls = impls.filter((i) => i === 'native');
const oursMissing = impls.includes('ours') && !distPresent;

const banner = (lines) => {
  const w = Math.max(...lines.map((l) => l.length)) + 4;
  console.log(`\n${'#'.repeat(w)}\n${lines.map((l) => `# ${l.padEnd(w - 4)} #`).join('\n')}\n${'#'.repeat(w)}\n`);
};
if (nativeOnly) {
  banner([
    "--native-only: testing the browsers' NATIVE EventSource only.",
    distPresent
      ? 'dist/index.js exists but is NOT tested in this run.'
      : 'dist/index.js does not exist yet: OUR EventSource is NOT tested.',
  ]);
} else if (oursMissing) {
  banner([
    'dist/index.js does not exist: OUR EventSource cannot be tested.',
    'Every "ours" test is reported as FAIL. Build first (npm run build),',
    'or pass --native-only to test the native EventSource alone.',
  ]);
}

// ---- result comparison --------------------------------------------------------------
const stripInfo = (v) => {
  if (Array.isArray(v)) return v.map(stripInfo);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== '_info')
        .map(([k, x]) => [k, stripInfo(x)]),
    );
  }
  return v;
};
const show = (v) => {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s;
};
/** Paths where two JSON values differ, as readable lines. */
function diff(expected, actual, at = '', out = [], [e, a] = ['expected', 'got']) {
  if (out.length >= 14) return out;
  if (isDeepStrictEqual(expected, actual)) return out;
  const bothArrays = Array.isArray(expected) && Array.isArray(actual);
  const bothObjects =
    expected && actual && typeof expected === 'object' && typeof actual === 'object' && !Array.isArray(expected) && !Array.isArray(actual);
  if (bothArrays) {
    const n = Math.max(expected.length, actual.length);
    for (let i = 0; i < n && out.length < 14; i++) {
      if (i >= expected.length) out.push(`${at}[${i}]: only ${a}: ${show(actual[i])}`);
      else if (i >= actual.length) out.push(`${at}[${i}]: only ${e}: ${show(expected[i])}`);
      else diff(expected[i], actual[i], `${at}[${i}]`, out, [e, a]);
    }
  } else if (bothObjects) {
    for (const k of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      const p = at ? `${at}.${k}` : k;
      if (!(k in actual)) out.push(`${p}: only ${e}: ${show(expected[k])}`);
      else if (!(k in expected)) out.push(`${p}: only ${a}: ${show(actual[k])}`);
      else diff(expected[k], actual[k], p, out, [e, a]);
    }
  } else {
    out.push(`${at || '(result)'}: ${e} ${show(expected)}, ${a} ${show(actual)}`);
  }
  return out;
}

// ---- process hygiene ----------------------------------------------------------------
const tally = bookkeeping(Number(process.env.E2E_TIMEOUT_MS ?? 600000));
const { check, cleanups } = tally;

// ---- servers, browsers --------------------------------------------------------------
const { startServers } = await import('./server.mjs');
const servers = await startServers();
cleanups.push(() => servers.close());
const env = { A: servers.originA, B: servers.originB, timeScale: TIME_SCALE };

async function launch(name) {
  const { browser, close } = await launchBrowser(name, { prefix: 'e2e' });
  cleanups.push(close);
  return browser;
}

/** What a browser's automation cannot give a test (tests.mjs `needs`), and why. */
const UNAVAILABLE = {
  webkit: {
    offline:
      'WebKit over WebDriver has no network-conditions emulation (W3C WebDriver has no such ' +
      'command and WebKitWebDriver no extension for it; it is also not reachable from the page), ' +
      'so the page cannot be taken offline',
  },
};

async function newPage(browser, name, consoleLines) {
  const page = await browser.newPage();
  // WebKit (W3C WebDriver): no console, no exposeFunction, no offline emulation, no forced
  // GC. The page asks the fixture server for /log and /ctl itself (it is never offline),
  // and ctx.gc() falls back to heap pressure.
  if (browser.webdriver) return page;
  page.on('console', (m) => consoleLines.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e?.message ?? e}`));
  if (name === 'chromium') {
    // ctx.gc(): a real full collection through the DevTools protocol.
    const cdp = await page.createCDPSession();
    await page.exposeFunction('__e2eGC', async () => {
      await cdp.send('HeapProfiler.collectGarbage');
    });
  }
  // ctx.offline(on): the browser's own network conditions for this page. puppeteer's
  // setOfflineMode is CDP Network.emulateNetworkConditions in Chromium and WebDriver BiDi
  // emulation.setNetworkConditions ({ type: 'offline' }) in Firefox; both make every
  // request fail, set navigator.onLine and fire `offline` / `online` (connections already
  // open stay open). Put back after every test (afterTest).
  await page.exposeFunction('__e2eOffline', async (on) => {
    if (on) offlinePages.add(page);
    await page.setOfflineMode(!!on);
  });
  // The fixture server's /log and /ctl answers, asked by the runner: reachable while the
  // page is offline.
  await page.exposeFunction('__e2eCtl', async (p) => {
    if (!/^\/(log|ctl\/)/.test(p)) throw new Error(`not a /log or /ctl path: ${p}`);
    return (await fetch(`${env.A}${p}`, { cache: 'no-store' })).json();
  });
  return page;
}

/** After a test: the page back online if the test took it offline. */
const offlinePages = new WeakSet();
async function afterTest(page) {
  if (offlinePages.delete(page)) await page.setOfflineMode(false);
}

// ---- the run ------------------------------------------------------------------------
const notApplicable = [];
const deviationsSeen = [];
const PAGE = `${env.A}/tests/e2e/page.html`;

for (const bname of browserNames) {
  const tb = Date.now();
  let browser;
  try {
    browser = await withTimeout(launch(bname), 60000, `launching ${bname}`);
  } catch (e) {
    const n = selected.length * impls.length;
    check(false, `${bname}: cannot launch ${BROWSERS[bname].exe}: ${e.message}`, [], {
      failure: `${bname}: browser did not start (${n} tests not run)`,
      count: n,
    });
    continue;
  }
  const version = await browser.version();
  console.log(`\n== ${bname} (${version}) — implementations: ${impls.join(', ')}`);
  const consoleLines = [];
  let page = await newPage(browser, bname, consoleLines);

  for (const t of selected) {
    if (t.browsers && !t.browsers.includes(bname)) continue;
    const results = {};
    for (const impl of impls) {
      if (t.impls && !t.impls.includes(impl)) continue;
      const label = `${bname.padEnd(8)} ${impl.padEnd(6)} ${t.name}`;
      const lacking = (t.needs ?? []).filter((n) => UNAVAILABLE[bname]?.[n]);
      if (lacking.length) {
        const why = lacking.map((n) => `needs ${n}: ${UNAVAILABLE[bname][n]}`).join('; ');
        console.log(`n/a  ${label}  (${why})`);
        notApplicable.push(`${label}: ${why}`);
        continue;
      }
      let r;
      const started = Date.now();
      consoleLines.length = 0;
      if (impl === 'ours' && !distPresent) {
        r = { ok: false, error: 'not run: dist/index.js is missing (npm run build)' };
      } else {
        try {
          await withTimeout(page.goto(PAGE, { waitUntil: 'load' }), 20000, 'loading the test page');
          await withTimeout(
            page.waitForFunction(() => !!window.__e2e, { timeout: scaled(15000) }),
            20000,
            'the test page module',
          );
          r = await withTimeout(
            page.evaluate((n, i, e) => window.__e2e.run(n, i, e), t.name, impl, env),
            (t.timeout ?? 10000) + 15000,
            'the test',
          );
          await withTimeout(afterTest(page), 10000, 'putting the page back online');
        } catch (e) {
          r = { ok: false, error: `runner: ${e.message}` };
          // The page may be wedged: start afresh.
          try {
            await withTimeout(page.close(), 5000, 'closing the page');
          } catch {
            /* ignore */
          }
          try {
            page = await newPage(browser, bname, consoleLines);
          } catch (e2) {
            r.error += `; new page failed: ${e2.message}`;
          }
        }
      }
      const ms = Date.now() - started;
      const expected = t.expect;
      const actual = r.ok ? stripInfo(r.result) : undefined;
      // A native deviation excuses the native class only; a platform limitation (below any
      // script, e.g. the browser's network layer) excuses every implementation in that browser.
      const dev = impl === 'native' ? t.deviations?.[bname] : undefined;
      // (`impls` in it: only those implementations are affected, e.g. a fetch-based class.)
      const plat =
        t.platform?.[bname] && (!t.platform[bname].impls || t.platform[bname].impls.includes(impl)) ? t.platform[bname] : undefined;
      let status;
      let lines = [];
      if (r.ok && isDeepStrictEqual(actual, expected)) {
        status = dev || plat ? 'ok (the documented deviation did not show up)' : 'ok';
      } else if (r.ok && dev && isDeepStrictEqual(actual, dev.expect)) {
        status = 'ok (known native deviation)';
        deviationsSeen.push(`${bname} native — ${t.name}: ${dev.why}`);
        lines = [`known deviation: ${dev.why}`];
      } else if (r.ok && plat && isDeepStrictEqual(actual, plat.expect)) {
        status = 'ok (known platform limitation)';
        deviationsSeen.push(`${bname} ${impl} (platform) — ${t.name}: ${plat.why}`);
        lines = [`known platform limitation: ${plat.why}`];
      } else {
        status = 'FAIL';
        lines = r.ok ? diff(expected, actual) : [r.error, ...(r.partial ? [`recorded so far: ${show(r.partial)}`] : [])];
      }
      const isOk = status.startsWith('ok');
      check(isOk, `${label}${status.length > 2 && isOk ? `  [${status.slice(3)}]` : ''}  (${ms} ms)`, [lines], { failure: label });
      if ((verbose || !isOk) && r.ok && r.result?._info) console.log(`       info: ${show(r.result._info)}`);
      if (verbose && r.pageErrors?.length) console.log(`       page errors: ${show(r.pageErrors)}`);
      if ((verbose || !isOk) && consoleLines.length) for (const l of consoleLines.slice(0, 10)) console.log(`       ${l}`);
      results[impl] = r.ok ? actual : null;
    }
    // Differential: native vs ours, whenever both produced a result.
    if (results.native != null && results.ours != null && !isDeepStrictEqual(results.native, results.ours)) {
      console.log(
        `     ${bname.padEnd(8)} native≠ours ${t.name}${t.deviations?.[bname] ? '  (explained by the known native deviation)' : ''}`,
      );
      for (const l of diff(results.native, results.ours, '', [], ['native', 'ours'])) console.log(`       ${l}`);
    }
  }
  console.log(`== ${bname}: ${((Date.now() - tb) / 1000).toFixed(1)} s`);
  try {
    await withTimeout(page.close(), 5000, 'closing the page');
  } catch {
    /* cleanup kills it */
  }
}

/** `\n${title} — N:` and a line for each item, or nothing when there is none. */
const listed = (title, items) => (items.length ? [`\n${title} — ${items.length}:`, ...items.map((x) => `  - ${x}`)] : []);
await tally.finish(
  listed('Known native deviations from the spec (not failures)', deviationsSeen),
  tally.failureLines(60),
  listed('Not applicable (not run, counted neither way)', notApplicable),
  nativeOnly || oursMissing ? `\nNOTE: our EventSource was NOT tested (${nativeOnly ? '--native-only' : 'dist/index.js missing'}).` : [],
  `\ntotal ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);
