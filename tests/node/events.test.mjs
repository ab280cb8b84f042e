// The package as a Node.js user imports it: events, ids, Last-Event-ID,
// retry, failed responses, Content-Type parameters, redirects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource-wasm';
import { startServer, record, once, quiet, turn, SSE, TIMEOUT, opener } from './helpers.mjs';

let server;
let other; // a second origin, for redirects
const open = opener(EventSource);

before(async () => {
  server = await startServer();
  other = await startServer();
});
after(async () => {
  await server.close();
  await other.close();
});

test('open, then unnamed and named events, with origin and lastEventId', { timeout: TIMEOUT }, async () => {
  server.route('/basic', (req, res) => {
    res.writeHead(200, SSE);
    res.write(': a comment\n\ndata: hello\n\nevent: greet\ndata: hi there\n\ndata: last\n\n');
  });
  const es = open(server.url('/basic'));
  assert.equal(es.readyState, EventSource.CONNECTING);
  const log = record(es, ['greet']);
  const opened = await once(es, 'open');
  assert.equal(opened.type, 'open');
  assert.equal(es.readyState, EventSource.OPEN);
  await log.until((l) => l.messages.length === 3);
  assert.deepEqual(
    log.messages.map((e) => [e.type, e.data, e.lastEventId, e.origin]),
    [
      ['message', 'hello', '', server.origin],
      ['greet', 'hi there', '', server.origin],
      ['message', 'last', '', server.origin],
    ],
  );
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['open', 'message', 'greet', 'message'],
  );
  assert.equal(log.errors.length, 0);
  const [request] = server.requests('/basic');
  assert.equal(request.headers.accept, 'text/event-stream');
  assert.equal(request.headers['last-event-id'], undefined);
  es.close();
});

test('a named event reaches only its own listeners, not onmessage', { timeout: TIMEOUT }, async () => {
  server.route('/named', (req, res) => {
    res.writeHead(200, SSE);
    res.write('event: update\ndata: u1\n\nevent: message\ndata: m1\n\nevent:\ndata: m2\n\n');
  });
  const es = open(server.url('/named'));
  const onmessage = [];
  const updates = [];
  es.onmessage = (e) => onmessage.push(e.data);
  es.addEventListener('update', (e) => updates.push(e.data));
  const log = record(es, ['update']);
  await log.until((l) => l.messages.length === 3);
  assert.deepEqual(updates, ['u1']);
  // `event: message` and an empty `event:` both mean "message".
  assert.deepEqual(onmessage, ['m1', 'm2']);
  es.close();
});

test('multi-line data, all three line endings, BOM, leading space', { timeout: TIMEOUT }, async () => {
  server.route('/multiline', (req, res) => {
    res.writeHead(200, SSE);
    res.write('\uFEFFdata: a\ndata:b\ndata:  c\n\n');
    res.write('data: crlf1\r\ndata: crlf2\r\n\r\n');
    res.write('data: cr1\rdata: cr2\r\r');
    res.write('data\n\ndata:\ndata:\n\n');
    res.write('data: split');
    res.write(' across\r');
    res.write('\n\r\n');
  });
  const es = open(server.url('/multiline'));
  const log = record(es);
  await log.until((l) => l.messages.length === 6);
  assert.deepEqual(
    log.messages.map((e) => e.data),
    ['a\nb\n c', 'crlf1\ncrlf2', 'cr1\ncr2', '', '\n', 'split across'],
  );
  es.close();
});

