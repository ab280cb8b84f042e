// The diagnostics in Node.js (src/machine.rs, Warning; the browsers' in
// tests/diagnostics/run.mjs): a stream held back, a Content-Length, `diagnostics: false`,
// and no connection limit (Node.js has none per host).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { EventSource } from 'eventsource-wasm';
import { fileServer, record, SSE, TIMEOUT, opener } from './helpers.mjs';

const server = fileServer();
const open = opener(EventSource);

/** What our diagnostics say in the console while `fn` runs. */
async function console_(fn) {
  const said = [];
  const warn = console.warn;
  console.warn = (...args) => said.push(args.join(' '));
  try {
    await fn();
  } finally {
    console.warn = warn;
  }
  return said.filter((line) => line.startsWith('eventsource-wasm:'));
}

/** Every `warning` of `es`, as `code`. */
const warnings = (es) => {
  const codes = [];
  es.addEventListener('warning', (event) => codes.push(`${event.code}: ${event.message}`));
  return codes;
};

/** Resolves at `since` + 3.5 s: more than the 3 s of silence a burst must come after. */
const silence = (since) => new Promise((resolve) => setTimeout(resolve, since + 3500 - performance.now()));

test('a Content-Length: a warning after open, once per source; the console once per stream', { timeout: TIMEOUT }, async () => {
  server.route('/length', (req, res) => res.writeHead(200, { ...SSE, 'Content-Length': 9 }).end('data: a\n\n'));
  const said = await console_(async () => {
    for (let i = 0; i < 2; i++) {
      const es = open(server.url('/length'), { retry: { initialDelay: 10 } });
      const order = [];
      for (const type of ['open', 'message', 'error', 'warning']) es.addEventListener(type, (e) => order.push(e.code ?? type));
      const log = record(es);
      await log.until((l) => l.errors.length === 2);
      es.close();
      // The reconnection's answer has a length too: still one warning.
      assert.deepEqual(order, ['open', 'content-length', 'message', 'error', 'open', 'message', 'error']);
    }
  });
  assert.equal(said.length, 1, said.join('\n'));
  assert.match(said[0], /\/length: The stream has a Content-Length: .*X-Accel-Buffering: no/);
});

for (const diagnostics of [true, false]) {
  test(`events held back 3 s, then sent at once: ${diagnostics ? "'held-back' after them" : 'nothing, with diagnostics: false'}`, {
    timeout: TIMEOUT,
  }, async () => {
    let send;
    const path = `/held-${diagnostics}`;
    server.route(path, (req, res) => {
      res.writeHead(200, SSE).flushHeaders();
      send = () => res.write('data: one\n\n: a comment\n\ndata: two\n\n');
    });
    const said = await console_(async () => {
      const since = performance.now();
      const es = open(server.url(path), { diagnostics });
      const codes = warnings(es);
      const log = record(es);
      await server.waitFor(path, 1);
      await silence(since);
      send();
      await log.until((l) => l.messages.length === 2);
      await new Promise((resolve) => setTimeout(resolve));
      es.close();
      if (diagnostics) {
        assert.equal(codes.length, 1);
        assert.match(codes[0], /^held-back: Events arrived together after \d+ s of silence/);
      } else {
        assert.deepEqual(codes, []);
      }
    });
    assert.equal(said.length, diagnostics ? 1 : 0, said.join('\n'));
  });
}

test('no connection limit in Node.js: a request unanswered for 3 s among eight streams says nothing', { timeout: TIMEOUT }, async () => {
  let answer;
  server.route('/open', (req, res) => res.writeHead(200, SSE).write('data: hi\n\n'));
  server.route('/late', (req, res) => {
    answer = () => res.writeHead(200, SSE).write('data: late\n\n');
  });
  const said = await console_(async () => {
    const seven = Array.from({ length: 7 }, () => open(server.url('/open')));
    await Promise.all(seven.map((es) => record(es).until((l) => l.messages.length === 1)));
    const since = performance.now();
    const late = open(server.url('/late'));
    const codes = warnings(late);
    const log = record(late);
    await server.waitFor('/late', 1);
    await silence(since);
    answer();
    await log.until((l) => l.messages.length === 1);
    for (const es of [...seven, late]) es.close();
    assert.deepEqual(codes, []);
  });
  assert.deepEqual(said, []);
});
