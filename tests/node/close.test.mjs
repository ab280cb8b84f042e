// close(): in every state, and from inside handlers. After close() nothing
// more is dispatched (not even the rest of the chunk being parsed), no error
// fires, the server sees the connection go away and no request follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource-wasm';
import { record, once, quiet, turn, SSE, TIMEOUT, opener, fileServer } from './helpers.mjs';

const server = fileServer();
const open = opener(EventSource);

test('close() right after construction (CONNECTING, no request yet)', { timeout: TIMEOUT }, async () => {
  server.route('/close-at-once', (req, res) => res.writeHead(200, SSE).end('data: x\n\n'));
  const es = open(server.url('/close-at-once'));
  const log = record(es);
  es.close();
  assert.equal(es.readyState, EventSource.CLOSED);
  await quiet(100);
  assert.equal(log.all.length, 0);
  assert.equal(server.requests('/close-at-once').length, 0);
  es.close(); // twice is harmless
  assert.equal(es.readyState, EventSource.CLOSED);
});

test('close() while the request is in flight (CONNECTING)', { timeout: TIMEOUT }, async () => {
  let respond;
  server.route('/close-connecting', (req, res) => {
    respond = () => {
      if (!res.destroyed) res.writeHead(200, SSE).end('data: too late\n\n');
    };
  });
  const es = open(server.url('/close-connecting'));
  const log = record(es);
  const [request] = await server.waitFor('/close-connecting');
  assert.equal(es.readyState, EventSource.CONNECTING);
  es.close();
  assert.equal(es.readyState, EventSource.CLOSED);
  await request.closed; // the server sees the request aborted
  respond();
  await turn();
  assert.equal(log.all.length, 0);
  assert.equal(server.requests('/close-connecting').length, 1);
});

test('close() while OPEN: the server sees the connection closed, no error', { timeout: TIMEOUT }, async () => {
  let sent = 0;
  server.route('/close-open', (req, res) => {
    res.writeHead(200, SSE);
    res.write('retry: 10\ndata: 1\n\n');
    sent++;
  });
  const es = open(server.url('/close-open'));
  const log = record(es);
  await log.until((l) => l.messages.length === 1);
  assert.equal(es.readyState, EventSource.OPEN);
  es.close();
  assert.equal(es.readyState, EventSource.CLOSED);
  const [request] = server.requests('/close-open');
  await request.closed;
  // Whatever the server still tries to send goes nowhere.
  request.res.write('data: 2\n\n');
  await quiet(100); // ten times the reconnection time
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['open', 'message'],
  );
  assert.equal(sent, 1);
});

test('close() inside onerror, while waiting to reconnect: no further request', { timeout: TIMEOUT }, async () => {
  server.route('/close-waiting', (req, res) => res.writeHead(200, SSE).end('retry: 20\ndata: 1\n\n'));
  const es = open(server.url('/close-waiting'));
  const log = record(es);
  es.onerror = () => {
    assert.equal(es.readyState, EventSource.CONNECTING);
    es.close();
  };
  await log.until((l) => l.errors.length === 1);
  assert.equal(es.readyState, EventSource.CLOSED);
  await quiet(200); // ten times the reconnection time
  assert.equal(server.requests('/close-waiting').length, 1);
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['open', 'message', 'error'],
  );
});

test('close() later, while waiting to reconnect: the timer is cancelled', { timeout: TIMEOUT }, async () => {
  server.route('/close-waiting-later', (req, res) => res.writeHead(200, SSE).end('retry: 150\ndata: 1\n\n'));
  const es = open(server.url('/close-waiting-later'));
  const log = record(es);
  await log.until((l) => l.errors.length === 1);
  assert.equal(es.readyState, EventSource.CONNECTING);
  await turn();
  es.close();
  await quiet(400);
  assert.equal(server.requests('/close-waiting-later').length, 1);
  assert.equal(log.all.length, 3);
});

test('close() inside onmessage: the rest of the same chunk is not dispatched', { timeout: TIMEOUT }, async () => {
  server.route('/close-in-handler', (req, res) => {
    res.writeHead(200, SSE);
    // One write: all three events arrive in one chunk.
    res.write('data: 1\n\ndata: 2\n\nevent: other\ndata: 3\n\n');
  });
  const es = open(server.url('/close-in-handler'));
  const log = record(es, ['other']);
  const seen = [];
  es.onmessage = (e) => {
    seen.push(e.data);
    es.close();
    assert.equal(es.readyState, EventSource.CLOSED);
  };
  await log.until((l) => l.messages.length >= 1);
  const [request] = server.requests('/close-in-handler');
  await request.closed;
  await turn();
  assert.deepEqual(seen, ['1']);
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['open', 'message'],
  );
  assert.equal(server.requests('/close-in-handler').length, 1);
});

test('close() in one listener: the others still get this event, none the next', { timeout: TIMEOUT }, async () => {
  server.route('/close-first-listener', (req, res) => res.writeHead(200, SSE).write('data: 1\n\ndata: 2\n\n'));
  const es = open(server.url('/close-first-listener'));
  const first = [];
  const second = [];
  es.addEventListener('message', (e) => {
    first.push(e.data);
    es.close();
  });
  es.addEventListener('message', (e) => second.push(e.data));
  await once(es, 'message');
  await server.requests('/close-first-listener')[0].closed;
  await turn();
  assert.deepEqual(first, ['1']);
  assert.deepEqual(second, ['1']);
});

test('close() inside onopen: events of the first chunk are not dispatched', { timeout: TIMEOUT }, async () => {
  server.route('/close-in-open', (req, res) => {
    res.writeHead(200, SSE);
    res.write('data: 1\n\n');
  });
  const es = open(server.url('/close-in-open'));
  const log = record(es);
  es.onopen = () => es.close();
  await log.until((l) => l.opens.length === 1);
  await server.requests('/close-in-open')[0].closed;
  await turn();
  assert.deepEqual(
    log.all.map((e) => e.type),
    ['open'],
  );
});

test('close() after a failure changes nothing', { timeout: TIMEOUT }, async () => {
  server.route('/close-after-fail', (req, res) => res.writeHead(500).end());
  const es = open(server.url('/close-after-fail'));
  const log = record(es);
  await once(es, 'error');
  es.close();
  await turn();
  assert.equal(es.readyState, EventSource.CLOSED);
  assert.equal(log.all.length, 1);
});