test('ids persist across events and reconnections; Last-Event-ID is sent', { timeout: TIMEOUT }, async () => {
  server.route('/ids', (req, res, n) => {
    res.writeHead(200, SSE);
    if (n === 1) {
      // One write, then the response ends: the client reconnects after 10 ms.
      res.end('retry: 10\nid: 7\ndata: first\n\ndata: no id\n\n');
    } else if (n === 2) {
      res.end('data: after reconnect\n\nid\ndata: reset\n\n');
    } else {
      res.write('data: third\n\n');
    }
  });
  const es = open(server.url('/ids'));
  const log = record(es);
  await log.until((l) => l.messages.length === 5);
  assert.deepEqual(
    log.messages.map((e) => [e.data, e.lastEventId]),
    [
      ['first', '7'],
      ['no id', '7'],
      ['after reconnect', '7'],
      ['reset', ''],
      ['third', ''],
    ],
  );
  const requests = server.requests('/ids');
  assert.equal(requests.length, 3);
  assert.equal(requests[0].headers['last-event-id'], undefined);
  assert.equal(requests[1].headers['last-event-id'], '7');
  // An empty id resets the last event ID: no header at all.
  assert.equal(requests[2].headers['last-event-id'], undefined);
  // One error per reconnection, each with readyState CONNECTING.
  assert.deepEqual(
    log.errors.map((e) => e.readyState),
    [EventSource.CONNECTING, EventSource.CONNECTING],
  );
  assert.deepEqual(log.opens.length, 3);
  es.close();
});

test('a non-ASCII id goes out as UTF-8 bytes in Last-Event-ID', { timeout: TIMEOUT }, async () => {
  server.route('/utf8-id', (req, res, n) => {
    res.writeHead(200, SSE);
    if (n === 1) res.end('retry: 10\nid: é€😀\ndata: x\n\n');
    else res.write('data: y\n\n');
  });
  const es = open(server.url('/utf8-id'));
  const log = record(es);
  await log.until((l) => l.messages.length === 2);
  assert.equal(log.messages[1].lastEventId, 'é€😀');
  const raw = server.requests('/utf8-id')[1].headers['last-event-id'];
  // node:http reads header bytes as latin1.
  assert.equal(Buffer.from(raw, 'latin1').toString('utf8'), 'é€😀');
  es.close();
});

test('an id with NUL is ignored', { timeout: TIMEOUT }, async () => {
  server.route('/nul-id', (req, res) => {
    res.writeHead(200, SSE);
    res.write('id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n');
  });
  const es = open(server.url('/nul-id'));
  const log = record(es);
  await log.until((l) => l.messages.length === 2);
  assert.deepEqual(
    log.messages.map((e) => e.lastEventId),
    ['1', '1'],
  );
  es.close();
});

test('retry: sets the reconnection delay', { timeout: TIMEOUT }, async () => {
  const at = [];
  server.route('/retry', (req, res, n) => {
    at.push(performance.now());
    res.writeHead(200, SSE);
    if (n === 1) res.end('retry: 250\ndata: a\n\n');
    else if (n === 2)
      res.end('retry: x\nretry: 20\n\n'); // an invalid retry is ignored
    else res.write('data: done\n\n');
  });
  const es = open(server.url('/retry'));
  const log = record(es);
  await server.waitFor('/retry', 3);
  await log.until((l) => l.messages.length === 2);
  const first = at[1] - at[0];
  const second = at[2] - at[1];
  assert.ok(first >= 240, `waited ${first} ms for retry: 250`);
  assert.ok(first < 2500, `waited ${first} ms for retry: 250 (the default is 3 s)`);
  assert.ok(second < first, `retry: 20 waited ${second} ms, retry: 250 ${first} ms`);
  es.close();
});

for (const [name, status, headers, body] of [
  ['204', 204, SSE, ''],
  ['404', 404, SSE, 'data: not found\n\n'],
  ['500', 500, SSE, 'data: oops\n\n'],
  ['201 (only 200 opens)', 201, SSE, 'data: x\n\n'],
  ['text/plain', 200, { 'Content-Type': 'text/plain' }, 'data: x\n\n'],
  ['no Content-Type', 200, {}, 'data: x\n\n'],
  ['text/event-streams', 200, { 'Content-Type': 'text/event-streams' }, 'data: x\n\n'],
]) {
  test(`a ${name} response fails the connection: CLOSED, one error, no retry`, { timeout: TIMEOUT }, async () => {
    const path = `/fail-${status}-${name.replace(/\W/g, '')}`;
    server.route(path, (req, res, n) => {
      if (n === 1) {
        // A good first connection sets a short reconnection time, so that a
        // wrong retry after the failure would show within the quiet period.
        res.writeHead(200, SSE).end('retry: 10\ndata: ok\n\n');
        return;
      }
      res.writeHead(status, headers);
      if (status === 204) res.end();
      else res.end(body);
    });
    const es = open(server.url(path));
    const log = record(es);
    await log.until((l) => l.errors.length === 2);
    assert.equal(es.readyState, EventSource.CLOSED);
    assert.deepEqual(
      log.errors.map((e) => e.readyState),
      [EventSource.CONNECTING, EventSource.CLOSED],
    );
    assert.deepEqual(
      log.messages.map((e) => e.data),
      ['ok'],
    );
    await quiet(200); // 20 times the reconnection time: no further request, no event
    assert.equal(server.requests(path).length, 2);
    assert.equal(log.all.length, 4); // open, message, error, error
  });
}

