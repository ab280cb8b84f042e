// The network: a server that goes away and comes back, dropped connections,
// invalid UTF-8, a large event, many sources at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { EventSource } from 'eventsource-wasm';
import { startServer, record, once, SSE, TIMEOUT, opener, fileServer, scaled } from './helpers.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const server = fileServer();
const open = opener(EventSource);

test('server down (connection refused), then back: reconnects', { timeout: TIMEOUT }, async () => {
  const flaky = await startServer();
  flaky.route('/stream', (req, res) => res.writeHead(200, SSE).write('retry: 30\nid: 41\ndata: before\n\n'));
  const es = open(flaky.url('/stream'));
  const log = record(es);
  await log.until((l) => l.messages.length === 1);
  const port = flaky.port;
  await flaky.close(); // drops the connection and stops listening
  // The dropped connection, then at least one refused attempt: each is an
  // error with readyState CONNECTING, never CLOSED.
  await log.until((l) => l.errors.length >= 3);
  assert.equal(es.readyState, EventSource.CONNECTING);
  assert.ok(log.errors.every((e) => e.readyState === EventSource.CONNECTING));
  const back = await startServer({ port });
  try {
    back.route('/stream', (req, res) => res.writeHead(200, SSE).write('data: after\n\n'));
    await log.until((l) => l.messages.length === 2);
    assert.equal(es.readyState, EventSource.OPEN);
    assert.deepEqual(
      log.messages.map((e) => [e.data, e.lastEventId]),
      [
        ['before', '41'],
        ['after', '41'],
      ],
    );
    assert.equal(back.requests('/stream')[0].headers['last-event-id'], '41');
    assert.equal(log.opens.length, 2);
  } finally {
    es.close();
    await back.close();
  }
});

test('a connection dropped mid-event: the partial event is discarded, then reconnect', { timeout: TIMEOUT }, async () => {
  server.route('/drop', (req, res, n) => {
    res.writeHead(200, SSE);
    if (n === 1) {
      res.write('retry: 10\ndata: whole\n\ndata: partial', () => setTimeout(() => res.socket.destroy(), 20));
    } else {
      res.write('data: next\n\n');
    }
  });
  const es = open(server.url('/drop'));
  const log = record(es);
  await log.until((l) => l.messages.length === 2);
  assert.deepEqual(
    log.messages.map((e) => e.data),
    ['whole', 'next'],
  );
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['open', 'message', 'error', 'open', 'message'],
  );
  es.close();
});

test('invalid UTF-8 becomes U+FFFD, exactly as TextDecoder does', { timeout: TIMEOUT }, async () => {
  const cases = [
    Buffer.from([0x61, 0xff, 0x62]), // a, invalid byte, b
    Buffer.from([0xc3]), // truncated 2-byte sequence at the end of the line
    Buffer.from([0xc0, 0xaf]), // overlong
    Buffer.from([0xed, 0xa0, 0x80]), // surrogate
    Buffer.from([0xf0, 0x9f, 0x98]), // truncated 4-byte sequence
    Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
  ];
  server.route('/utf8', (req, res) => {
    res.writeHead(200, SSE);
    for (const bytes of cases) res.write(Buffer.concat([Buffer.from('data: '), bytes, Buffer.from('\n\n')]));
    // A valid multi-byte character split across two writes.
    res.write(Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xf0, 0x9f]), () =>
      setTimeout(() => res.write(Buffer.from([0x98, 0x80, 0x0a, 0x0a])), 20),
    );
  });
  const es = open(server.url('/utf8'));
  const log = record(es);
  await log.until((l) => l.messages.length === cases.length + 1);
  const expected = cases.map((bytes) => new TextDecoder().decode(bytes));
  assert.deepEqual(
    log.messages.map((e) => e.data),
    [...expected, '😀'],
  );
  assert.equal(log.messages[0].data, 'a\uFFFDb');
  es.close();
});

test('a 4 MiB event, in odd-sized chunks that split characters', { timeout: TIMEOUT }, async () => {
  const text = 'é'.repeat(2 * 1024 * 1024); // 4 MiB of UTF-8
  const bytes = Buffer.from(`data: ${text}\n\ndata: small\n\n`);
  server.route('/large', (req, res) => {
    res.writeHead(200, SSE);
    const chunk = 65_521;
    let at = 0;
    const next = () => {
      while (at < bytes.length) {
        const ok = res.write(bytes.subarray(at, (at += chunk)));
        if (!ok) return res.once('drain', next);
      }
    };
    next();
  });
  const es = open(server.url('/large'));
  const log = record(es);
  await log.until((l) => l.messages.length === 2);
  assert.equal(log.messages[0].data.length, text.length);
  assert.ok(log.messages[0].data === text, 'the 4 MiB event arrived intact');
  assert.equal(log.messages[1].data, 'small');
  es.close();
});

