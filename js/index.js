// The ES module entry for browsers and bundlers (Vite, webpack 5). The wasm is
// fetched and compiled relative to the built files from the moment this is
// imported (js/wasm.js). EventStreamParser is its own subpath,
// 'eventsource-wasm/stream-parser' (js/stream-parser-entry.js), on the same instance.
export { EventSource, EventSource as default } from './wasm.js';
