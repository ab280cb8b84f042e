// The one wasm instance of Cloudflare Workers and workerd, common to its entries
// (workerd.js, polyfill-workerd.js and the stream-parser subpath, bundled with it in
// one chunk): they compile no wasm from bytes at run time, so the wasm is imported as a
// module (wrangler's default rule for *.wasm: a compiled WebAssembly.Module) and
// instantiated synchronously at import. No sharing (no Web Locks).
import module from './eventsource_wasm_full_bg.wasm';
import { initSync, Connection, StreamParser } from './eventsource_wasm.js';
import { defineEventSource } from './eventsource.js';

initSync({ module });

export const EventSource = defineEventSource(() => Connection);
export const loadStreamParser = () => StreamParser;
