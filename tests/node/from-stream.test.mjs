// EventSource.fromReadableStream() and reset() in Node.js, the package imported by name:
// the cases of tests/from-stream/cases.mjs, which run the same in the three browsers.
import { test } from 'node:test';
import { EventSource } from 'eventsource-wasm';
import { CASES } from '../from-stream/cases.mjs';
import { TIMEOUT } from './helpers.mjs';

for (const [name, run] of Object.entries(CASES)) test(name, { timeout: TIMEOUT }, () => run(EventSource));
