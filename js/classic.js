// The classic-script build (dist/eventsource-wasm.js, bundled by scripts/build.sh with
// the wasm inlined): it installs EventSource where missing and always exposes the module
// as globalThis.EventSourceWasm. The wasm is compiled asynchronously
// (WebAssembly.instantiate), never with the synchronous `new WebAssembly.Module`, which
// engines limit on the main thread (Chromium refused modules over 4 KB until about
// version 115): a source or parser made before it is ready starts as the ES entry's do
// (the first request leaves at once; the parser waits for its chunks).
import init, { Connection, StreamParser } from './eventsource_wasm.js';
import wasm from './eventsource_wasm_full_bg.wasm';
import { defineEventSource } from './eventsource.js';
import * as shared from './shared.js';
import { defineEventStreamParser } from './stream-parser.js';

let loaded = false;
const ready = init({ module_or_path: wasm }).then(() => {
  loaded = true;
});
ready.catch(() => {}); // reported by the sources and parsers, not as an unhandled rejection
const EventSource = defineEventSource(
  () => (loaded ? Connection : ready.then(() => Connection)),
  () => shared,
);
const EventStreamParser = defineEventStreamParser(() => (loaded ? StreamParser : ready.then(() => StreamParser)));
globalThis.EventSourceWasm = { EventSource, EventStreamParser };
if (typeof globalThis.EventSource === 'undefined') {
  globalThis.EventSource = EventSource;
}
