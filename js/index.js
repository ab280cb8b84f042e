// The ES module entry for browsers and bundlers (Vite, webpack 5): the wasm
// is fetched relative to this file the first time an EventSource (or an
// EventStreamParser) is made.
import init, { Connection, StreamParser } from './eventsource_wasm.js';
import { defineEventSource } from './eventsource.js';
import { shareConnection } from './shared.js';
import { defineEventStreamParser } from './stream-parser.js';

let ready;
const load = () =>
  (ready ??= init({ module_or_path: new URL('./eventsource_wasm_bg.wasm', import.meta.url) }).then(() => Connection));

export const EventSource = defineEventSource(load, shareConnection);
export const EventStreamParser = defineEventStreamParser(() => load().then(() => StreamParser));
export default EventSource;
