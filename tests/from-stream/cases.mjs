// EventSource.fromReadableStream() and reset() (whatwg/html#12272), and `for await` over a
// source and Symbol.dispose, as cases that run the same in Node.js
// (tests/node/from-stream.test.mjs) and in the three browsers (tests/from-stream/run.mjs):
// each takes the EventSource class and throws on a failure. The rules of the first follow
// the proposal and its web-platform-tests (web-platform-tests/wpt#58550); the iteration
// cases use sources fed by streams, which give their events without a server.

const encoder = new TextEncoder();

/** A stream of the chunks given (strings, encoded; or byte arrays), then closed. */
export function streamOf(...chunks) {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

function check(ok, what) {
  if (!ok) throw new Error(what);
}
function same(actual, expected, what) {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  check(a === e, `${what}: ${a}, expected ${e}`);
}
function throwsTypeError(f, what) {
  try {
    f();
  } catch (error) {
    check(error instanceof TypeError, `${what}: threw ${error}, not a TypeError`);
    return;
  }
  throw new Error(`${what}: did not throw`);
}

/** Every event the source dispatches until its `error` with readyState CLOSED (or `until`):
 *  `{ type, data, lastEventId, origin, readyState }`, and the `error`'s reason and cause. */
function record(source, until = () => false) {
  const log = [];
  return new Promise((resolve) => {
    for (const type of ['open', 'message', 'error', 'custom']) {
      source.addEventListener(type, (event) => {
        const entry = { type, readyState: source.readyState };
        if (type === 'message' || type === 'custom')
          Object.assign(entry, { data: event.data, lastEventId: event.lastEventId, origin: event.origin });
        if (type === 'error') Object.assign(entry, { reason: event.reason, cause: event.cause?.message });
        log.push(entry);
        if ((type === 'error' && source.readyState === 2) || until(entry, log)) resolve(log);
      });
    }
  });
}
const messages = (log) => log.filter((e) => e.type === 'message').map((e) => [e.data, e.lastEventId]);

export const CASES = {
  'construction: an EventSource, CONNECTING, url about:event-stream, withCredentials false, lastEventId "", reconnectionTime > 0'(
    EventSource,
  ) {
    const source = EventSource.fromReadableStream(streamOf());
    check(source instanceof EventSource, 'an EventSource');
    same(
      [source.readyState, source.url, source.withCredentials, source.lastEventId, source.reconnectionTime > 0],
      [0, 'about:event-stream', false, '', true],
      'initial state',
    );
    source.close();
    same(source.readyState, 2, 'CLOSED at once after close()');
  },

  'a locked stream, something else or no argument: TypeError; the stream is locked once given'(EventSource) {
    const locked = new ReadableStream();
    locked.getReader();
    throwsTypeError(() => EventSource.fromReadableStream(locked), 'a locked stream');
    throwsTypeError(() => EventSource.fromReadableStream({}), 'an object');
    throwsTypeError(() => EventSource.fromReadableStream(), 'no argument');
    const stream = streamOf();
    const source = EventSource.fromReadableStream(stream);
    check(stream.locked, 'the stream is locked by the source');
    throwsTypeError(() => EventSource.fromReadableStream(stream), 'the same stream twice');
    source.close();
    check(Object.keys(EventSource).includes('fromReadableStream'), 'fromReadableStream is enumerable');
  },

  async 'open (readyState OPEN), the events with origin "null", then error at the end: CLOSED, reason end-of-stream'(EventSource) {
    const source = EventSource.fromReadableStream(
      streamOf(
        ': a comment\ndata: hello\n\n',
        'data: multi\ndata: line\n\nevent: custom\nid: 42\nretry: 5000\ndata: named\n\n',
        'data: partial',
      ),
    );
    const log = await record(source);
    same(
      log,
      [
        { type: 'open', readyState: 1 },
        { type: 'message', readyState: 1, data: 'hello', lastEventId: '', origin: 'null' },
        { type: 'message', readyState: 1, data: 'multi\nline', lastEventId: '', origin: 'null' },
        { type: 'custom', readyState: 1, data: 'named', lastEventId: '42', origin: 'null' },
        { type: 'error', readyState: 2, reason: 'end-of-stream' },
      ],
      'events',
    );
    same([source.lastEventId, source.reconnectionTime], ['42', 5000], 'id and retry');
  },

  async 'chunks split anywhere; CR, LF and CRLF; a leading BOM stripped; retry: bogus ignored'(EventSource) {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    const source = EventSource.fromReadableStream(
      streamOf(bom, 'da', 'ta: he', 'llo\r', '\n\r\nretry: bogus\rdata: cr\r\rdata: lf\n\ndata: crlf\r\n\r\n'),
    );
    const before = source.reconnectionTime;
    const log = await record(source);
    same(
      messages(log).map(([data]) => data),
      ['hello', 'cr', 'lf', 'crlf'],
      'messages',
    );
    same(source.reconnectionTime, before, 'reconnectionTime');
  },

  async 'an empty stream: error, CLOSED'(EventSource) {
    const log = await record(EventSource.fromReadableStream(streamOf()));
    same(
      log.map((e) => `${e.type} ${e.readyState}`),
      ['open 1', 'error 2'],
      'events',
    );
  },

  async 'a stream that errors: error, CLOSED, reason network, the stream error as cause'(EventSource) {
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(encoder.encode('data: before\n\n'));
        controller.error(new Error('stream broke'));
      },
    });
    const log = await record(EventSource.fromReadableStream(stream));
    same(messages(log), [], 'no event: the stream errored before it was read');
    same(log.at(-1), { type: 'error', readyState: 2, reason: 'network', cause: 'stream broke' }, 'the error');
  },

  async 'a chunk that is not bytes: error, CLOSED'(EventSource) {
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue('data: a string\n\n');
        controller.close();
      },
    });
    const log = await record(EventSource.fromReadableStream(stream));
    same(log.at(-1)?.readyState, 2, 'CLOSED');
    same(messages(log), [], 'no event');
  },

  async 'close(): CLOSED at once, nothing more dispatched, the stream cancelled'(EventSource) {
    let cancelled;
    const wasCancelled = new Promise((resolve) => {
      cancelled = resolve;
    });
    let controller;
    const stream = new ReadableStream({
      start(c) {
        controller = c;
        c.enqueue(encoder.encode('data: one\n\n'));
      },
      cancel: () => cancelled(true),
    });
    const source = EventSource.fromReadableStream(stream);
    const log = [];
    source.addEventListener('error', () => log.push('error'));
    await new Promise((resolve) => {
      source.onmessage = (event) => {
        log.push(event.data);
        source.close();
        resolve();
      };
    });
    same(source.readyState, 2, 'CLOSED');
    same(await wasCancelled, true, 'the stream cancelled');
    try {
      controller.enqueue(encoder.encode('data: two\n\n'));
    } catch {
      /* a cancelled stream may refuse it */
    }
    same(log, ['one'], 'nothing after close()');
  },

  async 'close() before anything was read: the stream cancelled, no event'(EventSource) {
    let cancelled;
    const wasCancelled = new Promise((resolve) => {
      cancelled = resolve;
    });
    const source = EventSource.fromReadableStream(new ReadableStream({ cancel: () => cancelled(true) }));
    const log = [];
    for (const type of ['open', 'error']) source.addEventListener(type, () => log.push(type));
    source.close();
    same(await wasCancelled, true, 'the stream cancelled');
    same([log, source.readyState], [[], 2], 'no event, CLOSED');
  },

  async 'the TransformStream pattern: two streams piped one after the other; lastEventId and reconnectionTime persist'(EventSource) {
    const pipe = new TransformStream();
    const source = EventSource.fromReadableStream(pipe.readable);
    const done = record(source);
    await streamOf('retry: 3000\nid: 42\ndata: first\n\n').pipeTo(pipe.writable, { preventClose: true });
    await streamOf('data: after-reconnect\n\n').pipeTo(pipe.writable);
    const log = await done;
    same(
      messages(log),
      [
        ['first', '42'],
        ['after-reconnect', '42'],
      ],
      'messages',
    );
    same([source.lastEventId, source.reconnectionTime, log.at(-1).type], ['42', 3000, 'error'], 'after the end');
  },

  async 'reset(): the partial event of one stream is dropped before the next; before open, nothing'(EventSource) {
    const pipe = new TransformStream();
    const source = EventSource.fromReadableStream(pipe.readable);
    source.reset(); // before it opens: nothing to drop, no error
    const writer = pipe.writable.getWriter();
    source.addEventListener('message', (event) => {
      if (event.data === 'a') source.reset(); // "data: par" is in the parser's buffer now
    });
    const done = record(source);
    await writer.write(encoder.encode('id: 1\ndata: a\n\nid: 2\ndata: par'));
    await writer.write(encoder.encode('tial\n\ndata: b\n\n'));
    await writer.close();
    const log = await done;
    same(
      messages(log),
      [
        ['a', '1'],
        ['b', '1'],
      ],
      'messages (without reset: "partial")',
    );
  },

  async 'for await: every MessageEvent (message and named), in order, after the listeners; a stream source ends the loop at its end'(
    EventSource,
  ) {
    const source = EventSource.fromReadableStream(streamOf('data: one\n\nevent: chat\ndata: two\n\n', 'id: 3\ndata: three\n\n'));
    const heard = [];
    source.addEventListener('message', (event) => heard.push(event));
    const seen = [];
    for await (const event of source) {
      check(event instanceof MessageEvent, 'a MessageEvent');
      check(event.type !== 'message' || heard.includes(event), 'the very event the listeners got, after them');
      seen.push([event.type, event.data, event.lastEventId]);
    }
    same(
      seen,
      [
        ['message', 'one', ''],
        ['chat', 'two', ''],
        ['message', 'three', '3'],
      ],
      'events',
    );
    same(source.readyState, 2, 'CLOSED');
  },

  async 'for await: break closes the source (and cancels its stream)'(EventSource) {
    let cancelled;
    const wasCancelled = new Promise((resolve) => {
      cancelled = resolve;
    });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(encoder.encode('data: one\n\ndata: two\n\n'));
      },
      cancel: () => cancelled(true),
    });
    const source = EventSource.fromReadableStream(stream);
    const seen = [];
    for await (const event of source) {
      seen.push(event.data);
      break;
    }
    same([seen, source.readyState], [['one'], 2], 'one event, then CLOSED');
    same(await wasCancelled, true, 'the stream cancelled');
  },

  async 'for await: return() and a throw in the loop close it too'(EventSource) {
    const source = EventSource.fromReadableStream(streamOf('data: one\n\n'));
    const iterator = source[Symbol.asyncIterator]();
    same((await iterator.next()).value.data, 'one', 'first');
    same(await iterator.return(), { done: true }, 'return()');
    same(source.readyState, 2, 'CLOSED by return()');
    const other = EventSource.fromReadableStream(streamOf('data: one\n\n'));
    try {
      for await (const event of other) throw new Error(`stop at ${event.data}`);
    } catch (error) {
      same(error.message, 'stop at one', 'the loop threw');
    }
    same(other.readyState, 2, 'CLOSED by the throw');
  },

  async 'for await: a failure ends the loop with an Error carrying the reason and the cause'(EventSource) {
    let controller;
    const stream = new ReadableStream({
      start(c) {
        controller = c;
        c.enqueue(encoder.encode('data: before\n\n'));
      },
    });
    const source = EventSource.fromReadableStream(stream);
    const seen = [];
    let thrown = null;
    try {
      for await (const event of source) {
        seen.push(event.data);
        controller.error(new Error('stream broke'));
      }
    } catch (error) {
      thrown = error;
    }
    same(seen, ['before'], 'the event before the failure');
    check(thrown instanceof Error, `an Error, not ${thrown}`);
    same([thrown.reason, thrown.cause?.message, source.readyState], ['network', 'stream broke', 2], 'reason, cause, CLOSED');
  },

  async 'for await: close() from elsewhere ends the loop after the events before it; a loop over a closed source is empty'(EventSource) {
    const pipe = new TransformStream();
    const source = EventSource.fromReadableStream(pipe.readable);
    const writer = pipe.writable.getWriter();
    writer.write(encoder.encode('data: one\n\ndata: two\n\n'));
    source.addEventListener('message', (event) => {
      if (event.data === 'two') source.close();
    });
    const seen = [];
    for await (const event of source) seen.push(event.data);
    same([seen, source.readyState], [['one', 'two'], 2], 'both events, then the end');
    const after = [];
    for await (const event of source) after.push(event);
    same(after, [], 'nothing from a closed source');
    writer.abort().catch(() => {});
  },

  'Symbol.dispose closes the source, where the runtime has it'(EventSource) {
    if (typeof Symbol.dispose !== 'symbol') return;
    const source = EventSource.fromReadableStream(streamOf('data: one\n\n'));
    source[Symbol.dispose]();
    same(source.readyState, 2, 'CLOSED');
  },
};
