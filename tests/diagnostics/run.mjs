#!/usr/bin/env node
// The diagnostics (src/machine.rs, Warning; docs/diagnostics.md) against real servers that
// show each failure, in Chromium, Firefox and WebKit: each case in a fresh page (a fresh
// context where the browser has them) that imports the ES entry, from a page server (A),
// with its streams from a stream server of another origin (B): plain HTTP/1.1 on loopback.
//
//   limit        six sources open to B, then a seventh: the browser holds its request back
//                (six HTTP/1.1 connections per host); it warns 'connection-limit' (the six
//                do not), once, in the console too; one of the six closes and it opens
//   tabs         six sources in one tab, the seventh in another tab of the same site: that
//                one warns (counted across tabs with Web Locks)
//   shared       the fix: seven sources with `shared: true` share one connection: all seven
//                have the event, and nothing is said
//   held         the answer's body held back (3 s and more: the page says when) and then
//                sent at once, two events and a comment: 'held-back' after the events
//   spaced       the same silences, an event at a time: nothing is said
//   quiet        'held', with `diagnostics: false`: nothing is said
//   length       a stream with a Content-Length: 'content-length' after open
//
// A case's absence of a warning is checked where the warning would have come already: a
// warning is dispatched in the same task as the events or the answer that show it.
//
//   node tests/diagnostics/run.mjs [--browser=chromium,firefox,webkit]   (a built dist/)

import http from 'node:http';
import { launch } from '../browsers.mjs';
import { bookkeeping, scaled } from '../runner.mjs';
import { readStatic } from '../static.mjs';

const browsers = process.argv
  .find((a) => a.startsWith('--browser='))
  ?.slice(10)
  .split(',') ?? ['chromium', 'firefox', 'webkit'];
const { attempt, cleanups, finish, log } = bookkeeping(5 * 60_000);

// ---- the stream server (B) ----------------------------------------------------------------
// /sse?case=C&n=N: an event stream. Each case's answers:
//   (default)  the event `hello N`, then open until the client goes
//   held       the headers, then, once the page says (/release), two events and a comment at once
//   spaced     the headers, then at each /release one event
//   length     two events with a Content-Length, and the end
const releases = new Map(); // case → the function that sends the next part
const streams = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const cors = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' };
  if (url.pathname === '/release') {
    releases.get(url.searchParams.get('case'))?.();
    res.writeHead(204, cors);
    return res.end();
  }
  const name = url.searchParams.get('case');
  const n = url.searchParams.get('n');
  const headers = { ...cors, 'Content-Type': 'text/event-stream' };
  if (name === 'length') {
    const body = `data: one\n\ndata: two ${n}\n\n`;
    res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(body) });
    return res.end(body);
  }
  res.writeHead(200, headers);
  res.flushHeaders();
  if (name === 'held' || name === 'quiet') {
    releases.set(name, () => res.write('data: one\n\n: a comment\n\ndata: two\n\n'));
  } else if (name === 'spaced') {
    let i = 0;
    releases.set(name, () => res.write(`data: ${++i}\n\n`));
  } else {
    res.write(`data: hello ${n}\n\n`);
  }
});

