// Types for eventsource-wasm: the standard EventSource interface (HTML,
// "Server-sent events"), so that `EventSource satisfies typeof
// globalThis.EventSource` (checked by tsc in the tests), plus the options,
// error details and getters that go beyond it.
//
// Every name used here exists both with lib "dom" and, without it, in
// @types/node 20 (Event, EventTarget, MessageEvent, AbortSignal, Headers,
// Blob, FormData, URLSearchParams, ReadableStream, RequestInit). The DOM-only
// type aliases (HeadersInit, BodyInit, RequestCredentials, ...) are spelled
// out below.

/** fetch's credentials mode. */
export type EventSourceCredentials = 'omit' | 'same-origin' | 'include';

/** Extra request headers: an object, an array of name/value pairs, or a `Headers`. */
export type EventSourceHeadersInit = Record<string, string> | ReadonlyArray<readonly [string, string]> | Headers;

/**
 * A request body that can be sent again on every reconnection. A
 * `ReadableStream` cannot, and is refused (TypeError).
 */
export type EventSourceBodyInit = string | Blob | ArrayBuffer | ArrayBufferView | URLSearchParams | FormData;

/**
 * What a custom `fetch` receives: always these members. It is assignable to
 * the runtime's `RequestInit`, so it can be passed on to `fetch` as it is.
 */
export interface EventSourceRequestInit {
  method: string;
  /** The request headers: `Accept`, `Last-Event-ID` and the `headers` option. */
  headers: Headers;
  /** The `body` option, if one was given. */
  body?: Exclude<RequestInit['body'], undefined>;
  mode: 'cors';
  credentials: EventSourceCredentials;
  cache: 'no-store';
  redirect: 'follow';
  /** Aborted by `close()`, by the `signal` option and by `inactivityTimeout`. */
  signal: AbortSignal;
}

/** What the source reads of the response a custom `fetch` resolves to; a `Response` fits. */
export interface EventSourceResponse {
  readonly status: number;
  readonly url: string;
  readonly redirected: boolean;
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
}

/**
 * The reconnection policy. The n-th reconnection in a row (counted since the
 * last `open`) waits `d = min(base × multiplier^(n−1), maxDelay)`, then
 * `floor(d × (1 − jitter × r))` with r uniform in [0, 1); base is the
 * server's latest `retry:` field, else `initialDelay`. Delays are clamped to
 * 2^31 − 1 ms. Invalid values throw a TypeError at construction.
 */
export interface RetryPolicy {
  /** The base delay in ms until the server sends `retry:`. Finite, ≥ 0. Default 3000. */
  initialDelay?: number;
  /** The longest delay in ms. ≥ 0, may be Infinity (the default). */
  maxDelay?: number;
  /** The factor applied per reconnection in a row. Finite, ≥ 1. Default 1 (no backoff). */
  multiplier?: number;
  /** The fraction of each delay that may be randomly taken off, in [0, 1]. Default 0. */
  jitter?: number;
  /**
   * Reconnections in a row without a successful `open`; one more fails the
   * source (CLOSED, `error` with reason `'retries-exhausted'`). An integer
   * ≥ 0, or Infinity (the default). 0 never reconnects.
   */
  maxAttempts?: number;
}

