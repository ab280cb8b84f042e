// The classic-script build (dist/eventsource-wasm.js, bundled by
// scripts/build.sh with the wasm inlined): instantiated synchronously, it
// installs EventSource where missing and always exposes the module as
// globalThis.EventSourceWasm.
import { initSync, Connection, StreamParser } from './eventsource_wasm.js';
import wasm from './eventsource_wasm_full_bg.wasm';
import { defineEventSource } from './eventsource.js';
import * as shared from './shared.js';
import { defineEventStreamParser } from './stream-parser.js';

initSync({ module: wasm });
const EventSource = defineEventSource(
  () => Connection,
  () => shared,
);
const EventStreamParser = defineEventStreamParser(() => StreamParser);
globalThis.EventSourceWasm = { EventSource, EventStreamParser };
if (typeof globalThis.EventSource === 'undefined') {
  globalThis.EventSource = EventSource;
}
