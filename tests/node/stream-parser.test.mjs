// EventStreamParser, as a Node.js user imports it: a TransformStream from
// bytes (or text) to { type, data, lastEventId }, backed by the wasm parser.
// The spec's parsing rules, chunking (every split point of one tricky
// stream), the accepted chunk types, the buffer limit, the options, a real
// chunked HTTP response, and the life cycle of the wasm object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import * as entry from 'eventsource-wasm';
import { EventStreamParser } from 'eventsource-wasm/stream-parser';
import * as polyfill from 'eventsource-wasm/polyfill';
// The wasm class, to count how the parser's wasm objects are created and freed: the glue
// that scripts/build.sh bundles into dist/ (target/bindgen/, a build output that is not
// shipped), on an instance of the shipped wasm of its own.
import { initSync, StreamParser } from '../../target/bindgen/eventsource_wasm.js';
// The factory the entries call (bundled into them in dist/).
import { defineEventStreamParser } from '../../js/stream-parser.js';
import { SSE, TIMEOUT, fileServer, scaled } from './helpers.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
initSync({ module: readFileSync(new URL('../../dist/eventsource_wasm_full_bg.wasm', import.meta.url)) });
const encoder = new TextEncoder();

const server = fileServer();

/** Concatenates strings (UTF-8 encoded) and arrays of byte values. */
function bytes(...parts) {
  const arrays = parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : Uint8Array.from(part)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** An event as a tuple, for short expectations. */
const tuple = ({ type, data, lastEventId }) => [type, data, lastEventId];

/**
 * Pipes `chunks` through a new parser (the callbacks recorded) and collects
 * everything: events as tuples, retries, comments, and the error if any.
 */
async function parse(chunks, options = {}, Parser = EventStreamParser) {
  const retries = [];
  const comments = [];
  const parser = new Parser({
    onRetry: (ms) => retries.push(ms),
    onComment: (text) => comments.push(text),
    ...options,
  });
  const source = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const events = [];
  let error;
  try {
    for await (const event of source.pipeThrough(parser)) events.push(tuple(event));
  } catch (e) {
    error = e;
  }
  return { events, retries, comments, error };
}

/** `bytes`, one chunk per byte. */
const byteByByte = (all) => Array.from(all, (b) => new Uint8Array([b]));

test('a TransformStream, exported by its own subpath, with its own name', { timeout: TIMEOUT }, () => {
  const parser = new EventStreamParser();
  assert.ok(parser instanceof TransformStream);
  assert.ok(parser instanceof EventStreamParser);
  assert.ok(parser.readable instanceof ReadableStream);
  assert.ok(parser.writable instanceof WritableStream);
  assert.equal(EventStreamParser.name, 'EventStreamParser');
  assert.equal(Object.prototype.toString.call(parser), '[object EventStreamParser]');
  assert.equal(entry.EventStreamParser, undefined, "not in the main entry: 'eventsource-wasm/stream-parser'");
  assert.equal(polyfill.EventStreamParser, undefined);
  assert.equal(typeof entry.EventSource, 'function');
});

test('the main entry and the subpath share one wasm instance', { timeout: TIMEOUT }, () => {
  // In a child process: every instantiation counted, both subpaths imported and used.
  const script = `
    let instances = 0;
    const { Instance, instantiate } = WebAssembly;
    WebAssembly.Instance = new Proxy(Instance, { construct: (T, args) => (instances++, new T(...args)) });
    WebAssembly.instantiate = (...args) => (instances++, instantiate(...args));
    const { EventSource } = await import('eventsource-wasm');
    const { EventStreamParser } = await import('eventsource-wasm/stream-parser');
    new EventSource('http://127.0.0.1:1/').close();
    const reader = new Response('data: x\\n\\n').body.pipeThrough(new EventStreamParser()).getReader();
    const { value } = await reader.read();
    console.log(JSON.stringify({ instances, data: value.data }));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: scaled(20_000) });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { instances: 1, data: 'x' });
});

test('events are plain objects { type, data, lastEventId }; type defaults to "message"', { timeout: TIMEOUT }, async () => {
  const parser = new EventStreamParser();
  const writer = parser.writable.getWriter();
  writer.write('data: a\n\nevent: named\nid: 7\ndata: b\n\n');
  writer.close();
  const events = [];
  for await (const event of parser.readable) events.push(event);
  assert.deepEqual(events, [
    { type: 'message', data: 'a', lastEventId: '' },
    { type: 'named', data: 'b', lastEventId: '7' },
  ]);
  for (const event of events) {
    assert.equal(Object.getPrototypeOf(event), Object.prototype);
    assert.deepEqual(Object.keys(event), ['type', 'data', 'lastEventId']);
  }
  assert.notEqual(events[0], events[1]);
});

// [what, input, expected events, expected retries, expected comments]
const CASES = [
  ['LF', 'data: a\n\n', [['message', 'a', '']]],
  ['CR', 'data: a\r\r', [['message', 'a', '']]],
  ['CRLF', 'data: a\r\n\r\n', [['message', 'a', '']]],
  ['mixed line endings', 'data: a\rdata: b\r\ndata: c\n\r\n', [['message', 'a\nb\nc', '']]],
  ['CR CR LF: two line endings', 'data: a\r\r\n', [['message', 'a', '']]],
  ['a BOM is dropped', '\uFEFFdata: a\n\n', [['message', 'a', '']]],
  ['only one BOM: a second is part of the field name', '\uFEFF\uFEFFdata: a\n\ndata: b\n\n', [['message', 'b', '']]],
  ['a BOM later in the stream is data', 'data: \uFEFFa\n\n', [['message', '\uFEFFa', '']]],
  [
    'one space after the colon is dropped, not two',
    'data:a\n\ndata:  b\n\n',
    [
      ['message', 'a', ''],
      ['message', ' b', ''],
    ],
  ],
  ['data lines joined with LF', 'data: a\ndata:\ndata: b\n\n', [['message', 'a\n\nb', '']]],
  ['a field with no colon: an empty value', 'data\n\n', [['message', '', '']]],
  ['no data: not dispatched, and the type is reset', 'event: x\n\ndata: a\n\n', [['message', 'a', '']]],
  ['an empty event type is "message"', 'event:\ndata: a\n\n', [['message', 'a', '']]],
  [
    'the type applies to its event only',
    'event: x\ndata: a\n\ndata: b\n\n',
    [
      ['x', 'a', ''],
      ['message', 'b', ''],
    ],
  ],
  ['unknown and case-mismatched fields are ignored', 'Data: x\nfoo: y\ndata: a\n\n', [['message', 'a', '']]],
  ['NUL in data is kept', 'data: a\0b\n\n', [['message', 'a\0b', '']]],
  [
    'id with NUL is ignored',
    'id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n',
    [
      ['message', 'a', '1'],
      ['message', 'b', '1'],
    ],
  ],
  [
    'id persists; an empty id resets it',
    'id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\ndata: d\n\n',
    [
      ['message', 'a', '1'],
      ['message', 'b', '1'],
      ['message', 'c', ''],
      ['message', 'd', ''],
    ],
  ],
  ['id set by an event without data', 'id: 5\n\ndata: a\n\n', [['message', 'a', '5']]],
  [
    'ids back and forth',
    'id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 1\ndata: c\n\nid:\ndata: d\n\nid: 1\ndata: e\n\n',
    [
      ['message', 'a', '1'],
      ['message', 'b', '2'],
      ['message', 'c', '1'],
      ['message', 'd', ''],
      ['message', 'e', '1'],
    ],
  ],
  ['a final incomplete event is discarded (no blank line)', 'data: a\n\ndata: b\n', [['message', 'a', '']]],
  ['a final incomplete line is discarded', 'data: a\n\nid: 9\ndata: b', [['message', 'a', '']]],
  [
    'invalid UTF-8 becomes U+FFFD',
    bytes('data: a', [0xff], 'b', [0xc0, 0xaf], 'c', [0xe2, 0x82], '\n\n'),
    [['message', 'a\uFFFDb\uFFFD\uFFFDc\uFFFD', '']],
  ],
  ['invalid UTF-8 in type and id', bytes('event: ', [0xff], '\nid: ', [0xfe], '\ndata: a\n\n'), [['\uFFFD', 'a', '\uFFFD']]],
  ['multi-byte text', 'event: café\ndata: 😀 €\n\n', [['café', '😀 €', '']]],
  [
    'retry: digits only; a huge value saturates',
    'retry: 1000\nretry: 0\nretry: 10x\nretry:\nretry: -1\nretry:  5\n retry: 7\nretry: 99999999999999999999999\n',
    [],
    [1000, 0, 2 ** 64],
  ],
  ['retry dispatches nothing', 'retry: 5\n\n', [], [5]],
  ['comments: the text after ":" and one space', ': hi\n:\n:  two\n: café\n', [], [], ['hi', '', ' two', 'café']],
  ['a comment in the middle of an event', 'data: a\n: ping\ndata: b\n\n', [['message', 'a\nb', '']], [], ['ping']],
  ['invalid UTF-8 in a comment', bytes(': a', [0xff], '\n'), [], [], ['a\uFFFD']],
];

test("the spec's parsing rules, in one chunk and byte by byte", { timeout: TIMEOUT }, async () => {
  for (const [what, input, events, retries = [], comments = []] of CASES) {
    const expected = { events, retries, comments, error: undefined };
    assert.deepEqual(await parse([input]), expected, what);
    const all = typeof input === 'string' ? encoder.encode(input) : input;
    assert.deepEqual(await parse(byteByByte(all)), expected, `${what}, byte by byte`);
  }
});

test('invalid UTF-8 decodes exactly as TextDecoder does', { timeout: TIMEOUT }, async () => {
  const cases = [
    [0x61, 0xff, 0x62], // a, invalid byte, b
    [0xc3], // truncated 2-byte sequence at the end of the line
    [0xc0, 0xaf], // overlong
    [0xed, 0xa0, 0x80], // surrogate
    [0xf0, 0x9f, 0x98], // truncated 4-byte sequence
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0xe2, 0x28, 0xa1], // a bad continuation byte
  ];
  const input = bytes(...cases.flatMap((c) => ['data: ', c, '\n\n']));
  const { events } = await parse([input]);
  assert.deepEqual(
    events.map(([, data]) => data),
    cases.map((c) => new TextDecoder().decode(Uint8Array.from(c))),
  );
});

// One stream with everything that can be split: a BOM, CR, LF and CRLF line
// endings, multi-byte characters, invalid UTF-8, an ignored id, an id reset,
// a retry, a comment, and an incomplete event at the end.
const TRICKY = bytes(
  '\uFEFF',
  ': hi €\r\n',
  'retry: 1500\r',
  'id: x\0y\n',
  'id: 7\r\n',
  'event: café\n',
  'data: 😀\r',
  'data: a',
  [0xff],
  'b',
  [0xe2, 0x82],
  '\n\r\n',
  'data:no space\n',
  'data\n',
  '\n',
  'id\r\r',
  'data: after\r\n\r\n',
  'data: discarded\n',
);
const TRICKY_EXPECTED = {
  events: [
    ['café', '😀\na\uFFFDb\uFFFD', '7'],
    ['message', 'no space\n', '7'],
    ['message', 'after', ''],
  ],
  retries: [1500],
  comments: ['hi €'],
  error: undefined,
};

test('one tricky stream: whole, byte by byte, and split at every point', { timeout: scaled(60_000) }, async () => {
  assert.deepEqual(await parse([TRICKY]), TRICKY_EXPECTED);
  assert.deepEqual(await parse(byteByByte(TRICKY)), TRICKY_EXPECTED);
  for (let i = 0; i <= TRICKY.length; i++) {
    const got = await parse([TRICKY.subarray(0, i), TRICKY.subarray(i)]);
    assert.deepEqual(got, TRICKY_EXPECTED, `split at ${i}`);
  }
});

test('the tricky stream split at every pair of points', { timeout: scaled(60_000) }, async () => {
  const failures = [];
  for (let i = 1; i < TRICKY.length; i++) {
    for (let j = i + 1; j < TRICKY.length; j++) {
      const got = await parse([TRICKY.subarray(0, i), TRICKY.subarray(i, j), TRICKY.subarray(j)]);
      if (!isDeepStrictEqual(got, TRICKY_EXPECTED)) failures.push([i, j]);
    }
  }
  assert.deepEqual(failures, []);
});

test('strings and every kind of bytes give the same events', { timeout: TIMEOUT }, async () => {
  const text = 'id: 1\nevent: é\ndata: 😀\n\n';
  const all = encoder.encode(text);
  const expected = (await parse([text])).events;
  assert.deepEqual(expected, [['é', '😀', '1']]);
  // A view into the middle of a larger buffer: only its own bytes count.
  assert.equal(all.length % 2, 0, 'whole Uint16Array elements');
  const shared = new Uint8Array(new SharedArrayBuffer(all.length));
  shared.set(all);
  const padded = new Uint8Array(all.length + 8).fill(0x41);
  padded.set(all, 5);
  const inputs = {
    Uint8Array: [all],
    ArrayBuffer: [all.slice().buffer],
    DataView: [new DataView(padded.buffer, 5, all.length)],
    'Uint8Array with an offset': [padded.subarray(5, 5 + all.length)],
    Int8Array: [new Int8Array(padded.buffer, 5, all.length)],
    Uint8ClampedArray: [new Uint8ClampedArray(all)],
    'Uint16Array (whole elements)': [new Uint16Array(all.slice().buffer)],
    Buffer: [Buffer.from(text)],
    'a SharedArrayBuffer view': [shared],
    'strings and bytes mixed': ['id: 1\nevent: ', bytes('é\nda').buffer, 'ta: 😀', new Uint8Array([0x0a]), '\n'],
    'strings split inside a surrogate pair': ['id: 1\nevent: é\ndata: \uD83D', '\uDE00\n\n'],
  };
  for (const [what, chunks] of Object.entries(inputs)) {
    assert.deepEqual((await parse(chunks)).events, expected, what);
  }
});

test('lone surrogates in strings are encoded as U+FFFD, as TextEncoder does', { timeout: TIMEOUT }, async () => {
  const { events } = await parse([
    'data: \uD83D',
    bytes('x\n\n'), // a high surrogate, then bytes
    'data: \uDE00y\n\n', // a lone low surrogate
    'data: z\uD83D', // a high surrogate, then a character that is not a low one
    'w\n\n',
  ]);
  assert.deepEqual(
    events.map(([, data]) => data),
    ['\uFFFDx', '\uFFFDy', 'z\uFFFDw'],
  );
});

test('anything but a string, an ArrayBuffer or a view errors the stream with a TypeError', { timeout: TIMEOUT }, async () => {
  const bad = [undefined, null, 42, true, {}, [100, 97], { byteLength: 3 }, Symbol('x'), new Blob(['data: a\n\n'])];
  for (const chunk of bad) {
    const { events, error } = await parse(['data: before\n\n', chunk, 'data: after\n\n']);
    assert.deepEqual(events, [['message', 'before', '']], String(typeof chunk));
    assert.ok(error instanceof TypeError, `${String(typeof chunk)}: ${error}`);
  }
});

test('a write of a bad chunk rejects with the TypeError', { timeout: TIMEOUT }, async () => {
  const parser = new EventStreamParser();
  const reading = parser.readable.getReader().read();
  const writer = parser.writable.getWriter();
  await assert.rejects(writer.write(5), TypeError);
  await assert.rejects(reading, TypeError);
});

test('exceeding maxBufferSize errors the readable side with a RangeError', { timeout: TIMEOUT }, async () => {
  // A line that never ends, in small chunks: the events before it arrive.
  const long = ['data: fits\n\n', 'data: ', ...Array.from({ length: 20 }, () => 'xxxxxxxx')];
  const { events, error } = await parse(long, { maxBufferSize: 64 });
  assert.deepEqual(events, [['message', 'fits', '']]);
  assert.ok(error instanceof RangeError, String(error));
  assert.match(error.message, /maxBufferSize/);
  // An event of many short lines counts as a whole.
  const many = await parse([`${'data: xxxxxxxx\n'.repeat(20)}\n`], { maxBufferSize: 64 });
  assert.ok(many.error instanceof RangeError);
  // Within the limit, whatever the chunking.
  const within = await parse(byteByByte(encoder.encode('data: 0123456789\n\n'.repeat(10))), { maxBufferSize: 32 });
  assert.equal(within.error, undefined);
  assert.equal(within.events.length, 10);
});

test('the default maxBufferSize is 16 MiB', { timeout: scaled(30_000) }, async () => {
  const MiB = new Uint8Array(1024 * 1024).fill(0x61);
  const fits = await parse(['data: ', ...Array.from({ length: 15 }, () => MiB), '\n\n']);
  assert.equal(fits.error, undefined);
  assert.equal(fits.events[0][1].length, 15 * 1024 * 1024);
  const over = await parse(['data: ', ...Array.from({ length: 17 }, () => MiB), '\n\n']);
  assert.ok(over.error instanceof RangeError);
  assert.deepEqual(over.events, []);
});

test('options are checked at construction: TypeError', { timeout: TIMEOUT }, () => {
  const bad = [
    5,
    'x',
    true,
    { maxBufferSize: 0 },
    { maxBufferSize: -1 },
    { maxBufferSize: 1.5 },
    { maxBufferSize: NaN },
    { maxBufferSize: Infinity },
    { maxBufferSize: '1024' },
    { maxBufferSize: null },
    { onRetry: 5 },
    { onRetry: 'f' },
    { onComment: {} },
    { onComment: true },
  ];
  for (const options of bad) {
    assert.throws(() => new EventStreamParser(options), TypeError, JSON.stringify(options));
  }
  const good = [undefined, null, {}, { maxBufferSize: 1 }, { maxBufferSize: 2 ** 40 }, { onRetry: null }];
  for (const options of good) {
    assert.ok(new EventStreamParser(options) instanceof TransformStream, JSON.stringify(options));
  }
});

test('no onComment, no onRetry: events still arrive', { timeout: TIMEOUT }, async () => {
  const parser = new EventStreamParser();
  const writer = parser.writable.getWriter();
  writer.write(': ping\nretry: 5\ndata: a\n\n');
  writer.close();
  const events = [];
  for await (const event of parser.readable) events.push(tuple(event));
  assert.deepEqual(events, [['message', 'a', '']]);
});

test('an exception thrown by onRetry or onComment errors the stream with it', { timeout: TIMEOUT }, async () => {
  const boom = new Error('boom');
  const thrower = () => {
    throw boom;
  };
  for (const [options, input] of [
    [{ onRetry: thrower }, 'data: a\n\nretry: 5\ndata: b\n\n'],
    [{ onComment: thrower }, 'data: a\n\n: x\ndata: b\n\n'],
  ]) {
    const parser = new EventStreamParser(options);
    const writer = parser.writable.getWriter();
    writer.write(input).catch(() => {});
    const events = [];
    await assert.rejects(async () => {
      for await (const event of parser.readable) events.push(tuple(event));
    }, boom);
    assert.deepEqual(events, [['message', 'a', '']]);
  }
});

test('a chunked POST response from a real server, piped through', { timeout: TIMEOUT }, async () => {
  // The request body is echoed in an event; 5-byte writes split CRLFs,
  // multi-byte characters and field names.
  server.route('/post', async (req, res) => {
    let body = '';
    for await (const part of req) body += part;
    res.writeHead(200, { ...SSE, 'Transfer-Encoding': 'chunked' });
    const stream = bytes(
      '\uFEFF: hello\r\nretry: 250\r\nid: 1\r\ndata: ',
      body,
      '\r\n\r\nevent: done\r\ndata: caf',
      'é 😀\r\n\r\ndata: incomplete\r\n',
    );
    // Each write once the previous one was flushed.
    const writeFrom = (at) => {
      if (at >= stream.length) return res.end();
      res.write(stream.subarray(at, at + 5), () => writeFrom(at + 5));
    };
    writeFrom(0);
  });
  const retries = [];
  const comments = [];
  const response = await fetch(server.url('/post'), { method: 'POST', body: 'payload ✓' });
  assert.equal(response.status, 200);
  const events = response.body.pipeThrough(
    new EventStreamParser({ onRetry: (ms) => retries.push(ms), onComment: (text) => comments.push(text) }),
  );
  const received = [];
  for await (const event of events) received.push(event);
  assert.deepEqual(received, [
    { type: 'message', data: 'payload ✓', lastEventId: '1' },
    { type: 'done', data: 'café 😀', lastEventId: '1' },
  ]);
  assert.deepEqual(retries, [250]);
  assert.deepEqual(comments, ['hello']);
  assert.equal(server.requests('/post')[0].req.method, 'POST');
});

test('cancelling the events aborts the response body', { timeout: TIMEOUT }, async () => {
  server.route('/endless', (req, res) => {
    res.writeHead(200, SSE);
    res.write('data: first\n\n');
  });
  const response = await fetch(server.url('/endless'));
  const reader = response.body.pipeThrough(new EventStreamParser()).getReader();
  assert.deepEqual((await reader.read()).value, { type: 'message', data: 'first', lastEventId: '' });
  await reader.cancel();
  await server.requests('/endless')[0].closed;
});

/**
 * An EventStreamParser class over the real wasm class, instrumented: how many
 * wasm objects were made and freed, and whether one was freed while parsing.
 */
function instrumented(loading = false) {
  const log = { created: 0, freed: 0, freedWhileFeeding: false };
  let feeding = false;
  class Spy extends StreamParser {
    constructor(...args) {
      super(...args);
      log.created++;
    }
    feed(...args) {
      feeding = true;
      try {
        return super.feed(...args);
      } finally {
        feeding = false;
      }
    }
    free() {
      if (feeding) log.freedWhileFeeding = true;
      log.freed++;
      super.free();
    }
  }
  const Parser = defineEventStreamParser(() => (loading ? Promise.resolve(Spy) : Spy));
  return { Parser, log };
}

test('the wasm object is freed once: at the end, on error, on cancel and on abort', { timeout: TIMEOUT }, async () => {
  const scenarios = {
    'the end of the stream': async (Parser) => parse(['data: a\n\n'], {}, Parser),
    'a bad chunk': async (Parser) => parse(['data: a\n\n', 5], {}, Parser),
    'buffer full': async (Parser) => parse(['data: aaaaaaaaaa'], { maxBufferSize: 8 }, Parser),
    'a callback that throws': async (Parser) => {
      const onComment = () => {
        throw new Error('x');
      };
      return parse([': x\n'], { onComment }, Parser);
    },
    'readable.cancel()': async (Parser) => {
      const parser = new Parser();
      parser.writable
        .getWriter()
        .write('data: a\n\ndata: b')
        .catch(() => {});
      const reader = parser.readable.getReader();
      await reader.read();
      await reader.cancel();
    },
    'writable.abort()': async (Parser) => {
      const parser = new Parser();
      const writer = parser.writable.getWriter();
      parser.readable
        .getReader()
        .read()
        .catch(() => {});
      await writer.write('data: a');
      await writer.abort(new Error('stop'));
    },
  };
  for (const loading of [false, true]) {
    for (const [what, run] of Object.entries(scenarios)) {
      const { Parser, log } = instrumented(loading);
      await run(Parser);
      const expected = { created: 1, freed: 1, freedWhileFeeding: false };
      assert.deepEqual(log, expected, `${what}${loading ? ', module loading' : ''}`);
    }
  }
});

test('cancelled from onComment during a chunk: freed after the chunk, nothing more reported', { timeout: TIMEOUT }, async () => {
  const { Parser, log } = instrumented();
  const comments = [];
  let reader;
  const parser = new Parser({
    onComment: (text) => {
      comments.push(text);
      reader.cancel('enough');
    },
  });
  reader = parser.readable.getReader();
  const reading = reader.read();
  const writer = parser.writable.getWriter();
  const written = writer.write(': one\n: two\ndata: a\n\nretry: 5\n').catch((error) => error);
  assert.deepEqual(await reading, { done: true, value: undefined });
  await written;
  assert.deepEqual(comments, ['one']);
  assert.deepEqual(log, { created: 1, freed: 1, freedWhileFeeding: false });
});

test('cancelled before the module loaded: no wasm object is made', { timeout: TIMEOUT }, async () => {
  const { Parser, log } = instrumented(true);
  const parser = new Parser();
  await parser.readable.cancel();
  await parser.writable.getWriter().closed.catch(() => {});
  assert.deepEqual(log, { created: 0, freed: 0, freedWhileFeeding: false });
});

test('a module that fails to load errors the stream with its error', { timeout: TIMEOUT }, async () => {
  const failure = new Error('no wasm');
  const Parser = defineEventStreamParser(() => Promise.reject(failure));
  const parser = new Parser();
  await assert.rejects(parser.readable.getReader().read(), failure);
});

test('a stream abandoned unfinished does not keep its wasm memory (FinalizationRegistry)', { timeout: scaled(60_000) }, () => {
  // In a child process with --expose-gc: 64 parsers, each left holding 1 MiB
  // of an unfinished line and dropped. If nothing freed them, wasm memory
  // would grow past 64 MiB; freed, the allocator reuses the same few MiB.
  const script = `
    // The package's own instance, caught as it is made (it is not exported).
    let memory;
    const { Instance } = WebAssembly;
    WebAssembly.Instance = function (module, imports) {
      const instance = new Instance(module, imports);
      // (Found by its type: the build renames the exports, scripts/minify-names.mjs.)
      memory ??= Object.values(instance.exports).find((value) => value instanceof WebAssembly.Memory);
      return instance;
    };
    const { EventStreamParser } = await import('eventsource-wasm/stream-parser');
    if (!memory) throw new Error('the package made no WebAssembly.Instance');
    const line = new Uint8Array(1 << 20).fill(0x61);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 64; i++) {
      const parser = new EventStreamParser();
      parser.readable.getReader().read();
      await parser.writable.getWriter().write(line);
      if (i % 4 === 3) { gc(); await turn(); }
    }
    console.log(memory.buffer.byteLength);
  `;
  const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: scaled(50_000),
  });
  assert.equal(run.status, 0, run.stderr);
  const bytesUsed = Number(run.stdout.trim());
  assert.ok(bytesUsed < 32 * 1024 * 1024, `wasm memory grew to ${bytesUsed} B`);
});

test('without TransformStream (Firefox < 102), defining works and constructing throws a TypeError', {
  timeout: TIMEOUT,
}, () => {
  const saved = globalThis.TransformStream;
  let Parser;
  try {
    delete globalThis.TransformStream;
    Parser = defineEventStreamParser(() => StreamParser);
  } finally {
    globalThis.TransformStream = saved;
  }
  assert.throws(() => new Parser(), { name: 'TypeError', message: /TransformStream/ });
});
