// The standard EventSource class, thin: every decision about connecting,
// parsing and reconnecting is made by the Rust/wasm `Connection`, which also
// holds the state the getters read; this class checks the arguments and turns
// the connection's hooks into events.

import { DEFAULT_CREDENTIALS, DEFAULT_MAX_BUFFER_SIZE, DEFAULT_METHOD, DEFAULT_RECONNECTION_TIME, MAX_DELAY } from './defaults.js';
import { abandon, early } from './request.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
/** The URL of a source made by `EventSource.fromReadableStream()` (whatwg/html#12272). */
const STREAM_URL = 'about:event-stream';

/** The base URL relative URLs resolve against (spec 1). */
function baseURL() {
  if (typeof document !== 'undefined' && document.baseURI) return document.baseURI;
  return globalThis.location?.href;
}

/** Whether `value` is a ReadableStream (of this realm, or with a stream's members). */
function isReadableStream(value) {
  if (typeof ReadableStream === 'function' && value instanceof ReadableStream) return true;
  return typeof value?.getReader === 'function' && typeof value.locked === 'boolean';
}

/** Whether `value` is a number in [min, max] (and an integer if asked). */
function inRange(value, min, max, integer = false) {
  return typeof value === 'number' && value >= min && value <= max && (!integer || Number.isInteger(value) || value === Infinity);
}

/**
 * The options beyond the standard (README, "Beyond the standard"), checked
 * and completed for the Rust `Connection`. Throws a TypeError on a bad one.
 */
