// The Node.js entry (the `node` condition): the wasm is read from disk and
// instantiated at import (js/wasm-node.js).
export { EventSource, EventSource as default } from './wasm-node.js';
