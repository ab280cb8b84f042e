// Node.js's one wasm instance, common to the entries (node.js, polyfill-node.js and the
// stream-parser subpath, which scripts/build.sh bundles with it in one chunk): the wasm
// is read from disk and instantiated at import. No sharing (Node.js has no Web Locks):
// a `shared` source connects alone.
import { readFileSync } from 'node:fs';
import { initSync, Connection, StreamParser } from './eventsource_wasm.js';
import { defineEventSource } from './eventsource.js';

initSync({ module: readFileSync(new URL('./eventsource_wasm_full_bg.wasm', import.meta.url)) });

export const EventSource = defineEventSource(() => Connection);
export const loadStreamParser = () => StreamParser;