test('100 sources in one process all receive', { timeout: TIMEOUT }, async () => {
  const N = 100;
  server.route('/many', (req, res) => {
    const n = new URL(req.url, 'http://x').searchParams.get('n');
    res.writeHead(200, SSE);
    res.write(`id: ${n}\ndata: hello ${n}\n\n`);
  });
  const many = Array.from({ length: N }, (_, n) => open(server.url(`/many?n=${n}`)));
  const received = await Promise.all(
    many.map(
      (es) =>
        new Promise((resolve, reject) => {
          es.onmessage = (e) => resolve(e);
          es.onerror = () => reject(new Error(`error on ${es.url}`));
        }),
    ),
  );
  received.forEach((e, n) => {
    assert.equal(e.data, `hello ${n}`);
    assert.equal(e.lastEventId, String(n));
  });
  assert.ok(many.every((es) => es.readyState === EventSource.OPEN));
  for (const es of many) es.close();
  await Promise.all(server.requests('/many').map((r) => r.closed));
  assert.equal(server.requests('/many').length, N);
});

test('connection refused on the first attempt: error, still CONNECTING (it will retry)', { timeout: TIMEOUT }, async () => {
  const gone = await startServer();
  const url = gone.url('/nobody');
  await gone.close();
  const es = open(url);
  await once(es, 'error');
  assert.equal(es.readyState, EventSource.CONNECTING);
  es.close();
});

test('10,000 small events in one response arrive in order', { timeout: TIMEOUT }, async () => {
  const N = 10_000;
  let body = '';
  for (let i = 0; i < N; i++) body += `id: ${i}\ndata: ${i}\n\n`;
  server.route('/burst', (req, res) => res.writeHead(200, SSE).write(body));
  const es = open(server.url('/burst'));
  const log = record(es);
  await log.until((l) => l.messages.length === N);
  assert.ok(log.messages.every((e, i) => e.data === String(i) && e.lastEventId === String(i)));
  es.close();
});

test('data passes NUL, U+2028 and astral characters through unchanged', { timeout: TIMEOUT }, async () => {
  const data = 'a\0b\u2028c\u{1F600}\u00A0 \t';
  server.route('/chars', (req, res) => res.writeHead(200, SSE).write(`data: ${data}\n\n`));
  const es = open(server.url('/chars'));
  const event = await once(es, 'message');
  es.close();
  assert.equal(event.data, data);
});

test('a gzip-compressed stream (Content-Encoding: gzip), flushed per event', { timeout: TIMEOUT }, async () => {
  server.route('/gzip', (req, res) => {
    res.writeHead(200, { ...SSE, 'Content-Encoding': 'gzip' });
    const gzip = zlib.createGzip();
    gzip.pipe(res);
    gzip.write('data: compressed 1\n\n');
    gzip.flush(() => {
      gzip.write('data: compressed 2\n\n');
      gzip.flush();
    });
  });
  const es = open(server.url('/gzip'));
  const log = record(es);
  await log.until((l) => l.messages.length === 2);
  assert.deepEqual(
    log.messages.map((e) => e.data),
    ['compressed 1', 'compressed 2'],
  );
  es.close();
});

test('an exception in a listener is reported, and the stream goes on', { timeout: TIMEOUT }, () => {
  // In a child process: Node.js reports a listener's exception as uncaught.
  const script = `
    import http from 'node:http';
    import { EventSource } from 'eventsource-wasm';
    const reported = [];
    process.on('uncaughtException', (error) => reported.push(error.message));
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: 1\\n\\n');
      setTimeout(() => res.write('data: 2\\n\\n'), 50);
    });
    server.listen(0, '127.0.0.1', () => {
      const es = new EventSource('http://127.0.0.1:' + server.address().port + '/');
      const seen = [];
      es.addEventListener('message', (e) => { seen.push(e.data); if (e.data === '1') throw new Error('boom'); });
      es.addEventListener('message', (e) => {
        seen.push('second listener ' + e.data);
        if (e.data !== '2') return;
        es.close();
        server.closeAllConnections();
        server.close();
        setImmediate(() => console.log(JSON.stringify({ seen, reported, readyState: es.readyState })));
      });
    });
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: scaled(8000) });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), {
    seen: ['1', 'second listener 1', '2', 'second listener 2'],
    reported: ['boom'],
    readyState: 2,
  });
});
