#!/usr/bin/env bash
# `npm run build`: the npm package in dist/.
#
#   cargo (wasm32, release) -> wasm-bindgen (pinned, --target web) -> wasm-opt -Oz
#   (npm package binaryen) -> the hand-written JS of js/ beside the glue,
#   minified by esbuild -> the classic script with the wasm inlined.
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
  --target wasm32-unknown-unknown --lib -Zbuild-std=std,panic_abort --target-dir target/nightly
rm -rf dist target/bindgen
wasm-bindgen --target web --no-typescript --out-name eventsource_wasm --out-dir target/bindgen \
  target/nightly/wasm32-unknown-unknown/release/eventsource_wasm.wasm
mkdir -p dist
wasm-opt -Oz --converge --strip-debug --strip-producers --strip-target-features "${WASM_FEATURES[@]}" \
  target/bindgen/eventsource_wasm_bg.wasm -o dist/eventsource_wasm_bg.wasm

# ES modules, one file each (so the wasm URL stays relative to them).
cp target/bindgen/eventsource_wasm.js js/eventsource.js js/shared.js js/stream-parser.js js/index.js js/node.js js/workerd.js dist/
sed "s|from 'eventsource-wasm'|from './index.js'|" js/polyfill.js > dist/polyfill.js
sed "s|from 'eventsource-wasm'|from './node.js'|" js/polyfill.js > dist/polyfill-node.js
sed "s|from 'eventsource-wasm'|from './workerd.js'|" js/polyfill.js > dist/polyfill-workerd.js
esbuild --log-level=warning --minify --format=esm --target=es2022 --allow-overwrite --outdir=dist \
  dist/eventsource_wasm.js dist/eventsource.js dist/shared.js dist/stream-parser.js dist/index.js dist/node.js dist/polyfill.js \
  dist/polyfill-node.js dist/workerd.js dist/polyfill-workerd.js
cp js/index.d.ts js/stream-parser.d.ts dist/

# The classic script: one file, the wasm inlined, instantiated synchronously.
cp js/classic.js target/bindgen/classic.js
cp js/eventsource.js js/shared.js js/stream-parser.js target/bindgen/
cp dist/eventsource_wasm_bg.wasm target/bindgen/eventsource_wasm_bg.wasm
esbuild --log-level=error --bundle --minify --format=iife --target=es2022 --loader:.wasm=binary \
  target/bindgen/classic.js --outfile=dist/eventsource-wasm.js

wasm=$(gzip -9c dist/eventsource_wasm_bg.wasm | wc -c)
js=$(cat dist/index.js dist/eventsource.js dist/stream-parser.js dist/eventsource_wasm.js | gzip -9c | wc -c)
shared=$(gzip -9c dist/shared.js | wc -c)
printf 'build: dist/ ready; ES entry %s B gzipped (wasm %s B + JS %s B), + %s B for shared\n' $((wasm + js)) "$wasm" "$js" "$shared" >&2
