// The same types for a Node.js project without lib "dom" (only @types/node):
// the declarations must not need DOM-only names.
import { EventSource } from 'eventsource-wasm';
import type { EventSourceErrorReason, EventSourceInit, RetryPolicy } from 'eventsource-wasm';

const es = new EventSource('http://127.0.0.1:8080/stream', { withCredentials: false });
es.onmessage = (event) => {
  const data: unknown = event.data;
  const id: string = event.lastEventId;
  void [data, id];
};
es.addEventListener('named', (e: MessageEvent) => console.log(e.data));
es.addEventListener('open', () => console.log(es.readyState === EventSource.OPEN));
es.close();
// @ts-expect-error: readyState is readonly
es.readyState = 2;

// Beyond the standard, in Node.js (no lib dom): the local types must resolve
// against @types/node's globals.
declare function getToken(): Promise<string>;
const controller = new AbortController();
const retry: RetryPolicy = { initialDelay: 500, maxDelay: 60_000, multiplier: 2, jitter: 0.2, maxAttempts: 5 };
const init: EventSourceInit = {
  credentials: 'omit',
  headers: async () => ({ Authorization: `Bearer ${await getToken()}` }),
  method: 'POST',
  body: Buffer.from(JSON.stringify({ prompt: 'Hello' })),
  fetch: async (url, request) => {
    request.headers.set('X-Trace', '1');
    return fetch(url, request);
  },
  signal: controller.signal,
  retry,
  inactivityTimeout: 30_000,
  maxBufferSize: 4 * 1024 * 1024,
  lastEventId: 'resume-7',
};
const ext = new EventSource('http://127.0.0.1:8080/chat', init);
new EventSource('http://127.0.0.1:8080/s', { fetch });
new EventSource('http://127.0.0.1:8080/s', { headers: new Headers({ 'X-Client': 'node' }) });
new EventSource('http://127.0.0.1:8080/s', { headers: [['X-Client', 'node']] });
new EventSource('http://127.0.0.1:8080/s', { method: 'POST', body: new URLSearchParams({ q: 'x' }) });
new EventSource('http://127.0.0.1:8080/s', { method: 'POST', body: new Blob(['x']) });
new EventSource('http://127.0.0.1:8080/s', { method: 'POST', body: new FormData() });
ext.onerror = (event) => {
  const reason: EventSourceErrorReason = event.reason;
  if (event.reason === 'status' && event.status === 401) ext.close();
  const delay: number | null = event.delay;
  const message: string = event.message;
  void [reason, delay, message, event.cause];
};
ext.addEventListener('error', (event) => void event.reason);
const lastId: string = ext.lastEventId;
const reconnectionTime: number = ext.reconnectionTime;
void [lastId, reconnectionTime];
// @ts-expect-error: a ReadableStream cannot be sent again on reconnection
new EventSource('http://127.0.0.1:8080/s', { method: 'POST', body: new ReadableStream() });
// @ts-expect-error: a headers function returns headers, not a token
new EventSource('http://127.0.0.1:8080/s', { headers: async () => getToken() });
// @ts-expect-error: a policy object, not a delay
new EventSource('http://127.0.0.1:8080/s', { retry: 3000 });
// @ts-expect-error: not a reason
ext.onerror = (event) => event.reason === 'aborted';
// @ts-expect-error: lastEventId is read-only
ext.lastEventId = '';
