// The client side of tests/runtimes/run.mjs: the same checks in every runtime (Node.js,
// Bun, Deno, workerd). Only web APIs here (no `process`, no `Deno`, no `setImmediate`),
// so that this one file runs everywhere; each runtime's entry calls `run()` and prints
// what `report()` gets, one JSON object per line.
//
// Every wait resolves on an event (a dispatched event, a server's answer) and is only
// bounded by `timeout` (ms, already scaled by the runner): nothing here sleeps.

/** Runs the checks against the runner's server at `origin`; `report({ check, ok, detail })`
 *  is called once per check, in order. `load()` imports the package, `loadParser()` its
 *  'eventsource-wasm/stream-parser' subpath. */
export async function run({ origin, prefix, timeout, load, loadParser, report }) {
  const url = (path) => `${origin}/${prefix}/${path}`;
  const within = (promise, what) => {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeout} ms`)), timeout);
      }),
    ]).finally(() => clearTimeout(timer));
  };
  const expect = (cond, what) => {
    if (!cond) throw new Error(what);
  };
  // Records every event of `types` on `source`; `until(test)` waits for the record to satisfy `test`.
  const record = (source, types) => {
    const log = { all: [], waiters: new Set() };
    for (const type of types) {
      source.addEventListener(type, (event) => {
        log.all.push({
          type: event.type,
          data: event.data,
          lastEventId: event.lastEventId,
          origin: event.origin,
          readyState: source.readyState,
          reason: event.reason,
          message: event.message,
          cause: event.cause?.message,
        });
        for (const w of [...log.waiters])
          if (w.test(log.all)) {
            log.waiters.delete(w);
            w.resolve();
          }
      });
    }
    log.until = (test, what) => within(new Promise((resolve) => (test(log.all) ? resolve() : log.waiters.add({ test, resolve }))), what);
    return log;
  };
  const show = (log) =>
    JSON.stringify(log.all.map((e) => (e.type === 'error' ? [e.type, e.reason, e.message, e.cause] : [e.type, e.data])));
  // Whether the source failed for good (then waiting for more is pointless).
  const failed = (all) => all.some((e) => e.type === 'error' && e.readyState === EventSource.CLOSED);
  const messages = (all) => all.filter((e) => e.type === 'message').length;

  const nativeBefore = typeof globalThis.EventSource === 'function';
  let EventSource;
  const checks = [
    [
      'import',
      async () => {
        const mod = await load();
        EventSource = mod.EventSource;
        expect(typeof EventSource === 'function' && mod.default === EventSource, 'no EventSource export');
        expect(EventSource !== globalThis.EventSource, 'the package exported the native class');
        expect(!('EventStreamParser' in mod), "EventStreamParser exported by the main entry, not only by 'eventsource-wasm/stream-parser'");
        // The subpath, on the same wasm instance: one event parsed.
        const { EventStreamParser } = await loadParser();
        expect(typeof EventStreamParser === 'function', 'no EventStreamParser export from eventsource-wasm/stream-parser');
        const reader = new Response('id: 3\ndata: parsed\n\n').body.pipeThrough(new EventStreamParser()).getReader();
        const { value } = await within(reader.read(), 'EventStreamParser');
        expect(value?.data === 'parsed' && value.lastEventId === '3', `EventStreamParser gave ${JSON.stringify(value)}`);
        expect(EventSource.CONNECTING === 0 && EventSource.OPEN === 1 && EventSource.CLOSED === 2, 'wrong constants');
        return `native globalThis.EventSource: ${nativeBefore ? 'yes' : 'no'}`;
      },
    ],

    // A named event with two data lines and an id, a comment, a UTF-8 character the server
    // splits across two writes, then a plain message that keeps the id.
    [
      'events',
      async () => {
        const source = new EventSource(url('events'));
        try {
          const log = record(source, ['open', 'message', 'greet', 'error']);
          await log.until((all) => messages(all) === 2 || failed(all), 'events');
          const types = log.all.map((e) => e.type).join(' ');
          expect(types === 'open greet message message', `dispatched ${show(log)}`);
          const [, greet, one, two] = log.all;
          expect(greet.data === 'line one\nline two' && greet.lastEventId === '7', `greet: ${JSON.stringify(greet)}`);
          expect(greet.origin === origin, `origin ${greet.origin}, not ${origin}`);
          expect(one.data === 'h\u00e9llo \u2713' && one.lastEventId === '7', `message: ${JSON.stringify(one)}`);
          expect(two.data === 'end' && two.lastEventId === '', `after an empty id: ${JSON.stringify(two)}`);
          expect(source.readyState === EventSource.OPEN, `readyState ${source.readyState}`);
          return 'named, multi-line, id, split UTF-8';
        } finally {
          source.close();
        }
      },
    ],

    // The server drops the connection once the event with `id: r1` arrived (the client says
    // so); the next request must carry Last-Event-ID: r1 (the server checks it, and says what
    // it got).
    [
      'reconnect',
      async () => {
        const source = new EventSource(url('reconnect'));
        try {
          const log = record(source, ['open', 'message', 'error']);
          let dropped;
          source.addEventListener('message', (event) => {
            if (event.data === 'first') dropped = fetch(url('reconnect-drop')).then((r) => r.arrayBuffer());
          });
          await log.until((all) => messages(all) === 2 || failed(all), 'reconnect');
          expect(!failed(log.all), `dispatched ${show(log)}`);
          await within(dropped, 'reconnect: the server dropping the connection');
          expect(log.all.map((e) => e.type).join(' ') === 'open message error open message', `dispatched ${show(log)}`);
          const error = log.all[2];
          expect(error.readyState === EventSource.CONNECTING, `error with readyState ${error.readyState}`);
          const second = log.all[4];
          expect(second.data === 'Last-Event-ID: r1' && second.lastEventId === 'r1', `after reconnecting: ${JSON.stringify(second)}`);
          return 'Last-Event-ID: r1';
        } finally {
          source.close();
        }
      },
    ],

    // POST with a JSON body (README "POST with a body"): the server echoes what it got.
    [
      'post',
      async () => {
        const body = JSON.stringify({ prompt: 'h\u00e9llo', n: 2 });
        const source = new EventSource(url('post'), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          retry: { maxAttempts: 0 },
        });
        try {
          const log = record(source, ['open', 'message', 'error']);
          await log.until((all) => all.some((e) => e.type !== 'open'), 'post');
          const message = log.all.find((e) => e.type === 'message');
          expect(message?.data === `POST ${body}`, `dispatched ${show(log)}`);
          return 'method and body sent';
        } finally {
          source.close();
        }
      },
    ],

    // close() in the first event's handler: the second event, in the same chunk, is not
    // dispatched, nor is anything after; the server answers /close-seen once it saw the
    // connection closed, and only then is the record checked.
    [
      'close',
      async () => {
        const source = new EventSource(url('close'));
        let closedAt = -1;
        const log = record(source, ['open', 'message', 'error']);
        source.addEventListener('message', () => {
          if (closedAt < 0) {
            source.close();
            closedAt = log.all.length;
          }
        });
        await log.until((all) => messages(all) > 0 || failed(all), 'close: first event');
        expect(closedAt >= 0, `dispatched ${show(log)}`);
        expect(source.readyState === EventSource.CLOSED, `readyState ${source.readyState} after close()`);
        const seen = await within(
          fetch(url('close-seen')).then((r) => r.text()),
          'close: the server seeing the connection closed',
        );
        expect(seen === 'closed', `server: ${seen}`);
        // One more turn of the event loop for anything already queued.
        await new Promise((resolve) => setTimeout(resolve, 0));
        expect(log.all.length === closedAt, `dispatched after close(): ${JSON.stringify(log.all.slice(closedAt))}`);
        expect(source.readyState === EventSource.CLOSED, `readyState ${source.readyState}`);
        return 'connection closed, nothing dispatched after';
      },
    ],

    // EventSource.fromReadableStream() (whatwg/html#12272) on a body made here: no server.
    [
      'from-stream',
      async () => {
        const source = EventSource.fromReadableStream(new Response('id: 3\ndata: a\n\ndata: b\n\ndata: cut').body);
        expect(source.url === 'about:event-stream', `url ${source.url}`);
        const log = record(source, ['open', 'message', 'error']);
        await log.until(failed, 'from-stream: the end of the stream');
        const seen = log.all.map((e) => `${e.type} ${e.readyState} ${e.data ?? e.reason} ${e.lastEventId ?? ''} ${e.origin ?? ''}`);
        const want = ['open 1 undefined  ', 'message 1 a 3 null', 'message 1 b 3 null', 'error 2 end-of-stream  '];
        expect(JSON.stringify(seen) === JSON.stringify(want), `dispatched ${JSON.stringify(seen)}`);
        return 'open, two events (origin "null"), then error and CLOSED at the end';
      },
    ],
  ];

  for (const [check, body] of checks) {
    if (check !== 'import' && !EventSource) {
      report({ check, ok: false, detail: 'the package did not import' });
      continue;
    }
    try {
      report({ check, ok: true, detail: await body() });
    } catch (error) {
      report({
        check,
        ok: false,
        detail: String(error?.stack ?? error)
          .split('\n')
          .slice(0, 3)
          .join(' | '),
      });
    }
  }
}

/** What this runtime is, for the report. */
export function runtimeName() {
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd';
  if (globalThis.Bun) return `Bun ${globalThis.Bun.version}`;
  if (globalThis.Deno) return `Deno ${globalThis.Deno.version.deno}`;
  if (globalThis.process?.versions?.node) return `Node.js ${globalThis.process.versions.node}`;
  return globalThis.navigator?.userAgent ?? 'unknown';
}