// ---- the pages (A) ------------------------------------------------------------------------
// `window.__log` gets what each source dispatches ('warning' too), `window.__warned` what
// was said in the console; `window.__done` is set when the case is over.
const common = (b) => `
import { EventSource } from '/dist/index.js';
window.__log = [];
window.__warned = [];
const warn = console.warn;
console.warn = (...args) => (window.__warned.push(args.join(' ')), warn.apply(console, args));
const B = ${JSON.stringify(b)};
const next = (es, type) => new Promise((resolve) => es.addEventListener(type, resolve, { once: true }));
const watch = (es, name) => {
  for (const type of ['open', 'message', 'error', 'warning'])
    es.addEventListener(type, (e) =>
      window.__log.push([name, type, e.data ?? e.code ?? es.readyState, ...(type === 'warning' ? [e.message] : [])].join(' ')));
  return es;
};
const source = (name, query, init) => watch(new EventSource(\`\${B}/sse?\${query}\`, init), name);
const later = () => new Promise((resolve) => setTimeout(resolve));
// The wasm loaded (a first source has its event): a source made now makes its request in
// this task's microtasks, which the silence is counted from (Firefox's fetch gives the
// answer only with the first bytes of its body: the page may see no open before them).
const loaded = async () => {
  const first = new EventSource(\`\${B}/sse?n=first\`);
  await next(first, 'message');
  first.close();
};
// 3.5 s by this page's clock after \`since\`, then the stream server sends the next part.
const release = async (name, since) => {
  await new Promise((resolve) => setTimeout(resolve, since + 3500 - performance.now()));
  await fetch(\`\${B}/release?case=\${name}\`);
};`;
const six = `
const six = [1, 2, 3, 4, 5, 6].map((n) => source(\`s\${n}\`, \`n=\${n}\`));
await Promise.all(six.map((es) => next(es, 'message')));`;
const CASES = {
  limit: `${six}
const seventh = source('s7', 'n=7');
const warning = await next(seventh, 'warning');
window.__readyState = seventh.readyState;
six[0].close();
await next(seventh, 'message');
window.__done = { code: warning.code };`,
  // (Two pages: 'tabs' opens six here and 'tab2' in another tab.)
  tabs: `${six}
window.__done = true;`,
  tab2: `
const seventh = source('t7', 'n=7');
const warning = await next(seventh, 'warning');
window.__done = { code: warning.code };`,
  shared: `
const seven = [1, 2, 3, 4, 5, 6, 7].map((n) => source(\`s\${n}\`, 'n=shared', { shared: true }));
await Promise.all(seven.map((es) => next(es, 'message')));
await later();
window.__done = true;`,
  held: `
await loaded();
const since = performance.now();
const es = source('h', 'case=held');
const warning = next(es, 'warning');
await release('held', since);
await warning;
window.__done = true;`,
  spaced: `
await loaded();
let since = performance.now();
const es = source('p', 'case=spaced');
for (let i = 0; i < 2; i++) {
  const message = next(es, 'message');
  await release('spaced', since);
  await message;
  since = performance.now();
  await later();
}
window.__done = true;`,
  quiet: `
await loaded();
const since = performance.now();
const es = source('q', 'case=quiet', { diagnostics: false });
const two = new Promise((resolve) => es.addEventListener('message', (e) => e.data === 'two' && resolve()));
await release('quiet', since);
await two;
await later();
window.__done = true;`,
  length: `
const es = source('l', 'case=length&n=1');
await next(es, 'error');
es.close();
window.__done = true;`,
};
const html = (name, b) =>
  `<!doctype html><meta charset="utf-8"><title>diagnostics ${name}</title><script type="module">${common(b)}${CASES[name]}</script>`;
