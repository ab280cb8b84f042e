#!/usr/bin/env node
// EventSource.fromReadableStream() and reset() (whatwg/html#12272) in Chromium, Firefox and
// WebKit: page.html runs every case of cases.mjs with the ES entry's class (dist/, so build
// first), and each case is a check here. Node.js runs the same cases: tests/node/from-stream.test.mjs.
//
//   node tests/from-stream/run.mjs [--browser=chromium,firefox,webkit]

import http from 'node:http';
import { launch } from '../browsers.mjs';
import { readStatic } from '../static.mjs';
import { bookkeeping, scaled } from '../runner.mjs';
import { CASES } from './cases.mjs';

const browsers = process.argv
  .find((a) => a.startsWith('--browser='))
  ?.slice(10)
  .split(',') ?? ['chromium', 'firefox', 'webkit'];
const { check, cleanups, finish, log } = bookkeeping(5 * 60_000);
const count = Object.keys(CASES).length;

const server = http.createServer(async (req, res) => {
  const file = await readStatic(new URL(req.url, 'http://x').pathname);
  res.writeHead(file.status, { 'Content-Type': file.type ?? 'text/plain', 'Cache-Control': 'no-store' });
  res.end(file.data);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
cleanups.push(() => {
  server.closeAllConnections();
  server.close();
});
const origin = `http://127.0.0.1:${server.address().port}`;

for (const name of browsers) {
  let results;
  try {
    const { browser, close } = await launch(name, { prefix: 'from-stream' });
    cleanups.push(close);
    const page = await browser.newPage();
    await page.goto(`${origin}/tests/from-stream/page.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => !!window.__results, { timeout: scaled(30_000) });
    results = await page.evaluate(() => window.__results);
    await page.close();
  } catch (error) {
    check(false, `${name}: the page ran`, String(error?.message ?? error), { count });
    continue;
  }
  for (const r of results) check(r.ok, `${name} ${r.name}`, r.ok ? [] : r.error.split('\n').slice(0, 6));
  if (results.length !== count) check(false, `${name}: ${results.length} of ${count} cases ran`);
}
log('');
await finish();
