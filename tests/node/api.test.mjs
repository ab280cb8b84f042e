// The class itself: construction, url, constants, attributes, event handler
// attributes, MessageEvent, the default export and the polyfill entry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import EventSourceDefault, { EventSource } from 'eventsource-wasm';
import { startServer, record, once, SSE, TIMEOUT, opener } from './helpers.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let server;
const open = opener(EventSource);

before(async () => {
  server = await startServer();
  server.route('/two', (req, res) => res.writeHead(200, SSE).write('data: 1\n\ndata: 2\n\n'));
});
after(async () => {
  await server.close();
});

test('url is the parsed, absolute URL', { timeout: TIMEOUT }, () => {
  const cases = [
    ['HTTP://127.0.0.1:80/a/./b/../c?q=1#frag', 'http://127.0.0.1/a/c?q=1#frag'],
    ['http://127.0.0.1:9/p q', 'http://127.0.0.1:9/p%20q'],
    ['http://EXAMPLE.test/', 'http://example.test/'],
    [new URL('http://127.0.0.1:9/from-url-object'), 'http://127.0.0.1:9/from-url-object'],
    [{ toString: () => 'http://127.0.0.1:9/stringified' }, 'http://127.0.0.1:9/stringified'],
  ];
  for (const [input, expected] of cases) {
    const es = open(input);
    assert.equal(es.url, expected);
    es.close();
  }
});

test('a relative or invalid URL throws a SyntaxError DOMException (no base URL in Node.js)', { timeout: TIMEOUT }, () => {
  for (const url of ['/relative', 'relative', '', '//127.0.0.1/x', 'http://[::1', 'http://a b/']) {
    assert.throws(
      () => new EventSource(url),
      (error) => error instanceof DOMException && error.name === 'SyntaxError' && error.code === 12,
      `new EventSource(${JSON.stringify(url)})`,
    );
  }
});

test('WebIDL conversions throw TypeError: no argument, a Symbol as URL, a non-object init', {
  timeout: TIMEOUT,
}, () => {
  const url = server.url('/two');
  const failures = [];
  for (const [what, make] of [
    ['new EventSource()', () => new EventSource()],
    ['new EventSource(Symbol())', () => new EventSource(Symbol('x'))],
    ['new EventSource(url, 5)', () => new EventSource(url, 5)],
    ["new EventSource(url, 'x')", () => new EventSource(url, 'x')],
  ]) {
    try {
      make().close();
      failures.push(`${what}: no exception`);
    } catch (error) {
      if (!(error instanceof TypeError)) failures.push(`${what}: ${error.name}`);
    }
  }
  assert.deepEqual(failures, []);
  // null and undefined are an empty dictionary.
  open(url, null).close();
  open(url, undefined).close();
});

test('calling the class without new throws TypeError', { timeout: TIMEOUT }, () => {
  assert.throws(() => EventSource(server.url('/two')), TypeError);
  assert.throws(() => EventSource.call({}, server.url('/two')), TypeError);
});

test('a scheme fetch cannot load fails at once: one error, CLOSED', { timeout: TIMEOUT }, async () => {
  const es = open('ftp://127.0.0.1/stream');
  assert.equal(es.url, 'ftp://127.0.0.1/stream');
  const log = record(es);
  await once(es, 'error');
  assert.equal(es.readyState, EventSource.CLOSED);
  assert.equal(log.all.length, 1);
});

test('a data: URL streams; its origin is "null"', { timeout: TIMEOUT }, async () => {
  const es = open('data:text/event-stream,data:%20from%20data%0A%0A');
  const event = await once(es, 'message');
  es.close();
  assert.equal(event.data, 'from data');
  assert.equal(event.origin, 'null');
});

test('constants on the class, the prototype and instances', { timeout: TIMEOUT }, () => {
  const expected = { CONNECTING: 0, OPEN: 1, CLOSED: 2 };
  for (const target of [EventSource, EventSource.prototype]) {
    for (const [name, value] of Object.entries(expected)) {
      assert.deepEqual(Object.getOwnPropertyDescriptor(target, name), {
        value,
        writable: false,
        enumerable: true,
        configurable: false,
      });
    }
  }
  const es = open(server.url('/two'));
  es.close();
  assert.equal(es.CONNECTING, 0);
  assert.equal(es.OPEN, 1);
  assert.equal(es.CLOSED, 2);
  assert.throws(() => {
    EventSource.OPEN = 5;
  }, TypeError);
});

test('attributes: readonly, on the prototype; toStringTag; an EventTarget', { timeout: TIMEOUT }, () => {
  const es = open(server.url('/two'), { withCredentials: 1 });
  es.close();
  assert.ok(es instanceof EventTarget);
  assert.equal(Object.prototype.toString.call(es), '[object EventSource]');
  for (const name of ['url', 'withCredentials', 'readyState']) {
    const descriptor = Object.getOwnPropertyDescriptor(EventSource.prototype, name);
    assert.equal(typeof descriptor.get, 'function', name);
    assert.equal(descriptor.set, undefined, name);
    assert.ok(!Object.hasOwn(es, name), name);
  }
  for (const name of ['onopen', 'onmessage', 'onerror']) {
    const descriptor = Object.getOwnPropertyDescriptor(EventSource.prototype, name);
    assert.equal(typeof descriptor.get, 'function', name);
    assert.equal(typeof descriptor.set, 'function', name);
  }
  assert.equal(typeof EventSource.prototype.close, 'function');
  assert.equal(es.withCredentials, true);
  assert.throws(() => {
    es.readyState = 1;
  }, TypeError);
  assert.throws(() => {
    es.url = 'http://elsewhere/';
  }, TypeError);
  assert.equal(es.readyState, EventSource.CLOSED);
  assert.equal(EventSource.length, 1);
});

