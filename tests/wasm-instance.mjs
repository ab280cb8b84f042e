// Test-only: the exports of the first WebAssembly instance a page makes (the library's),
// caught by wrapping WebAssembly.instantiateStreaming and WebAssembly.instantiate before
// the library loads, so that tests read its memory and externref table from the very
// files the package ships (no test-only build in dist/). Import it before the library:
//
//   import { wasmExports } from '/tests/wasm-instance.mjs';
//   import { EventSource } from '/dist/index.js';
//   const { memory, __wbindgen_externrefs } = await wasmExports;

let resolve;
/** The instance's exports, once it is made. */
export const wasmExports = new Promise((r) => {
  resolve = r;
});
for (const name of ['instantiateStreaming', 'instantiate']) {
  const original = WebAssembly[name];
  WebAssembly[name] = async function (...args) {
    const result = await original.apply(this, args);
    // instantiate(module) gives the instance; instantiate(bytes) and instantiateStreaming
    // give { module, instance }.
    resolve((result.instance ?? result).exports);
    return result;
  };
}
