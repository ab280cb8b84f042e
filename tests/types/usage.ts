// Type tests for the package's types (dist/index.d.ts), checked by
// `tsc -p tests/types` (no output). Each `@ts-expect-error` line must be an
// error: if the types drift so that it is accepted, tsc fails too.
import { EventSource } from 'eventsource-wasm';
import DefaultEventSource from 'eventsource-wasm';
import type { EventSourceEventMap, EventSourceInit } from 'eventsource-wasm';
import { EventSource as PolyfillEventSource } from 'eventsource-wasm/polyfill';

// A drop-in for the standard class, and the standard class for it.
EventSource satisfies typeof globalThis.EventSource;
globalThis.EventSource satisfies typeof EventSource;
DefaultEventSource satisfies typeof EventSource;
PolyfillEventSource satisfies typeof globalThis.EventSource;
const asStandard: globalThis.EventSource = new EventSource('https://example.test/stream');
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

const map: EventSourceEventMap = { open: new Event('open'), error: new Event('error'), message: new MessageEvent('message') };
void map;

// Constants: literal types, on the class and instances.
const connecting: 0 = EventSource.CONNECTING;
const open: 1 = EventSource.OPEN;
const closed: 2 = es.CLOSED;
const url: string = es.url;
const credentials: boolean = withUrl.withCredentials;
const state: number = es.readyState;
if (es.readyState === es.OPEN) es.close();
void [asStandard, fromStandard, ctor, connecting, open, closed, url, credentials, state];

// Wrong usage must be an error.
// @ts-expect-error: the URL is required
new EventSource();
// @ts-expect-error: withCredentials is a boolean
new EventSource('https://example.test/', { withCredentials: 'yes' });
// @ts-expect-error: unknown init member
new EventSource('https://example.test/', { headers: {} });
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