test('a 404 on the very first request: CLOSED, exactly one error, no open', { timeout: TIMEOUT }, async () => {
  server.route('/404-first', (req, res) => res.writeHead(404, SSE).end('data: x\n\n'));
  const es = open(server.url('/404-first'));
  const log = record(es);
  await once(es, 'error');
  assert.equal(es.readyState, EventSource.CLOSED);
  await turn();
  assert.equal(log.all.length, 1);
  assert.equal(server.requests('/404-first').length, 1);
});

for (const contentType of [
  'text/event-stream;charset=utf-8',
  'text/event-stream; charset=UTF-8',
  'text/event-stream;',
  'Text/Event-Stream',
  'text/event-stream ; foo=bar',
]) {
  test(`Content-Type ${JSON.stringify(contentType)} is accepted`, { timeout: TIMEOUT }, async () => {
    const path = `/ct-${encodeURIComponent(contentType)}`;
    server.route(path, (req, res) => {
      res.writeHead(200, { 'Content-Type': contentType });
      res.write('data: ok\n\n');
    });
    const es = open(server.url(path));
    const log = record(es);
    await log.until((l) => l.messages.length === 1);
    assert.equal(log.messages[0].data, 'ok');
    assert.equal(es.readyState, EventSource.OPEN);
    assert.equal(log.errors.length, 0);
    es.close();
  });
}

for (const status of [301, 302, 303, 307, 308]) {
  test(`a ${status} redirect is followed; origin is the final URL's`, { timeout: TIMEOUT }, async () => {
    const from = `/redirect-${status}`;
    const to = `/target-${status}`;
    server.route(from, (req, res) => res.writeHead(status, { Location: other.url(to) }).end());
    other.route(to, (req, res, n) => {
      res.writeHead(200, SSE);
      if (n === 1) res.end('retry: 10\nid: r1\ndata: redirected\n\n');
      else res.write('data: again\n\n');
    });
    const es = open(server.url(from));
    const log = record(es);
    await log.until((l) => l.messages.length === 2);
    assert.notEqual(server.origin, other.origin);
    assert.deepEqual(
      log.messages.map((e) => [e.data, e.origin]),
      [
        ['redirected', other.origin],
        ['again', other.origin],
      ],
    );
    // `url` stays the one given, but a reconnection fetches the final URL: the
    // redirect grew the request's URL list (whatwg/html#503; Chromium does so).
    assert.equal(es.url, server.url(from));
    assert.equal(server.requests(from).length, 1);
    assert.equal(other.requests(to).length, 2);
    assert.equal(other.requests(to)[1].headers['last-event-id'], 'r1');
    assert.equal(other.requests(to)[0].headers.accept, 'text/event-stream');
    es.close();
  });
}

test('withCredentials is kept (and harmless in Node.js)', { timeout: TIMEOUT }, async () => {
  server.route('/credentials', (req, res) => res.writeHead(200, SSE).end('data: c\n\n'));
  const es = open(server.url('/credentials'), { withCredentials: true });
  assert.equal(es.withCredentials, true);
  const log = record(es);
  await log.until((l) => l.messages.length === 1);
  es.close();
  assert.equal(open(server.url('/credentials'), {}).withCredentials, false);
  assert.equal(open(server.url('/credentials')).withCredentials, false);
});
