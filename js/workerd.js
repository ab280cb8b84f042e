// The entry for Cloudflare Workers and workerd (the `workerd` condition, which wrangler
// uses): the wasm is imported as a module and instantiated at import (js/wasm-workerd.js).
export { EventSource, EventSource as default } from './wasm-workerd.js';