export interface EventSourceInit {
  /** Send credentials (cookies, HTTP auth) cross-origin. Default false. */
  withCredentials?: boolean;
  /** fetch's credentials mode; overrides `withCredentials`. */
  credentials?: EventSourceCredentials;
  /**
   * Extra request headers, or a function returning them (or a promise of
   * them), called before every connection and reconnection. `Accept:
   * text/event-stream` is sent unless set here; `Last-Event-ID` is always the
   * source's own.
   */
  headers?: EventSourceHeadersInit | (() => EventSourceHeadersInit | Promise<EventSourceHeadersInit>);
  /** The request method. Default `'GET'`. */
  method?: string;
  /** The request body, sent again on every reconnection. Not with GET or HEAD (TypeError). */
  body?: EventSourceBodyInit;
  /**
   * Used instead of the global `fetch`, with the absolute URL. A rejection
   * or a throw is a network error: the source reconnects per `retry`.
   */
  fetch?: (url: string, init: EventSourceRequestInit) => Promise<EventSourceResponse>;
  /** Aborting it is `close()`: CLOSED, no `error` event. */
  signal?: AbortSignal;
  /** The reconnection policy; without it, the standard's (3000 ms or the server's `retry:`, forever). */
  retry?: RetryPolicy;
  /**
   * Milliseconds (> 0) without a byte received (comments count) after which
   * the request is aborted, `error` fires with reason `'timeout'` and the
   * source reconnects. Default off.
   */
  inactivityTimeout?: number;
  /**
   * The cap in bytes (an integer > 0) on one event's buffered data or line;
   * past it the source fails with reason `'buffer-full'`. Default 16 MiB.
   */
  maxBufferSize?: number;
  /** The initial last event ID, sent as `Last-Event-ID` from the first request. No NUL, CR or LF (TypeError). */
  lastEventId?: string;
  /**
   * Send the last event ID as this query parameter of the URL (e.g. `'lastEventID'`, as
   * Mercure reads it) instead of the `Last-Event-ID` header: a cross-origin request with the
   * header needs a CORS preflight, one without it does not. The parameter is set on each
   * request that has an ID, and removed from the URL on one that has none.
   */
  lastEventIdQueryParameter?: string;
  /**
   * One connection for every same-origin tab, frame and worker: the sources
   * with the same URL and `shared: true` and the same options share it, or,
   * with a string, the sources with the same URL and the same string (the
   * options of the context that holds the connection apply). A headers
   * function, a custom `fetch` or a body other than a string cannot be
   * compared: with them, `true` throws a TypeError and a string is needed.
   * Where Web Locks or BroadcastChannel are missing (Node.js, an insecure
   * context, an old engine), the source connects on its own.
   */
  shared?: boolean | string;
  /**
   * Look for what makes a stream seem to send nothing, and say so once, in the console and
   * as a `warning` event (EventSourceWarningEvent): the browser's limit of six HTTP/1.1
   * connections per host, and a stream that a server or proxy buffers. Default true.
   */
  diagnostics?: boolean;
}

/**
 * Why an `error` event fired, and the readyState it leaves:
 * - `'end-of-stream'`: the server ended the body (CONNECTING);
 * - `'network'`: fetch or a read failed (CONNECTING), or a CORS failure, a
 *   URL scheme fetch cannot load, or `window.stop()` (CLOSED);
 * - `'timeout'`: `inactivityTimeout` elapsed (CONNECTING);
 * - `'status'`: the HTTP status was not 200 (CLOSED);
 * - `'content-type'`: the Content-Type was not `text/event-stream` (CLOSED);
 * - `'buffer-full'`: an event or line exceeded `maxBufferSize` (CLOSED);
 * - `'retries-exhausted'`: `retry.maxAttempts` was reached (CLOSED);
 * - `'request'`: the headers function threw, rejected or gave invalid headers,
 *   or the request could not be built (CONNECTING);
 * - `'module'`: the WebAssembly module did not load (CLOSED).
 */
export type EventSourceErrorReason =
  | 'end-of-stream'
  | 'network'
  | 'timeout'
  | 'status'
  | 'content-type'
  | 'buffer-full'
  | 'retries-exhausted'
  | 'request'
  | 'module';

/** The `error` event: a plain `Event` named `error`, with details. */
export interface EventSourceErrorEvent extends Event {
  /** Why it fired. */
  readonly reason: EventSourceErrorReason;
  /** The HTTP status for `'status'` and `'content-type'`, else 0. */
  readonly status: number;
  /** A human-readable sentence, e.g. `HTTP status 401`. */
  readonly message: string;
  /** The ms until the next attempt while CONNECTING; null once CLOSED. */
  readonly delay: number | null;
  /** The underlying error (fetch's TypeError, the headers function's rejection), or undefined. */
  readonly cause: unknown;
}

/**
 * What a `warning` event is about:
 * - `'connection-limit'`: the request has had no answer for 3 s while six other streams to
 *   its origin are open or connecting, in this page and other tabs of the site (the browser
 *   holds it back);
 * - `'content-length'`: the stream has a Content-Length (it was buffered whole);
 * - `'held-back'`: events and comments arrived at once after 3 s of silence (a buffering
 *   proxy, compression).
 */
export type EventSourceWarningCode = 'connection-limit' | 'content-length' | 'held-back';

/**
 * The `warning` event (an extension; `diagnostics: false` turns it off): a plain `Event`, given
 * once per source and kind, when nothing failed but something makes the stream seem to send
 * nothing. (An event the server names `warning` is a MessageEvent.)
 */
export interface EventSourceWarningEvent extends Event {
  /** What it is about. */
  readonly code: EventSourceWarningCode;
  /** What it means, and the fix (as said in the console). */
  readonly message: string;
}

/**
 * What reading `onopen`, `onmessage` or `onerror` gives: the function that was
 * set, typed loosely (`this` an EventTarget; for `onerror`, a plain Event) because
 * the standard class's handlers are typed so, and this class must stay
 * assignable to it. The setters take the precise types.
 */
