// The entry for Cloudflare Workers and workerd (the `workerd` condition, which wrangler
// uses): they compile no wasm from bytes at run time, so the wasm is imported as a
// module (wrangler's default rule for *.wasm: a compiled WebAssembly.Module) and
// instantiated synchronously at import. No sharing (no Web Locks).
import module from './eventsource_wasm_bg.wasm';
import { initSync, Connection, StreamParser } from './eventsource_wasm.js';
import { defineEventSource } from './eventsource.js';
import { defineEventStreamParser } from './stream-parser.js';

initSync({ module });

export const EventSource = defineEventSource(() => Connection);
export const EventStreamParser = defineEventStreamParser(() => StreamParser);
export default EventSource;
