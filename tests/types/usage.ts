// Type tests for the package's types (dist/index.d.ts), checked by
// `tsc -p tests/types` (no output). Each `@ts-expect-error` line must be an
// error: if the types drift so that it is accepted, tsc fails too.
import { EventSource } from 'eventsource-wasm';
import DefaultEventSource from 'eventsource-wasm';
import type {
  EventSourceErrorEvent,
  EventSourceErrorReason,
  EventSourceEventMap,
  EventSourceInit,
  EventSourceRequestInit,
  EventSourceResponse,
  EventSourceWarningCode,
  EventSourceWarningEvent,
  RetryPolicy,
} from 'eventsource-wasm';
import { EventSource as PolyfillEventSource } from 'eventsource-wasm/polyfill';

// A drop-in for the standard class. Not the other way round: the standard
// class has no lastEventId or reconnectionTime.
EventSource satisfies typeof globalThis.EventSource;
// @ts-expect-error: the standard class lacks lastEventId and reconnectionTime
globalThis.EventSource satisfies typeof EventSource;
DefaultEventSource satisfies typeof EventSource;
PolyfillEventSource satisfies typeof globalThis.EventSource;
const asStandard: globalThis.EventSource = new EventSource('https://example.test/stream');
// @ts-expect-error: the standard class lacks lastEventId and reconnectionTime
const fromStandard: EventSource = new globalThis.EventSource('https://example.test/stream');
const ctor: typeof globalThis.EventSource = EventSource;
globalThis.EventSource = EventSource;

// Typical usage.
const es = new EventSource('https://example.test/stream');
const withUrl = new EventSource(new URL('https://example.test/stream'), { withCredentials: true });
const init: EventSourceInit = { withCredentials: false };
new EventSource('/relative', init);
new EventSource('/relative', {});

es.onopen = (event) => {
  const e: Event = event;
  const self: EventSource = es;
  void [e, self];
};
es.onmessage = (event: MessageEvent) => {
  const data: string = event.data;
  const id: string = event.lastEventId;
  const origin: string = event.origin;
  void [data, id, origin];
};
es.onmessage = function (event) {
  // `this` is the source; the event is a MessageEvent.
  const state: number = this.readyState;
  const id: string = event.lastEventId;
  void [state, id];
};
es.onerror = (event: Event) => {
  if (es.readyState === EventSource.CLOSED) console.log('closed for good', event.type);
};
es.onmessage = null;
es.addEventListener('named', (e: MessageEvent) => console.log(e.data, e.lastEventId));
es.addEventListener('message', (e) => {
  const m: MessageEvent = e;
  void m;
});
es.addEventListener('open', (e) => void e.type, { once: true });
es.addEventListener('update', { handleEvent: (e: Event) => void e.type });
const listener = (e: MessageEvent) => void e.data;
es.addEventListener('update', listener, false);
es.removeEventListener('update', listener);
es.removeEventListener('message', listener, { capture: false });

declare const errorEvent: EventSourceErrorEvent;
declare const warningEvent: EventSourceWarningEvent;
const map: EventSourceEventMap = {
  open: new Event('open'),
  error: errorEvent,
  message: new MessageEvent('message'),
  warning: warningEvent,
};
void map;
const wrongMap: EventSourceEventMap = {
  open: new Event('open'),
  // @ts-expect-error: an error event has reason, status, message, delay and cause
  error: new Event('error'),
  message: new MessageEvent('message'),
  warning: warningEvent,
};
void wrongMap;

// Constants: literal types, on the class and instances.
const connecting: 0 = EventSource.CONNECTING;
const open: 1 = EventSource.OPEN;
const closed: 2 = es.CLOSED;
const url: string = es.url;
const credentials: boolean = withUrl.withCredentials;
const state: number = es.readyState;
if (es.readyState === es.OPEN) es.close();

// fromReadableStream() and reset() (whatwg/html#12272).
const fromStream: EventSource = EventSource.fromReadableStream(new ReadableStream<Uint8Array>());
fromStream.reset();
// @ts-expect-error: a stream, not a URL
EventSource.fromReadableStream('/events');

// Typed event names: a listener for a name the source does not send is an error.
const typed = new EventSource<'chat' | 'presence'>('/events');
typed.addEventListener('chat', (event) => {
  const data: string = event.data;
  const id: string = event.lastEventId;
  return [data, id];
});
typed.addEventListener('open', () => {});
typed.addEventListener('error', (event) => event.reason);
typed.removeEventListener('presence', () => {});
// @ts-expect-error: not one of the source's event names
typed.addEventListener('chta', () => {});
const typedFromStream = EventSource.fromReadableStream<'chat'>(new ReadableStream<Uint8Array>());
// @ts-expect-error: not one of the source's event names
typedFromStream.addEventListener('presence', () => {});
// Untyped: any name, as before.
es.addEventListener('anything', (event) => event.data);

