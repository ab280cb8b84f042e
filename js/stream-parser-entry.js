// The 'eventsource-wasm/stream-parser' subpath: EventStreamParser, on the same wasm
// instance as the main entry. This file is the browsers' (dist/stream-parser.js);
// scripts/build.sh makes the Node.js and workerd ones by replacing './wasm.js' with
// './wasm-node.js' and './wasm-workerd.js'.
import { loadStreamParser } from './wasm.js';
import { defineEventStreamParser } from './stream-parser.js';

export const EventStreamParser = defineEventStreamParser(loadStreamParser);
