// The classic-script build (dist/eventsource-wasm.js, bundled by
// scripts/build.sh with the wasm inlined): instantiated synchronously, it
// installs EventSource where missing and always exposes the module as
// globalThis.EventSourceWasm.
import { initSync, Connection } from './eventsource_wasm.js';
import wasm from './eventsource_wasm_bg.wasm';
import { defineEventSource } from './eventsource.js';

initSync({ module: wasm });
const EventSource = defineEventSource(() => Connection);
globalThis.EventSourceWasm = { EventSource };
if (typeof globalThis.EventSource === 'undefined') {
  globalThis.EventSource = EventSource;
}
