#!/usr/bin/env bash
# `npm run build`: the npm package in dist/.
#
#   cargo (wasm32, release) -> wasm-bindgen (pinned, --target web) -> wasm-opt -Oz
#   (npm package binaryen), imports and exports renamed short -> the hand-written JS
#   of js/ bundled with the glue by esbuild (ES modules) -> the classic script with
#   the wasm inlined.
#
# The wasm may use only the features of the engines the README lists:
# wasm-opt is given exactly those, and fails on anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

# (Also npm's `prepack`, so that `npm pack` and `npm publish` ship a fresh dist/: say what
# is missing rather than fail half-way.)
for tool in cargo wasm-bindgen wasm-opt esbuild; do
  command -v "$tool" >/dev/null || { echo "build: $tool is missing: run \`npm run setup\` (or \`npm run build\`) first" >&2; exit 1; }
done

# Exactly the wasm features of the engines the README supports (Chrome 96,
# Firefox 90, Safari 15, Node.js 20), on top of the MVP; wasm-opt refuses a
# module that uses any other, so a toolchain that starts emitting one (a new
# rustc default) fails the build instead of the users.
WASM_FEATURES=(--mvp-features --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-multivalue --enable-reference-types)

# One wasm for each set of exports the entries need (the crate's features): the class's
# handle alone for the browsers' ES entry and polyfill (js-connection: eventsource_wasm_bg.wasm),
# the stream parser alone for the browsers' stream-parser subpath (js-stream-parser:
# stream_parser_bg.wasm), both for Node.js, workerd and the classic script, where the
# entries share one instance (eventsource_wasm_full_bg.wasm). `wasm DIR WASM FEATURES`:
# the glue and its snippets in target/DIR/ with the hand-written JS of js/, the wasm in
# dist/WASM.
#
# Size: the standard library rebuilt with panics that abort at once, with no
# message formatting (nightly only; -4.7 KB gzipped, measured), no panic
# locations and no Debug formatting (-0.4 KB). Its own target directory, so
# that it does not invalidate the stable builds.
wasm() {
  local out=target/$1 dist=dist/$2 features=$3
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none" \
    cargo +nightly build --quiet --release \
    --target wasm32-unknown-unknown --lib --features "small-allocator,$features" -Zbuild-std=std,panic_abort --target-dir target/nightly
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-name eventsource_wasm --out-dir "$out" \
    target/nightly/wasm32-unknown-unknown/release/eventsource_wasm.wasm
  # (The low 1 KiB of memory is the bottom of Rust's stack, which a valid address + offset
  # never wraps into: -0.9 % gzipped. Flattening and re-looping first saved 1.9 % more, and
  # cost Firefox 24 and 30 % of throughput on two workloads of four: not taken, docs/speed.md.)
  wasm-opt -Oz --converge --low-memory-unused \
    --strip-debug --strip-producers --strip-target-features "${WASM_FEATURES[@]}" \
    "$out/eventsource_wasm_bg.wasm" -o "$out/optimized.wasm"
  # The imports and exports renamed to a letter or two, in the wasm and the glue alike
  # (scripts/minify-names.mjs says why, and checks the two against each other).
  wasm-opt --minify-imports-and-exports-and-modules "${WASM_FEATURES[@]}" \
    "$out/optimized.wasm" -o "$dist" > "$out/names.json"
  node scripts/minify-names.mjs "$out/eventsource_wasm.js" "$out/names.json" "$dist"
  # The glue imports its own copy of js/request.js (snippets/), which the class imports
  # too: the copy is made a re-export, so that the bundles hold one.
  cp js/*.js "$out/"
  for copy in "$out"/snippets/*/js/request.js; do
    [[ -e $copy ]] && echo "export * from '$(realpath --relative-to="$(dirname "$copy")" "$out/request.js")';" > "$copy"
  done
  return 0
}
rm -rf dist
mkdir -p dist
wasm bindgen-connection eventsource_wasm_bg.wasm js-connection
wasm bindgen-stream-parser stream_parser_bg.wasm js-stream-parser
wasm bindgen eventsource_wasm_full_bg.wasm js-connection,js-stream-parser