// for await over a source.
async function iterate(source: EventSource): Promise<string[]> {
  const data: string[] = [];
  for await (const event of source) data.push(event.data, event.lastEventId);
  return data;
}
iterate(fromStream);
void [asStandard, fromStandard, ctor, connecting, open, closed, url, credentials, state];

// Wrong usage must be an error.
// @ts-expect-error: the URL is required
new EventSource();
// @ts-expect-error: withCredentials is a boolean
new EventSource('https://example.test/', { withCredentials: 'yes' });
// @ts-expect-error: unknown init member (event-source-polyfill's name; here it is inactivityTimeout)
new EventSource('https://example.test/', { heartbeatTimeout: 45_000 });
// @ts-expect-error: a URL, not a number
new EventSource(42);
// @ts-expect-error: readyState is readonly
es.readyState = 1;
// @ts-expect-error: url is readonly
es.url = 'https://elsewhere.test/';
// @ts-expect-error: withCredentials is readonly
es.withCredentials = true;
// @ts-expect-error: the constants are readonly
EventSource.OPEN = 1;
// @ts-expect-error: OPEN is 1, never 3
if (EventSource.OPEN === 3) console.log('unreachable');
// @ts-expect-error: close takes no argument
es.close(true);
// @ts-expect-error: no such method
es.reconnect();
// @ts-expect-error: a handler is a function or null, not a string
es.onmessage = 'console.log(event)';
// @ts-expect-error: lastEventId is a string
es.onmessage = (event: MessageEvent) => event.lastEventId satisfies number;
// @ts-expect-error: open is a plain Event, not a MessageEvent
es.onopen = (event) => event.data;
// @ts-expect-error: the class must be called with new
EventSource('https://example.test/');

// ---------------------------------------------------------------------------
// Beyond the standard: the init options, the error event, the getters.
declare function getToken(): Promise<string>;
declare const domHeadersInit: HeadersInit;
const controller = new AbortController();
const policy: RetryPolicy = { initialDelay: 1000, maxDelay: 30_000, multiplier: 2, jitter: 0.5, maxAttempts: 10 };
const ext = new EventSource('https://api.example.test/v1/chat', {
  credentials: 'include',
  headers: async () => ({ Authorization: `Bearer ${await getToken()}` }),
  method: 'POST',
  body: JSON.stringify({ prompt: 'Hello' }),
  fetch: (url, init) => fetch(url, init),
  signal: controller.signal,
  retry: policy,
  inactivityTimeout: 45_000,
  maxBufferSize: 1024 * 1024,
  lastEventId: '42',
});
new EventSource('/s', { withCredentials: true, credentials: 'same-origin' });
new EventSource('/s', { credentials: 'omit' });
// One connection for every tab: true, or a key (needed with a headers function or a custom fetch).
new EventSource('/s', { shared: true, headers: { 'X-Client': 'demo' } });
new EventSource('/s', { shared: 'feed', headers: async () => ({ Authorization: `Bearer ${await getToken()}` }) });
// @ts-expect-error: shared is a boolean or a key
new EventSource('/s', { shared: 1 });
// Every form of headers: an object, pairs, a Headers, the DOM's HeadersInit,
// and a function returning any of them, or a promise of one.
new EventSource('/s', { headers: { 'X-Client': 'demo' } });
new EventSource('/s', { headers: [['X-Client', 'demo']] });
new EventSource('/s', { headers: [['X-Client', 'demo']] as const });
new EventSource('/s', { headers: new Headers({ 'X-Client': 'demo' }) });
new EventSource('/s', { headers: domHeadersInit });
new EventSource('/s', { headers: () => new Headers() });
new EventSource('/s', { headers: () => [['X-Client', 'demo']] });
new EventSource('/s', { headers: () => Promise.resolve(domHeadersInit) });
// Every body that can be sent again.
new EventSource('/s', { method: 'POST', body: new Blob(['{}'], { type: 'application/json' }) });
new EventSource('/s', { method: 'POST', body: new URLSearchParams({ q: 'x' }) });
new EventSource('/s', { method: 'POST', body: new FormData() });
new EventSource('/s', { method: 'POST', body: new TextEncoder().encode('{}') });
new EventSource('/s', { method: 'POST', body: new ArrayBuffer(8) });
new EventSource('/s', { method: 'POST', body: new DataView(new ArrayBuffer(8)) });
// A custom fetch: the global one as it is, or a wrapper that edits the request.
new EventSource('/s', { fetch });
new EventSource('/s', {
  fetch: async (url: string, init: EventSourceRequestInit) => {
    const method: string = init.method;
    const mode: 'cors' = init.mode;
    const cache: 'no-store' = init.cache;
    const credentials: 'omit' | 'same-origin' | 'include' = init.credentials;
    const signal: AbortSignal = init.signal;
    init.headers.set('X-Trace', String(Date.now()));
    void [method, mode, cache, credentials, signal];
    return fetch(url, { ...init, keepalive: false });
  },
});
new EventSource('/s', {
  // A test double: anything with what the source reads of a Response.
  fetch: async (): Promise<EventSourceResponse> => new Response('data: hi\n\n', { headers: { 'Content-Type': 'text/event-stream' } }),
});
new EventSource('/s', { retry: {} });
new EventSource('/s', { retry: { maxAttempts: 0 } });
new EventSource('/s', { retry: { maxDelay: Infinity, maxAttempts: Infinity } });

