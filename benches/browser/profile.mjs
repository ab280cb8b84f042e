#!/usr/bin/env node
// Where the time goes: one implementation through the benchmark's workloads in headless
// Chromium under the DevTools sampling profiler (CDP Profiler, 100 µs), and the self time
// of the run grouped by where the code lives (the wasm, the wasm-bindgen glue, the class,
// the page's checking handler, the engine's own work), then by function.
//
//   node benches/browser/profile.mjs                       eventsource-wasm, every workload
//   node benches/browser/profile.mjs --impl=eventsource --workload=small --top=20
//   options: --impl=NAME  --workload=NAME[,NAME]  --divisor=N (default 1)  --top=N (default 12)
//
// Chromium only: Firefox has no profiler a test can drive over WebDriver BiDi. dist/
// must be built; the wasm's functions are unnamed there (wasm-opt strips the name
// section), so they show as one group and by index.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch } from '../../tests/browsers.mjs';
import { startServer } from './server.mjs';
import { IMPLEMENTATIONS, bundlePeers } from './implementations.mjs';
import { WORKLOADS } from './workloads.mjs';

const argv = process.argv.slice(2);
const opt = (name, d) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? d;
const unknown = argv.filter((a) => !/^--(impl|workload|divisor|top)=.+$/.test(a));
if (unknown.length) {
  console.error(`unknown argument(s): ${unknown.join(' ')}`);
  process.exit(2);
}
const impl = opt('impl', 'eventsource-wasm');
const workloads = opt('workload', WORKLOADS.join(',')).split(',');
const divisor = Number(opt('divisor', '1'));
const top = Number(opt('top', '12'));
if (!IMPLEMENTATIONS.some((i) => i.name === impl)) {
  console.error(`unknown implementation ${impl}`);
  process.exit(2);
}

/** Where a sampled frame's code lives. */
function group(frame) {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(engine) ${functionName || 'anonymous'}`;
  if (url.endsWith('.wasm') || url.startsWith('wasm://')) return 'wasm';
  const file = path.basename(new URL(url).pathname);
  // dist/index.js bundles the class and the wasm-bindgen glue, minified.
  if (file === 'index.js' && url.includes('/dist/')) return 'the class and the wasm-bindgen glue (dist/index.js)';
  if (file === 'page.mjs' || file === 'workloads.mjs') return 'the page (checking handler)';
  return file;
}

const peersDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-'));
const server = await startServer({ divisor, peersDir });
const { browser, close } = await launch('chromium', { prefix: 'bench-profile' });
try {
  await bundlePeers(peersDir);
  const page = await browser.newPage();
  await page.goto(`${server.origin}/benches/browser/page.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => !!window.__bench, { timeout: 15000 });
  await page.evaluate((d, impls) => __bench.init(d, impls), divisor, IMPLEMENTATIONS);
  const cdp = await page.createCDPSession();
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  console.log(`${impl} in ${await browser.version()}, workloads ÷ ${divisor}: self time of the run (sampled every 100 µs)`);
  for (const w of workloads) {
    await page.evaluate((i, wn) => __bench.throughput(i, wn), impl, w); // warm-up
    await server.idle();
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Profiler.start');
    const r = await page.evaluate((i, wn) => __bench.throughput(i, wn), impl, w);
    const { profile } = await cdp.send('Profiler.stop');
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    for (let k = 0; k < profile.samples.length; k++) {
      const n = byId.get(profile.samples[k]);
      self.set(n, (self.get(n) ?? 0) + (profile.timeDeltas[k] ?? 0));
    }
    const groups = new Map();
    const fns = new Map();
    let total = 0;
    for (const [n, us] of self) {
      if (n.callFrame.functionName === '(idle)') continue;
      total += us;
      const g = group(n.callFrame);
      groups.set(g, (groups.get(g) ?? 0) + us);
      const f = `${n.callFrame.functionName || '(anonymous)'}  [${g}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1}` : ''}]`;
      fns.set(f, (fns.get(f) ?? 0) + us);
    }
    const show = (m) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([k, us]) => `    ${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`)
        .join('\n');
    console.log(
      `\n== ${w}: ${r.ok ? `${r.ms.toFixed(1)} ms from open to the last event` : `FAILED ${r.error ?? ''}`}; ${(total / 1000).toFixed(1)} ms busy on the main thread`,
    );
    console.log(`  by where the code lives:\n${show(groups)}\n  by function:\n${show(fns)}`);
  }
} finally {
  await close();
  await server.close();
  fs.rmSync(peersDir, { recursive: true, force: true });
}
