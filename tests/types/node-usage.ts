// The same types for a Node.js project without lib "dom" (only @types/node):
// the declarations must not need DOM-only names.
import { EventSource } from 'eventsource-wasm';

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