const pages = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const headers = { 'Cache-Control': 'no-store' };
  if (url.pathname.startsWith('/page/')) {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
    return res.end(html(url.pathname.slice(6), streamOrigin));
  }
  const file = await readStatic(url.pathname);
  res.writeHead(file.status, { ...headers, 'Content-Type': file.type ?? 'text/plain' });
  res.end(file.data);
});
const listen = async (server) => {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${server.address().port}`;
};
const streamOrigin = await listen(streams);
const pageOrigin = await listen(pages);

// ---- the expectations -----------------------------------------------------------------
const said = (warned, code) => warned.filter((line) => line.startsWith('eventsource-wasm:') && line.includes(code));
const EXPECT = {
  limit({ done, log, warned, readyState }) {
    const warnings = log.filter((line) => line.includes(' warning '));
    if (
      warnings.length !== 1 ||
      !warnings[0].startsWith('s7 warning connection-limit No answer for 3 s, with 6 other streams to this origin open or connecting')
    )
      throw new Error(`warnings: ${JSON.stringify(warnings)}`);
    if (!warnings[0].includes('shared: true') || !warnings[0].includes('HTTP/2')) throw new Error(`no fix: ${warnings[0]}`);
    if (readyState !== 0) throw new Error(`the seventh's readyState at the warning: ${readyState}`);
    if (!log.includes('s7 message hello 7')) throw new Error('the seventh did not open once one of the six closed');
    if (said(warned, 'No answer for 3 s').length !== 1) throw new Error(`console: ${JSON.stringify(warned)}`);
    if (done.code !== 'connection-limit') throw new Error(`code ${done.code}`);
  },
  tab2({ done, log, warned }) {
    if (done.code !== 'connection-limit') throw new Error(`code ${done.code}`);
    if (!log[0]?.startsWith('t7 warning connection-limit No answer for 3 s, with 6 other streams to this origin open or connecting'))
      throw new Error(`log: ${JSON.stringify(log)}`);
    if (said(warned, 'No answer').length !== 1) throw new Error(`console: ${JSON.stringify(warned)}`);
  },
  shared({ log, warned }) {
    const messages = log.filter((line) => line.endsWith(' message hello shared'));
    if (messages.length !== 7) throw new Error(`log: ${JSON.stringify(log)}`);
    nothingSaid(log, warned);
  },
  held({ log, warned }) {
    const want = ['h open 1', 'h message one', 'h message two'];
    const got = log.filter((line) => !line.includes(' warning '));
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`log: ${JSON.stringify(log)}`);
    const last = log.at(-1);
    if (!/^h warning held-back Events arrived together after \d+ s of silence: .*X-Accel-Buffering: no/.test(last))
      throw new Error(`the warning, after the events: ${JSON.stringify(log)}`);
    if (said(warned, 'Events arrived together').length !== 1) throw new Error(`console: ${JSON.stringify(warned)}`);
  },
  spaced({ log, warned }) {
    if (JSON.stringify(log) !== JSON.stringify(['p open 1', 'p message 1', 'p message 2'])) throw new Error(`log: ${JSON.stringify(log)}`);
    nothingSaid(log, warned);
  },
  quiet({ log, warned }) {
    if (JSON.stringify(log) !== JSON.stringify(['q open 1', 'q message one', 'q message two']))
      throw new Error(`log: ${JSON.stringify(log)}`);
    nothingSaid(log, warned);
  },
  length({ log, warned }) {
    const want = ['l open 1', 'l warning content-length', 'l message one', 'l message two 1', 'l error 0'];
    const got = log.map((line) => line.split(' The stream has a Content-Length')[0]);
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`log: ${JSON.stringify(log)}`);
    if (said(warned, 'The stream has a Content-Length').length !== 1) throw new Error(`console: ${JSON.stringify(warned)}`);
  },
};
const nothingSaid = (log, warned) => {
  if (log.some((line) => line.includes(' warning ')) || warned.length) throw new Error(`said: ${JSON.stringify([log, warned])}`);
};

// ---- the runs --------------------------------------------------------------------------
const state = async (page) =>
  page.evaluate(() => ({ done: window.__done, log: window.__log, warned: window.__warned, readyState: window.__readyState }));
const finished = (page) => page.waitForFunction(() => !!window.__done, { timeout: scaled(20_000) });
for (const name of browsers) {
  let browser;
  try {
    const launched = await launch(name, { prefix: 'diagnostics', warnings: true });
    cleanups.push(launched.close);
    browser = launched.browser;
  } catch (error) {
    await attempt(`${name}: launch`, () => Promise.reject(error));
    continue;
  }
  for (const c of Object.keys(CASES).filter((c) => c !== 'tab2')) {
    releases.clear();
    const context = browser.webdriver ? null : await browser.createBrowserContext();
    const opened = [];
    const open = async (page) => {
      const tab = await (context ?? browser).newPage();
      opened.push(tab);
      await tab.goto(`${pageOrigin}/page/${page}`);
      await finished(tab).catch(async (error) => {
        throw new Error(`${error.message}; so far: ${JSON.stringify(await state(tab))}`);
      });
      return state(tab);
    };
    await attempt(`${name} ${c}`, async () => {
      try {
        if (c === 'tabs') {
          await open('tabs'); // (its six only hold the connections)
          EXPECT.tab2(await open('tab2'));
        } else {
          EXPECT[c](await open(c));
        }
      } finally {
        for (const tab of opened) await tab.close().catch(() => {});
        await context?.close();
      }
    });
  }
}
log('');
await finish();