export type EventSourceHandlerRead<E extends Event = Event> = ((this: EventTarget, ev: E) => any) | null;

/** The listener types of the DOM, spelled out so that no lib "dom" is needed. */
export type EventSourceListener = ((event: Event) => any) | { handleEvent(event: Event): any };
export interface EventSourceListenerOptions {
  capture?: boolean;
}
export interface EventSourceAddListenerOptions extends EventSourceListenerOptions {
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

export interface EventSourceEventMap {
  error: EventSourceErrorEvent;
  message: MessageEvent;
  open: Event;
  warning: EventSourceWarningEvent;
}

/**
 * The standard class. `Names`: the names of the events the server sends besides `message`,
 * for `addEventListener` to check (`new EventSource<'chat' | 'presence'>(url)`: a listener
 * for `'chta'` is an error); by default any name.
 */
export declare class EventSource<Names extends string = string> extends EventTarget {
  constructor(url: string | URL, eventSourceInitDict?: EventSourceInit);

  /** The absolute URL of the stream. */
  readonly url: string;
  /** Whether credentials are sent cross-origin: `credentials === 'include'`. */
  readonly withCredentials: boolean;
  /** CONNECTING (0), OPEN (1) or CLOSED (2). */
  readonly readyState: number;
  /**
   * The last event ID: the `lastEventId` option or `''` at first, then each
   * `id:` field processed. Kept after `close()`.
   */
  readonly lastEventId: string;
  /** The base reconnection time in ms: the server's latest `retry:`, else `retry.initialDelay` (3000). */
  readonly reconnectionTime: number;

  get onopen(): EventSourceHandlerRead;
  set onopen(handler: ((this: EventSource, ev: Event) => any) | null);
  get onmessage(): EventSourceHandlerRead<MessageEvent>;
  set onmessage(handler: ((this: EventSource, ev: MessageEvent) => any) | null);
  /** Called with an EventSourceErrorEvent: `reason`, `status`, `message`, `delay`, `cause`. */
  get onerror(): EventSourceHandlerRead;
  set onerror(handler: ((this: EventSource, ev: EventSourceErrorEvent) => any) | null);

  /** Aborts the connection and any pending reconnection, for good (a stream's source: cancels the stream). */
  close(): void;
  /**
   * Drops the event being assembled and any incomplete line, as a new connection does; the
   * last event ID and the reconnection time stay (whatwg/html#12272): between two streams
   * piped into a source made by `fromReadableStream()`.
   */
  reset(): void;

  /**
   * A source fed by `stream` (bytes) instead of a URL (whatwg/html#12272): `url` is
   * `"about:event-stream"`, `withCredentials` false, the events' `origin` `"null"`. It opens,
   * dispatches the stream's events, and when the stream ends or fails fires `error` (reason
   * `end-of-stream` or `network`) and is CLOSED, with no reconnection. Throws a TypeError for
   * a locked stream; locks it.
   */
  static fromReadableStream<Names extends string = string>(stream: ReadableStream<Uint8Array>): EventSource<Names>;

  /**
   * `for await (const event of source)`: the MessageEvents dispatched from then on (`message`
   * and named events), in order. Ends when the source is closed (or, made from a stream, at the
   * stream's end); a failure throws an Error with `reason`, `status` and `cause`; leaving the
   * loop closes the source. (Where the runtime has `Symbol.dispose`, `using source = …` closes
   * it at the end of the block.)
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<MessageEvent>;

  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;

  addEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: EventSource<Names>, ev: EventSourceEventMap[K]) => any,
    options?: boolean | EventSourceAddListenerOptions,
  ): void;
  addEventListener(
    type: Names,
    listener: (this: EventSource<Names>, event: MessageEvent) => any,
    options?: boolean | EventSourceAddListenerOptions,
  ): void;
  addEventListener(
    type: Names | keyof EventSourceEventMap,
    listener: EventSourceListener,
    options?: boolean | EventSourceAddListenerOptions,
  ): void;
  removeEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: EventSource<Names>, ev: EventSourceEventMap[K]) => any,
    options?: boolean | EventSourceListenerOptions,
  ): void;
  removeEventListener(
    type: Names,
    listener: (this: EventSource<Names>, event: MessageEvent) => any,
    options?: boolean | EventSourceListenerOptions,
  ): void;
  removeEventListener(
    type: Names | keyof EventSourceEventMap,
    listener: EventSourceListener,
    options?: boolean | EventSourceListenerOptions,
  ): void;
}

export default EventSource;
