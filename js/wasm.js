// The browsers' one wasm instance, common to the entries (index.js, polyfill.js and
// the stream-parser subpath: scripts/build.sh bundles them with this module and the
// wasm-bindgen glue in one chunk, so that there is one glue module per page).
//
// The wasm is fetched and compiled (WebAssembly.instantiateStreaming) from the moment
// this is imported, not at the first EventSource: the page goes on meanwhile. A load
// that fails is no error at import: the first source (or parser) made fails with it,
// as every later one does ('module', in eventsource.js).
import init, { Connection, StreamParser } from './eventsource_wasm.js';
import { defineEventSource } from './eventsource.js';

// Async, so that a `new URL` that throws (import.meta.url is no URL in Cloudflare workerd)
// rejects (and fails the sources) instead of throwing at import.
let loaded = null; // Connection, once the wasm is ready: then a source connects at once
const ready = (async () => {
  await init({ module_or_path: new URL('./eventsource_wasm_bg.wasm', import.meta.url) });
  loaded = Connection;
})();
ready.catch(() => {}); // reported by the sources and parsers, not as an unhandled rejection

// shared.js (one connection for every tab) is fetched only if a source asks for it.
export const EventSource = defineEventSource(
  () => loaded ?? ready.then(() => Connection),
  () => import('./shared.js'),
);
export const loadStreamParser = () => ready.then(() => StreamParser);