function connectionOptions(init, url) {
  const fail = (what) => {
    throw new TypeError(`Failed to construct 'EventSource': ${what}.`);
  };
  const credentials = init.credentials ?? (init.withCredentials ? 'include' : DEFAULT_CREDENTIALS);
  if (!['omit', 'same-origin', 'include'].includes(credentials)) fail(`credentials must be 'omit', 'same-origin' or 'include'`);
  let headers = init.headers;
  if (headers != null && typeof headers !== 'function') headers = new Headers(headers);
  const method = init.method === undefined ? DEFAULT_METHOD : String(init.method);
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body.getReader === 'function') fail('a ReadableStream body cannot be sent again on reconnection');
  if (init.method !== undefined || body !== undefined) {
    try {
      new Request(url, { method, body }); // fetch's own rules: the method, a body with GET or HEAD
    } catch (error) {
      fail(error.message);
    }
  }
  if (init.fetch != null && typeof init.fetch !== 'function') fail('fetch must be a function');
  const signal = init.signal ?? undefined;
  if (signal !== undefined && (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function'))
    fail('signal must be an AbortSignal');
  const retry = init.retry ?? {};
  if (typeof retry !== 'object') fail('retry must be an object');
  const { initialDelay = DEFAULT_RECONNECTION_TIME, maxDelay = Infinity, multiplier = 1, jitter = 0, maxAttempts = Infinity } = retry;
  if (!inRange(initialDelay, 0, Number.MAX_VALUE)) fail('retry.initialDelay must be a finite number of ms >= 0');
  if (!inRange(maxDelay, 0, Infinity)) fail('retry.maxDelay must be a number of ms >= 0');
  if (!inRange(multiplier, 1, Number.MAX_VALUE)) fail('retry.multiplier must be a finite number >= 1');
  if (!inRange(jitter, 0, 1)) fail('retry.jitter must be a number from 0 to 1');
  if (!inRange(maxAttempts, 0, Infinity, true)) fail('retry.maxAttempts must be an integer >= 0, or Infinity');
  const { inactivityTimeout, maxBufferSize } = init;
  if (inactivityTimeout !== undefined && !inRange(inactivityTimeout, Number.MIN_VALUE, Number.MAX_VALUE))
    fail('inactivityTimeout must be a finite number of ms > 0');
  if (maxBufferSize !== undefined && !inRange(maxBufferSize, 1, Number.MAX_SAFE_INTEGER, true))
    fail('maxBufferSize must be an integer number of bytes > 0');
  const lastEventId = init.lastEventId === undefined ? '' : String(init.lastEventId);
  if (/[\0\r\n]/.test(lastEventId)) fail('lastEventId must not contain NUL, CR or LF');
  const lastEventIdQueryParameter = init.lastEventIdQueryParameter ?? undefined;
  if (lastEventIdQueryParameter !== undefined && (typeof lastEventIdQueryParameter !== 'string' || lastEventIdQueryParameter === ''))
    fail('lastEventIdQueryParameter must be a non-empty string');
  const diagnostics = init.diagnostics ?? true;
  if (typeof diagnostics !== 'boolean') fail('diagnostics must be a boolean');
  const shared = init.shared ?? false;
  if (typeof shared === 'string' ? shared === '' : typeof shared !== 'boolean') fail('shared must be a boolean or a non-empty string');
  // `shared: true` shares among sources whose requests are the same: what cannot be compared needs a key.
  const unlike =
    typeof headers === 'function'
      ? 'a headers function'
      : init.fetch != null
        ? 'a custom fetch'
        : body !== undefined && typeof body !== 'string'
          ? 'a body other than a string'
          : '';
  if (shared === true && unlike) fail(`shared: true cannot compare ${unlike}; give shared a string key instead`);
  return {
    shared,
    credentials,
    headers,
    method,
    body,
    fetch: init.fetch ?? undefined,
    signal,
    initialDelay,
    maxDelay,
    multiplier,
    jitter,
    maxAttempts,
    inactivityTimeout: inactivityTimeout === undefined ? 0 : Math.min(Math.ceil(inactivityTimeout), MAX_DELAY),
    maxBufferSize,
    lastEventId,
    lastEventIdQueryParameter,
    diagnostics: diagnostics ? 1 : 0, // (a number: the connection reads its options' numbers in one helper)
  };
}

/**
 * Calls `each(type, data, lastEventId)` for every event of a batch the
 * connection hands over (src/wasm/connection.rs): each field followed by a
 * CR, which none can contain. Stops when `each` returns false.
 */
export function forEachEvent(batch, each) {
  const fields = batch.split('\r');
  for (let i = 0; i + 2 < fields.length; i += 3) if (each(fields[i], fields[i + 1], fields[i + 2]) === false) return;
}

/** The warnings said in the console: `${code} ${url}`. */
const warned = new Set();

/** `event` with `fields` as read-only properties of its own. */
function withFields(event, fields) {
  for (const name in fields) Object.defineProperty(event, name, { value: fields[name], enumerable: true });
  return event;
}

const suffix = (cause) => (cause?.message ? `: ${cause.message}` : '');

/**
 * The `error` event's `message` for each `reason` (the Rust `ErrorReason`s,
 * and `module`, which only this class reports), from the hook's `info` and the
 * options. A test checks that every reason of index.d.ts has one.
 */
export const ERROR_MESSAGES = {
  'end-of-stream': (_, options) => (options.fromStream ? 'The stream ended' : 'The server ended the stream'),
  network: ({ readyState, cause }, options) =>
    options.fromStream
      ? `Reading the stream failed${suffix(cause)}`
      : readyState === CLOSED
        ? 'The request failed in a way retrying cannot fix (CORS, a URL fetch cannot load, or window.stop())'
        : `The connection failed${suffix(cause)}`,
  timeout: (_, options) => `Nothing arrived for ${options.inactivityTimeout} ms (inactivityTimeout)`,
  status: ({ status }) => `HTTP status ${status}`,
  'content-type': ({ contentType }) =>
    contentType ? `Content-Type "${contentType}" is not text/event-stream` : 'The response has no Content-Type',
  'buffer-full': (_, options) => `An event or a line is over maxBufferSize (${options.maxBufferSize ?? DEFAULT_MAX_BUFFER_SIZE} bytes)`,
  'retries-exhausted': (_, options) => `No successful connection after ${options.maxAttempts} reconnection(s) (retry.maxAttempts)`,
  request: ({ cause }) => `The request could not be made${suffix(cause)}`,
  module: ({ cause }) => `The WebAssembly module did not load${suffix(cause)}`,
};

/** The `error` event's `message`: an unknown reason is a bug of this package, said as such. */
export function errorMessage(info, options) {
  const message = Object.hasOwn(ERROR_MESSAGES, info.reason) ? ERROR_MESSAGES[info.reason] : null;
  return message ? message(info, options) : `Unknown error reason "${info.reason}" (a bug in eventsource-wasm)`;
}

/**
 * What a shared source connects with, once shared.js and the wasm are loaded:
 * its context's hub for the stream (shared.js), or, where sharing cannot work,
 * a connection of its own.
 */
function sharing(load, share) {
  const module = Promise.resolve()
    .then(share)
    .catch(() => null); // e.g. no import() in a service worker
  return Promise.all([module, load()]).then(
    ([shared, Connection]) =>
      function SharedConnection(url, options, hooks) {
        return shared?.shareConnection(url, options, hooks, load) ?? new Connection(url, options, hooks);
      },
  );
}

/**
 * Makes the EventSource class. `load()` returns the wasm `Connection` class,
 * or a promise of it while the module is still loading: construction is
 * synchronous either way, and the request starts once the module is ready.
 * `share()`, where the entry offers sharing, returns the module shared.js or
 * a promise of it: it is loaded the first time a source asks for `shared`.
 */
export function defineEventSource(load, share = undefined) {
  // The stream `fromReadableStream()` hands to the constructor it calls.
  let adopting = null;
  // window.stop() aborts the document's fetches, and so fails a native source (spec 4); but
  // fetch() and the body's reader then reject with the TypeError of a network error, after
  // which a source reconnects. So the class sees the call itself: the first source made in
  // a window wraps window.stop, which tells the connections of the live sources first (and
  // the requests made before their connection, which tell it when it is made).
  const live = new Set();
  let watching = false;
  const watchStop = () => {
    const stop = globalThis.stop;
    if (watching || typeof document === 'undefined' || typeof stop !== 'function') return;
    watching = true;
    globalThis.stop = {
      stop() {
        for (const connection of live) connection.stopped?.();
        // biome-ignore lint/complexity/noArguments: window.stop's own arguments, whatever they are.
        return stop.apply(this, arguments);
      },
    }.stop;
  };

  class EventSource extends EventTarget {
    #url;
    #withCredentials;
    /** The connection (a wasm Connection, or a shared.js subscription): it
     *  holds the state the getters read. null before it is made (while the
     *  wasm loads) and after the source is closed. */
    #connection = null;
    /** The first request, made while the wasm loads (js/request.js), until
     *  the connection takes it over. */
    #early;
    /** fromReadableStream(): the stream's reader, until the connection takes it. */
    #reader;
    #closed = false;
    #origin = '';
    #handlers = new Map();
    /** What the getters say without a connection: the options' values, then
     *  the connection's last ones. */
    #lastEventId;
    #reconnectionTime;
    /** The last event ID of the event being dispatched, while it is. */
    #dispatching;
    #unsubscribe = null;
    /** The async iterators of `for await (… of source)`, fed each event dispatched. */
    #iterators = new Set();

    constructor(url, eventSourceInitDict = undefined) {
      super();
      // WebIDL: `url` is required; the init dictionary is undefined, null or an object.
      // biome-ignore lint/complexity/noArguments: WebIDL counts the arguments given, not their values.
      if (arguments.length < 1) {
        throw new TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
      }
      const stream = adopting;
      adopting = null;
      const init = eventSourceInitDict ?? {};
      if (typeof init !== 'object' && typeof init !== 'function') {
        throw new TypeError("Failed to construct 'EventSource': The provided value is not of type 'EventSourceInit'.");
      }
      try {
        this.#url = stream ? STREAM_URL : new URL(String(url), baseURL()).href;
      } catch {
        throw new DOMException(`The URL '${url}' is invalid.`, 'SyntaxError');
      }
      const options = connectionOptions(init, this.#url);
      // fromReadableStream(): the stream is read from now on (locked), by the connection.
      this.#reader = stream?.getReader();
      options.fromStream = !!stream;
      this.#withCredentials = options.credentials === 'include';
      this.#lastEventId = options.lastEventId;
      this.#reconnectionTime = Math.min(Math.trunc(options.initialDelay), MAX_DELAY);
      const { signal } = options;
      options.signal = undefined;
      if (signal?.aborted) {
        this.#closed = true;
      } else if (signal) {
        const abort = () => this.close();
        signal.addEventListener('abort', abort);
        this.#unsubscribe = () => signal.removeEventListener('abort', abort);
      }
      // The hooks run with nothing of the connection borrowed: a listener may call
      // anything. The connection's readyState has moved before each is called.
      const message = (type, data, lastEventId) => {
        if (this.#closed) return false; // closed by a listener: not the rest of the batch
        this.#dispatching = lastEventId;
        const event = new MessageEvent(type, { data, origin: this.#origin, lastEventId });
        // The loops get it too (they run after the listeners: a promise settles), even if a
        // listener closes the source.
        for (const iterator of this.#iterators) iterator.push(event);
        // (A listener's exception is reported by dispatchEvent, never thrown here.)
        this.dispatchEvent(event);
        this.#dispatching = undefined;
        return true;
      };
      const hooks = {
        open: (origin) => {
          if (this.#closed) return;
          this.#origin = origin;
          this.dispatchEvent(new Event('open'));
        },
        // One event (a shared source's hub delivers them one at a time).
        message,
        // The events of a slice of the stream (at most about 4 KiB of them).
        messages: (batch) => forEachEvent(batch, message),
        // info: { readyState, reason, status, delay, contentType, cause }
        error: (info) => {
          if (this.#closed) return;
          const { reason, status, delay, cause } = info;
          const fields = { reason, status, message: errorMessage(info, options), delay, cause };
          if (info.readyState === CLOSED) {
            // The loops over the source end: a stream's end is its normal end, a failure throws.
            const normal = options.fromStream && reason === 'end-of-stream';
            this.#release(normal ? null : Object.assign(new Error(fields.message, { cause }), { reason, status }));
          }
          this.dispatchEvent(withFields(new Event('error'), fields));
        },
        // What makes a stream seem to send nothing (src/machine.rs, Warning): said once in the
        // console (per stream and kind, for the whole page), and as a `warning` event.
        warning: (code, message) => {
          if (this.#closed) return;
          const key = `${code} ${this.#url}`;
          if (!warned.has(key)) console.warn(`eventsource-wasm: ${this.#url}: ${message}`);
          warned.add(key);
          this.dispatchEvent(withFields(new Event('warning'), { code, message }));
        },
      };
      const start = (Connection) => {
        const request = this.#early;
        const reader = this.#reader;
        this.#early = this.#reader = undefined;
        live.delete(request);
        if (!this.#closed) {
          this.#connection = new Connection(this.#url, options, hooks, request, reader);
          if (request?.wasStopped) this.#connection.stopped();
          watchStop();
          live.add(this.#connection);
        }
      };
      const loaded = options.shared && share ? sharing(load, share) : load();
      if (typeof loaded.then === 'function') {
        if (!options.shared && !stream && !this.#closed) {
          // The wasm is still loading: the first request leaves now, not after it; the
          // connection takes it over in flight. (A shared source may not connect at all.)
          this.#early = early(options, this.#url);
          if (this.#early) {
            watchStop();
            live.add(this.#early);
          }
        }
        loaded.then(start, (error) => {
          // The wasm module did not load (a wrong path, a blocked fetch, a CSP
          // without 'wasm-unsafe-eval'): fail the source, and say why.
          console.error('eventsource-wasm: the WebAssembly module did not load', error);
          hooks.error({ readyState: CLOSED, reason: 'module', status: 0, delay: null, contentType: '', cause: error });
        });
      } else {
        start(loaded);
      }
    }

    get url() {
      return this.#url;
    }

    get withCredentials() {
      return this.#withCredentials;
    }

    get readyState() {
      if (this.#connection) return this.#connection.readyState();
      return this.#closed ? CLOSED : CONNECTING;
    }

    get lastEventId() {
      return this.#dispatching ?? this.#connection?.lastEventId() ?? this.#lastEventId;
    }

    get reconnectionTime() {
      return this.#connection?.reconnectionTime() ?? this.#reconnectionTime;
    }

    close() {
      this.#release();
    }

    /**
     * `for await (const event of source)`: the MessageEvents the source dispatches from now on
     * (`message` and named events), in order, after its listeners. The loop ends when the
     * source is closed (`close()`, its `signal`, or, made from a stream, the stream's end); a
     * failure (an `error` that leaves it CLOSED) ends it with an Error that has the event's
     * `message`, `reason`, `status` and `cause`. Leaving the loop (`break`, `return`, a throw)
     * closes the source. Reconnections do not end it.
     */
    [Symbol.asyncIterator]() {
      const queue = [];
      let waiting = null;
      let ended = this.#closed;
      let failure = null;
      const finish = () => ({ value: undefined, done: true });
      const iterator = {
        push: (value) => {
          if (waiting) waiting.resolve({ value, done: false });
          else queue.push(value);
          waiting = null;
        },
        end: (error) => {
          ended = true;
          if (!waiting)
            failure = error; // for the next call of next()
          else if (error) waiting.reject(error);
          else waiting.resolve(finish());
          waiting = null;
        },
        next: () => {
          if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
          if (ended) {
            const error = failure;
            failure = null;
            return error ? Promise.reject(error) : Promise.resolve(finish());
          }
          return new Promise((resolve, reject) => {
            waiting = { resolve, reject };
          });
        },
        return: () => {
          queue.length = 0;
          this.#iterators.delete(iterator);
          this.close();
          return Promise.resolve(finish());
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      if (!ended) this.#iterators.add(iterator);
      return iterator;
    }

    /** Drops the event being assembled and any incomplete line (whatwg/html#12272): between
     *  two streams piped into a source made by fromReadableStream(). */
    reset() {
      this.#connection?.reset();
    }

    /**
     * A source fed by `stream`, a ReadableStream of bytes, instead of a URL (whatwg/html#12272):
     * `url` is "about:event-stream", `withCredentials` false, its events' origin "null"; it
     * opens, dispatches the stream's events, and when the stream ends or fails, fires `error`
     * and is CLOSED, with no reconnection. A locked stream is a TypeError.
     */
    static fromReadableStream(stream) {
      // biome-ignore lint/complexity/noArguments: WebIDL counts the arguments given, not their values.
      if (arguments.length < 1) {
        throw new TypeError("Failed to execute 'fromReadableStream' on 'EventSource': 1 argument required, but only 0 present.");
      }
      if (!isReadableStream(stream)) {
        throw new TypeError("Failed to execute 'fromReadableStream' on 'EventSource': parameter 1 is not of type 'ReadableStream'.");
      }
      if (stream.locked) throw new TypeError("Failed to execute 'fromReadableStream' on 'EventSource': the stream is locked.");
      adopting = stream;
      try {
        return new EventSource(STREAM_URL);
      } finally {
        adopting = null;
      }
    }

    /** CLOSED: stops the wasm side (abort, cancel the timer) and frees it,
     *  keeping what the getters read; stops listening to the signal. */
    #release(failure = null) {
      this.#closed = true;
      for (const iterator of this.#iterators) iterator.end(failure);
      this.#iterators.clear();
      const connection = this.#connection;
      this.#connection = null;
      this.#unsubscribe?.();
      this.#unsubscribe = null;
      if (this.#early) {
        live.delete(this.#early);
        abandon(this.#early);
        this.#early = undefined;
      }
      // Closed before its connection was made: the stream is cancelled all the same.
      this.#reader?.cancel().catch(() => {});
      this.#reader = undefined;
      if (connection) {
        live.delete(connection);
        // Closed by a listener of an event: that event's ID is the last one dispatched.
        this.#lastEventId = this.#dispatching ?? connection.lastEventId() ?? this.#lastEventId;
        this.#reconnectionTime = connection.reconnectionTime() ?? this.#reconnectionTime;
        connection.close();
        connection.free();
      }
    }

    get onopen() {
      return this.#getHandler('open');
    }
    set onopen(value) {
      this.#setHandler('open', value);
    }
    get onmessage() {
      return this.#getHandler('message');
    }
    set onmessage(value) {
      this.#setHandler('message', value);
    }
    get onerror() {
      return this.#getHandler('error');
    }
    set onerror(value) {
      this.#setHandler('error', value);
    }

    #getHandler(type) {
      return this.#handlers.get(type)?.callback ?? null;
    }

    // Event handler IDL attributes (HTML, "event handlers"): the first
    // assignment adds a listener; later ones replace the callback, which keeps
    // its place among the listeners; null removes it.
    #setHandler(type, value) {
      const callback = typeof value === 'function' || (typeof value === 'object' && value !== null) ? value : null;
      let handler = this.#handlers.get(type);
      if (callback === null) {
        if (handler) {
          this.removeEventListener(type, handler.listener);
          this.#handlers.delete(type);
        }
        return;
      }
      if (handler) {
        handler.callback = callback;
        return;
      }
      handler = {
        callback,
        listener: (event) => {
          if (typeof handler.callback === 'function') handler.callback.call(this, event);
        },
      };
      this.#handlers.set(type, handler);
      this.addEventListener(type, handler.listener);
    }
  }

  const constant = (value) => ({ value, enumerable: true, writable: false, configurable: false });
  const constants = { CONNECTING: constant(CONNECTING), OPEN: constant(OPEN), CLOSED: constant(CLOSED) };
  // WebIDL: attributes and operations are enumerable (class members are not).
  for (const name of [
    'url',
    'withCredentials',
    'readyState',
    'lastEventId',
    'reconnectionTime',
    'onopen',
    'onmessage',
    'onerror',
    'close',
    'reset',
  ]) {
    Object.defineProperty(EventSource.prototype, name, { enumerable: true });
  }
  // Minifiers rename classes; the name is part of the interface.
  Object.defineProperty(EventSource, 'name', { value: 'EventSource' });
  Object.defineProperty(EventSource, 'fromReadableStream', { enumerable: true });
  // `using source = new EventSource(…)` closes it at the end of the block, where the runtime
  // has explicit resource management.
  if (typeof Symbol.dispose === 'symbol') {
    Object.defineProperty(EventSource.prototype, Symbol.dispose, {
      value() {
        this.close();
      },
      writable: true,
      configurable: true,
    });
  }
  Object.defineProperties(EventSource, constants);
  Object.defineProperties(EventSource.prototype, {
    ...constants,
    [Symbol.toStringTag]: { value: 'EventSource', configurable: true },
  });
  return EventSource;
}
