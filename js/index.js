// The ES module entry for browsers and bundlers (Vite, webpack 5): the wasm
// is fetched relative to this file the first time an EventSource is made.
import init, { Connection } from './eventsource_wasm.js';
import { defineEventSource } from './eventsource.js';

let ready;
const load = () =>
  (ready ??= init({ module_or_path: new URL('./eventsource_wasm_bg.wasm', import.meta.url) }).then(() => Connection));

export const EventSource = defineEventSource(load);
export default EventSource;