// The error event.
ext.onerror = (event) => {
  const reason: EventSourceErrorReason = event.reason;
  const status: number = event.status;
  const message: string = event.message;
  const delay: number | null = event.delay;
  const cause: unknown = event.cause;
  const plain: Event = event;
  if (event.reason === 'status' && event.status === 401) controller.abort();
  void [reason, status, message, delay, cause, plain];
};
ext.onerror = function (event) {
  // `this` is the source, with its getters.
  console.log(this.lastEventId, this.reconnectionTime, event.delay);
};
ext.onerror = (event: Event) => void event.type;
ext.onerror = null;
ext.addEventListener('error', (event) => {
  const e: EventSourceErrorEvent = event;
  void e.reason;
});
function describe(reason: EventSourceErrorReason): string {
  // Exactly these nine reasons: a new or missing one breaks this switch.
  switch (reason) {
    case 'end-of-stream':
    case 'network':
    case 'timeout':
    case 'request':
      return 'reconnecting';
    case 'status':
    case 'content-type':
    case 'buffer-full':
    case 'retries-exhausted':
    case 'module':
      return 'failed';
    default:
      return reason satisfies never;
  }
}
void describe;

// The getters.
const lastId: string = ext.lastEventId;
const reconnectionTime: number = ext.reconnectionTime;
void [lastId, reconnectionTime];

// Wrong uses of the extensions.
// @ts-expect-error: not a credentials mode
new EventSource('/s', { credentials: 'always' });
// @ts-expect-error: header values are strings
new EventSource('/s', { headers: { 'X-Retry': 3 } });
// @ts-expect-error: a headers function returns headers, not a token
new EventSource('/s', { headers: async () => getToken() });
// @ts-expect-error: a ReadableStream cannot be sent again on reconnection
new EventSource('/s', { method: 'POST', body: new ReadableStream() });
// @ts-expect-error: an object body must be serialized first
new EventSource('/s', { method: 'POST', body: { prompt: 'Hello' } });
// @ts-expect-error: the URL given to fetch is a string
new EventSource('/s', { fetch: (url: URL) => fetch(url) });
// @ts-expect-error: fetch must resolve to a Response
new EventSource('/s', { fetch: async () => 'data: hi\n\n' });
// @ts-expect-error: the signal, not its controller
new EventSource('/s', { signal: controller });
// @ts-expect-error: a number of ms
new EventSource('/s', { retry: { initialDelay: '1s' } });
// @ts-expect-error: unknown policy member
new EventSource('/s', { retry: { backoff: 2 } });
// @ts-expect-error: a policy object, not a delay
new EventSource('/s', { retry: 3000 });
// @ts-expect-error: a number of ms
new EventSource('/s', { inactivityTimeout: '45s' });
// @ts-expect-error: a number of bytes
new EventSource('/s', { maxBufferSize: '1 MiB' });
// @ts-expect-error: the last event ID is a string
new EventSource('/s', { lastEventId: 42 });
// @ts-expect-error: lastEventId is read-only
ext.lastEventId = '43';
// @ts-expect-error: reconnectionTime is read-only
ext.reconnectionTime = 1000;
// @ts-expect-error: not a reason
ext.onerror = (event) => event.reason === 'aborted';
// @ts-expect-error: status is a number
ext.onerror = (event) => event.status satisfies string;
// @ts-expect-error: delay is null once CLOSED
ext.onerror = (event) => event.delay satisfies number;
// @ts-expect-error: an error event is not a MessageEvent
ext.onerror = (event: MessageEvent) => event.data;
// @ts-expect-error: not a reason
const notAReason: EventSourceErrorReason = 'closed';
void notAReason;

// The diagnostics: an option, and a `warning` event with a code and a message.
const diagnosed = new EventSource('/s', { diagnostics: false });
diagnosed.addEventListener('warning', (event) => {
  const code: EventSourceWarningCode = event.code;
  const text: string = event.message;
  void [code, text];
});
const warningListener = (event: EventSourceWarningEvent) => event.code === 'held-back';
diagnosed.removeEventListener('warning', warningListener);
// @ts-expect-error: a boolean
new EventSource('/s', { diagnostics: 'on' });
// @ts-expect-error: not a code
diagnosed.addEventListener('warning', (event) => event.code === 'slow');
