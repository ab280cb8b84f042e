// The ES module entry for browsers and bundlers (Vite, webpack 5): the wasm
// is fetched relative to this file the first time an EventSource (or an
// EventStreamParser) is made.
import init, { Connection, StreamParser } from './eventsource_wasm.js';
import { defineEventSource } from './eventsource.js';
import { defineEventStreamParser } from './stream-parser.js';

let ready;
// Async, so that a `new URL` that throws (import.meta.url is no URL in Cloudflare workerd)
// fails the source (error, reason 'module') instead of throwing from its constructor.
const load = () =>
  (ready ??= (async () => {
    await init({ module_or_path: new URL('./eventsource_wasm_bg.wasm', import.meta.url) });
    return Connection;
  })());

// shared.js (one connection for every tab) is fetched only if a source asks for it.
export const EventSource = defineEventSource(load, () => import('./shared.js'));
export const EventStreamParser = defineEventStreamParser(() => load().then(() => StreamParser));
export default EventSource;