test('the class is named EventSource (as the native one, e.g. in es.constructor.name)', {
  timeout: TIMEOUT,
}, () => {
  assert.equal(EventSource.name, 'EventSource');
});

test('events are MessageEvents with data, origin, lastEventId; open and error are plain Events', { timeout: TIMEOUT }, async () => {
  const es = open(server.url('/two'));
  const opened = await once(es, 'open');
  const message = await once(es, 'message');
  es.close();
  assert.ok(opened instanceof Event);
  assert.ok(!(opened instanceof MessageEvent));
  assert.ok(message instanceof MessageEvent);
  assert.equal(message.type, 'message');
  assert.equal(message.data, '1');
  assert.equal(message.origin, server.origin);
  assert.equal(message.lastEventId, '');
  assert.equal(message.source, null);
  assert.deepEqual([...message.ports], []);
  assert.equal(message.bubbles, false);
  assert.equal(message.cancelable, false);
  assert.equal(message.target, es);
});

test('onmessage: the first assignment adds a listener, later ones replace it in place, null removes', { timeout: TIMEOUT }, async () => {
  server.route('/stepped', (req, res) => res.writeHead(200, SSE).write(':\n'));
  const es = open(server.url('/stepped'));
  const calls = [];
  const handlerThis = [];
  assert.equal(es.onmessage, null);
  es.addEventListener('message', (e) => calls.push(`A${e.data}`));
  const h1 = (e) => calls.push(`H1-${e.data}`);
  es.onmessage = h1;
  assert.equal(es.onmessage, h1);
  es.addEventListener('message', (e) => calls.push(`B${e.data}`));
  const h2 = function (e) {
    handlerThis.push(this);
    calls.push(`H2-${e.data}`);
  };
  es.onmessage = h2; // replaces h1, keeping its place between A and B
  assert.equal(es.onmessage, h2);
  await once(es, 'open');
  const { res } = server.requests('/stepped')[0];
  const send = (data) => {
    const next = once(es, 'message');
    res.write(`data: ${data}\n\n`);
    return next;
  };

  await send(1);
  assert.deepEqual(calls, ['A1', 'H2-1', 'B1']);
  assert.equal(handlerThis[0], es);

  es.onmessage = null; // removes it
  assert.equal(es.onmessage, null);
  await send(2);
  assert.deepEqual(calls.slice(3), ['A2', 'B2']);

  es.onmessage = h1; // added again: now after B
  await send(3);
  assert.deepEqual(calls.slice(5), ['A3', 'B3', 'H1-3']);
  es.close();
});

test('handler attributes: non-objects become null; onopen/onerror work the same way', { timeout: TIMEOUT }, async () => {
  const es = open(server.url('/two'));
  for (const value of [undefined, 42, 'alert(1)', true]) {
    es.onmessage = value;
    assert.equal(es.onmessage, null, String(value));
  }
  const object = { handleEvent() {} };
  es.onmessage = object; // an object is kept (but, not being callable, never called)
  assert.equal(es.onmessage, object);
  es.onmessage = null;
  const order = [];
  es.onopen = () => order.push('onopen');
  es.addEventListener('open', () => order.push('listener'));
  es.onerror = () => order.push('onerror');
  assert.equal(typeof es.onopen, 'function');
  assert.equal(typeof es.onerror, 'function');
  await once(es, 'open');
  assert.deepEqual(order, ['onopen', 'listener']);
  es.close();
});

test('the default export is the named one', { timeout: TIMEOUT }, () => {
  assert.equal(EventSourceDefault, EventSource);
});

test("eventsource-wasm/polyfill installs the package's EventSource where there is none", { timeout: TIMEOUT }, async () => {
  const hadOne = typeof globalThis.EventSource !== 'undefined';
  const polyfill = await import('eventsource-wasm/polyfill');
  assert.equal(polyfill.EventSource, EventSource);
  assert.equal(polyfill.default, EventSource);
  if (!hadOne) assert.equal(globalThis.EventSource, EventSource);
  // It never replaces an existing one (in a fresh process, with a stand-in).
  const script = `
    class Native {}
    globalThis.EventSource = Native;
    const polyfill = await import('eventsource-wasm/polyfill');
    const pkg = await import('eventsource-wasm');
    console.log(JSON.stringify([globalThis.EventSource === Native, polyfill.EventSource === pkg.EventSource]));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), [true, true]);
});

test('the wasm module failing to load fails the source, with the cause on the console', { timeout: TIMEOUT }, async () => {
  // The class as the entries make it, with a loader that fails as a fetch of a
  // missing .wasm would.
  const { defineEventSource } = await import('../../js/eventsource.js');
  const cause = new Error('404: eventsource_wasm_bg.wasm');
  const Failing = defineEventSource(() => Promise.reject(cause));
  const logged = [];
  const original = console.error;
  console.error = (...args) => logged.push(args);
  try {
    const es = new Failing('http://127.0.0.1:1/never');
    assert.equal(es.readyState, Failing.CONNECTING);
    await once(es, 'error');
    assert.equal(es.readyState, Failing.CLOSED);
  } finally {
    console.error = original;
  }
  assert.equal(logged.length, 1);
  assert.equal(logged[0][1], cause);
});
