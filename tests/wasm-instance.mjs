// Test-only: the memory and the externref table of the first WebAssembly instance a page
// makes (the library's), caught by wrapping WebAssembly.instantiateStreaming and
// WebAssembly.instantiate before the library loads, so that tests read them from the very
// files the package ships (no test-only build in dist/). Import it before the library:
//
//   import { wasmExports } from '/tests/wasm-instance.mjs';
//   import { EventSource } from '/dist/index.js';
//   const { memory, externrefs } = await wasmExports;
//
// Found by their types: the build renames every export (scripts/minify-names.mjs).

/** The one export of `exports` that is a `type`. */
export function exportOfType(exports, type) {
  const found = Object.values(exports).filter((value) => value instanceof type);
  if (found.length !== 1) throw new Error(`the instance exports ${found.length} ${type.name}s, not one`);
  return found[0];
}

let resolve;
/** `{ memory, externrefs }` of the instance, once it is made. */
export const wasmExports = new Promise((r) => {
  resolve = r;
});
for (const name of ['instantiateStreaming', 'instantiate']) {
  const original = WebAssembly[name];
  WebAssembly[name] = async function (...args) {
    const result = await original.apply(this, args);
    // instantiate(module) gives the instance; instantiate(bytes) and instantiateStreaming
    // give { module, instance }.
    const { exports } = result.instance ?? result;
    resolve({ memory: exportOfType(exports, WebAssembly.Memory), externrefs: exportOfType(exports, WebAssembly.Table) });
    return result;
  };
}
