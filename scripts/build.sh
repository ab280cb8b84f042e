#!/usr/bin/env bash
# `npm run build`: the npm package in dist/.
#
#   cargo (wasm32, release) -> wasm-bindgen (pinned, --target web) -> wasm-opt -Oz
#   (npm package binaryen) -> the hand-written JS of js/ bundled with the glue
#   by esbuild (ES modules, code splitting) -> the classic script with the wasm inlined.
#
# The wasm may use only the features of the engines the README lists:
# wasm-opt is given exactly those, and fails on anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

# Exactly the wasm features of the engines the README supports (Chrome 96,
# Firefox 90, Safari 15, Node.js 20), on top of the MVP; wasm-opt refuses a
# module that uses any other, so a toolchain that starts emitting one (a new
# rustc default) fails the build instead of the users.
WASM_FEATURES=(--mvp-features --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-multivalue --enable-reference-types)

# Size: the standard library rebuilt with panics that abort at once, with no
# message formatting (nightly only; -4.7 KB gzipped, measured), no panic
# locations and no Debug formatting (-0.4 KB). Its own target directory, so
# that it does not invalidate the stable builds.
RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none" \
  cargo +nightly build --quiet --release \
  --target wasm32-unknown-unknown --lib --features small-allocator -Zbuild-std=std,panic_abort --target-dir target/nightly
rm -rf dist target/bindgen
wasm-bindgen --target web --no-typescript --out-name eventsource_wasm --out-dir target/bindgen \
  target/nightly/wasm32-unknown-unknown/release/eventsource_wasm.wasm
mkdir -p dist
wasm-opt -Oz --converge --strip-debug --strip-producers --strip-target-features "${WASM_FEATURES[@]}" \
  target/bindgen/eventsource_wasm_bg.wasm -o dist/eventsource_wasm_bg.wasm

# The ES modules: bundled by esbuild from target/bindgen, where the glue is (with the
# snippets/ of any #[wasm_bindgen(inline_js)], which the glue imports). One build per
# runtime, each with code splitting: the entries (the main one, the polyfill, the
# stream-parser subpath) share one chunk with the glue and the runtime's loader
# (js/wasm*.js), so that every runtime has one wasm instance and a page that imports
# 'eventsource-wasm' fetches the entry and that chunk. The chunks land in dist/ beside
# the entries (so the wasm URL stays relative to them). shared.js is its own file,
# imported only when a source asks for `shared`.
cp js/*.js target/bindgen/
for runtime in node workerd; do
  sed "s|from './wasm.js'|from './wasm-$runtime.js'|" js/stream-parser-entry.js > "target/bindgen/stream-parser-$runtime.js"
done
# The polyfills import the loader, not the entry (an entry imported by another costs an
# empty chunk).
sed "s|from 'eventsource-wasm'|from './wasm.js'|" js/polyfill.js > target/bindgen/polyfill.js
for runtime in node workerd; do
  sed "s|from 'eventsource-wasm'|from './wasm-$runtime.js'|" js/polyfill.js > "target/bindgen/polyfill-$runtime.js"
done
# (wasm-bindgen repeats the key of a snippet module in the imports object: harmless.)
esm=(esbuild --log-level=warning --log-override:duplicate-object-key=silent --bundle --splitting --minify --format=esm --target=es2022 --outdir=dist)
b=target/bindgen
"${esm[@]}" --external:./shared.js --chunk-names='chunk-[hash]' --metafile=$b/meta-browser.json \
  index=$b/index.js polyfill=$b/polyfill.js stream-parser=$b/stream-parser-entry.js
"${esm[@]}" --platform=node --chunk-names='chunk-node-[hash]' \
  node=$b/node.js polyfill-node=$b/polyfill-node.js stream-parser-node=$b/stream-parser-node.js
"${esm[@]}" --external:./eventsource_wasm_bg.wasm --chunk-names='chunk-workerd-[hash]' \
  workerd=$b/workerd.js polyfill-workerd=$b/polyfill-workerd.js stream-parser-workerd=$b/stream-parser-workerd.js
esbuild --log-level=warning --bundle --minify --format=esm --target=es2022 $b/shared.js --outfile=dist/shared.js
cp js/index.d.ts js/stream-parser.d.ts dist/

# The classic script: one file, the wasm inlined, instantiated synchronously.
cp dist/eventsource_wasm_bg.wasm target/bindgen/eventsource_wasm_bg.wasm
esbuild --log-level=error --bundle --minify --format=iife --target=es2022 --loader:.wasm=binary \
  target/bindgen/classic.js --outfile=dist/eventsource-wasm.js

# The sizes, gzipped file by file as a server sends them (gzip -9n: no file name in the
# header): what a page that imports only 'eventsource-wasm' downloads (dist/index.js, the
# chunks it imports statically, as esbuild's metafile lists them, and the wasm), then what
# the stream-parser subpath adds to it, and shared.js.
imports() { # the files of dist/ each entry given imports statically, with the entries
  node -e 'const { outputs } = require(process.argv[1]); const seen = new Set();
    const visit = (f) => { if (seen.has(f)) return; seen.add(f);
      for (const i of outputs[f].imports) if (i.kind === "import-statement" && !i.external) visit(i.path); };
    process.argv.slice(2).forEach(visit); console.log([...seen].join("\n"));' "$PWD/$b/meta-browser.json" "$@"
}
gz() { local n=0 f; for f in "$@"; do n=$((n + $(gzip -9nc "$f" | wc -c))); done; echo $n; }
main=($(imports dist/index.js))
parser=($(comm -13 <(printf '%s\n' "${main[@]}" | sort) <(imports dist/stream-parser.js | sort)))
wasm=$(gz dist/eventsource_wasm_bg.wasm)
js=$(gz "${main[@]}")
printf 'build: dist/ ready; ES entry %s B gzipped (wasm %s B + JS %s B: %s), + %s B for the stream-parser subpath (%s), + %s B for shared\n' \
  $((wasm + js)) "$wasm" "$js" "${main[*]#dist/}" "$(gz "${parser[@]}")" "${parser[*]#dist/}" "$(gz dist/shared.js)" >&2
