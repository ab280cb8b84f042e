// The browsers' wasm instance for the class (dist/index.js and dist/polyfill.js, each
// bundled with this module, the class and the wasm-bindgen glue into one file; the wasm,
// eventsource_wasm_bg.wasm, holds the class's handle and nothing else).
//
// The wasm is fetched and compiled (WebAssembly.instantiateStreaming) from the moment
// this is imported, not at the first EventSource: the page goes on meanwhile, and a
// source made before it is ready makes its first request at once (js/request.js). A load
// that fails is no error at import: the first source made fails with it, as every later
// one does ('module', in eventsource.js).
import init, { Connection } from './eventsource_wasm.js';
import { defineEventSource } from './eventsource.js';

// Async, so that a `new URL` that throws (import.meta.url is no URL in Cloudflare workerd)
// rejects (and fails the sources) instead of throwing at import.
let loaded = null; // Connection, once the wasm is ready: then a source connects at once
const ready = (async () => {
  await init({ module_or_path: new URL('./eventsource_wasm_bg.wasm', import.meta.url) });
  loaded = Connection;
})();
ready.catch(() => {}); // reported by the sources, not as an unhandled rejection

// shared.js (one connection for every tab) is fetched only if a source asks for it.
export const EventSource = defineEventSource(
  () => loaded ?? ready.then(() => Connection),
  () => import('./shared.js'),
);