# The ES modules, bundled by esbuild from those directories.
#
# Browsers: each entry (the main one, the polyfill, the stream-parser subpath) is one
# file, the glue, its loader and the class in it: a page that imports 'eventsource-wasm'
# fetches index.js, then the wasm (and the stream) in parallel, with no chunk in
# between, and needs no modulepreload hint. A page that imports the main entry and the
# polyfill instantiates the wasm twice. Node.js and workerd, where a file costs no round
# trip: code splitting, the entries sharing one chunk with the glue and the loader
# (js/wasm-node.js, js/wasm-workerd.js), so that each has one wasm instance. Every file
# lands in dist/ (so the wasm URL stays relative to it). shared.js is its own file,
# imported only when a source asks for `shared`.
for runtime in node workerd; do
  printf "import { loadStreamParser } from './wasm-%s.js';\nimport { defineEventStreamParser } from './stream-parser.js';\n%s\n" \
    "$runtime" 'export const EventStreamParser = defineEventStreamParser(loadStreamParser);' > "target/bindgen/stream-parser-$runtime.js"
done
# The polyfills import the loader, not the entry (in Node.js and workerd, an entry imported
# by another costs an empty chunk).
sed "s|from 'eventsource-wasm'|from './wasm.js'|" js/polyfill.js > target/bindgen-connection/polyfill.js
for runtime in node workerd; do
  sed "s|from 'eventsource-wasm'|from './wasm-$runtime.js'|" js/polyfill.js > "target/bindgen/polyfill-$runtime.js"
done
# (wasm-bindgen repeats the key of a snippet module in the imports object: harmless.)
esm=(esbuild --log-level=warning --log-override:duplicate-object-key=silent --bundle --minify --format=esm --target=es2022 --outdir=dist)
b=target/bindgen
"${esm[@]}" --external:./shared.js index=$b-connection/index.js polyfill=$b-connection/polyfill.js
"${esm[@]}" stream-parser=$b-stream-parser/stream-parser-entry.js
"${esm[@]}" --splitting --platform=node --chunk-names='chunk-node-[hash]' \
  node=$b/node.js polyfill-node=$b/polyfill-node.js stream-parser-node=$b/stream-parser-node.js
"${esm[@]}" --splitting --external:./eventsource_wasm_full_bg.wasm --chunk-names='chunk-workerd-[hash]' \
  workerd=$b/workerd.js polyfill-workerd=$b/polyfill-workerd.js stream-parser-workerd=$b/stream-parser-workerd.js
esbuild --log-level=warning --bundle --minify --format=esm --target=es2022 $b/shared.js --outfile=dist/shared.js
cp js/index.d.ts js/stream-parser.d.ts dist/

# The classic script: one file, the wasm (both sets of exports) inlined, compiled
# asynchronously (js/classic.js).
cp dist/eventsource_wasm_full_bg.wasm target/bindgen/
esbuild --log-level=error --bundle --minify --format=iife --target=es2022 --loader:.wasm=binary \
  target/bindgen/classic.js --outfile=dist/eventsource-wasm.js

# The sizes, each file compressed alone as a server sends it: gzip -9n (no file name in
# the header) and brotli (quality 11). What a page that imports only 'eventsource-wasm'
# downloads (dist/index.js and the wasm), the stream-parser subpath alone, shared.js
# (fetched by the first `shared` source), the classic script.
node -e 'const fs = require("fs"), zlib = require("zlib"), { execFileSync } = require("child_process");
  const gzip = (f) => execFileSync("gzip", ["-9nc", f]).length;
  const size = (files) => files.reduce((n, f) => [n[0] + gzip("dist/" + f), n[1] + zlib.brotliCompressSync(fs.readFileSync("dist/" + f)).length], [0, 0]);
  const say = (files) => { const [gz, br] = size(files); return `${gz} B gzipped (brotli ${br} B)`; };
  console.error(`build: dist/ ready; ES entry ${say(["index.js", "eventsource_wasm_bg.wasm"])}: wasm ${say(["eventsource_wasm_bg.wasm"])}` +
    ` + index.js ${say(["index.js"])}; stream-parser subpath ${say(["stream-parser.js", "stream_parser_bg.wasm"])};` +
    ` shared.js ${say(["shared.js"])}; classic script ${say(["eventsource-wasm.js"])}`);'
