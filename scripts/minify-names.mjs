// `node scripts/minify-names.mjs GLUE.js NAMES.json WASM`: renames, in the wasm-bindgen glue
// GLUE.js, the wasm's imports and exports as `wasm-opt --minify-imports-and-exports-and-modules`
// renamed them in WASM (NAMES.json: the mapping that pass prints). scripts/build.sh runs it.
//
// Why: wasm-bindgen names every import after its function and a 16-digit hash
// (`__wbg_subarray_58f388a9247ac0bb`), every closure's invoker after its whole Rust type, and
// each import's module after the snippet's path; the names are in the wasm and again in the
// JS, and hashes do not compress: about 1.4 KB of the gzipped ES entry (measured).
//
// The glue's own imports object (`import0`) gets the new keys; the imports of the inline JS
// and js/request.js (module namespaces, which cannot be renamed) are added to it under their
// new names; every `wasm.<export>` is renamed. Then both sides are checked against the
// minified module itself: the exact set of imports it asks for, and every export the glue
// reads. Any mismatch fails the build.
import fs from 'node:fs';

const [gluePath, namesPath, wasmPath] = process.argv.slice(2);
const names = JSON.parse(fs.readFileSync(namesPath, 'utf8'));
let glue = fs.readFileSync(gluePath, 'utf8');
const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
const fail = (message) => {
  console.error(`minify-names: ${message}`);
  process.exit(1);
};

const modules = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
if (modules.size !== 1) fail(`the minified wasm imports from ${modules.size} modules`);
const [moduleName] = modules;

// The original imports object: "module path": identifier, for each module.
const returned = /return \{\n\s*__proto__: null,\n((?:\s*"[^"]+": import\d+,\n)+)\s*\};\n\}/.exec(glue);
if (!returned) fail("the glue's imports object was not found (a new wasm-bindgen?)");
const namespaces = new Map([...returned[1].matchAll(/"([^"]+)": (import\d+)/g)].map(([, path, id]) => [path, id]));
const own = [...namespaces].find(([, id]) => id === 'import0')?.[0];
if (!own) fail('no import0 in the imports object');

const added = [];
for (const [path, field, renamed] of names.imports) {
  if (path === own) {
    const key = new RegExp(`^(\\s+)${field}: `, 'm');
    if (!key.test(glue)) fail(`import ${field} is not a key of import0`);
    glue = glue.replace(key, `$1${renamed}: `);
  } else {
    const id = namespaces.get(path);
    if (!id) fail(`import ${path} ${field}: no namespace for its module`);
    added.push(`${JSON.stringify(renamed)}: ${id}.${field}`);
  }
}
glue = glue.replace(returned[0], `return { ${JSON.stringify(moduleName)}: Object.assign(import0, { ${added.join(', ')} }) };\n}`);

const exportsMap = new Map(names.exports);
const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
glue = glue.replace(/\bwasm\.(\w+)/g, (whole, name) => {
  const renamed = exportsMap.get(name);
  if (!renamed) fail(`the glue reads wasm.${name}, which the mapping does not rename`);
  if (!exported.has(renamed)) fail(`wasm.${name} is ${renamed}, which the wasm does not export`);
  return `wasm.${renamed}`;
});

// Each import taken from a snippet's namespace is one of its exports.
const dir = new URL('.', `file://${fs.realpathSync(gluePath)}`);
for (const [path, field] of names.imports.filter(([path]) => path !== own)) {
  const namespace = await import(new URL(path, dir).href);
  if (!(field in namespace)) fail(`${path} exports no ${field}`);
}

// Every import the module asks for is given, and nothing else is renamed away.
const given = new Set([...names.imports.map(([, , renamed]) => renamed)]);
const asked = WebAssembly.Module.imports(module).map((i) => i.name);
const missing = asked.filter((name) => !given.has(name));
if (missing.length || given.size !== new Set(asked).size) fail(`imports asked ${asked.length}, given ${given.size}, missing ${missing}`);
fs.writeFileSync(gluePath, glue);
