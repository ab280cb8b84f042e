// The Node.js entry: the wasm is read from disk and instantiated at import.
// No sharing (Node.js has no Web Locks): a `shared` source connects alone.
import { readFileSync } from 'node:fs';
import { initSync, Connection, StreamParser } from './eventsource_wasm.js';
import { defineEventSource } from './eventsource.js';
import { defineEventStreamParser } from './stream-parser.js';

initSync({ module: readFileSync(new URL('./eventsource_wasm_bg.wasm', import.meta.url)) });

export const EventSource = defineEventSource(() => Connection);
export const EventStreamParser = defineEventStreamParser(() => StreamParser);
export default EventSource;
