#!/usr/bin/env bash
# The crate as a Rust app gets it (run by .ci/run, after npm test):
#
#   1. `cargo package --list`: exactly the files of Cargo.toml's `include`;
#   2. `cargo publish --dry-run`: the packaged crate builds on its own, for wasm32 too;
#   3. `cargo doc` for wasm32 with `stream` (what docs.rs builds): no warning;
#   4. the MSRV (`rust-version`) builds the library, native and wasm32;
#   5. the wasm32 tests build with the oldest wasm-bindgen, js-sys, web-sys,
#      wasm-bindgen-futures and wasm-bindgen-test that Cargo.toml claims (its caret
#      requirements, pinned exactly), and with the newest (a `cargo update`), each in a
#      copy of the tree: this one's Cargo.lock is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf 'check-crate: %s\n' "$*" >&2; }
fail() {
  say "$*"
  exit 1
}

say "cargo package --list"
expected=$(
  printf '%s\n' .cargo_vcs_info.json CHANGELOG.md Cargo.lock Cargo.toml Cargo.toml.orig LICENSE-APACHE LICENSE-MIT \
    docs/crate.md js/request.js
  git ls-files 'src/*.rs'
)
listed=$(cargo package --list --allow-dirty --quiet 2>/dev/null | sort)
# (.cargo_vcs_info.json is written only from a clean working tree.)
diff <(grep -v '^.cargo_vcs_info.json$' <<<"$listed") <(sort <<<"$expected" | grep -v '^.cargo_vcs_info.json$') ||
  fail "cargo package --list differs from the expected files (< listed, > expected)"

say "cargo publish --dry-run; the packaged crate for wasm32 too (its JS module included)"
cargo publish --dry-run --allow-dirty --quiet
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
cargo build --quiet --lib --target wasm32-unknown-unknown --features stream,js-connection,js-stream-parser \
  --manifest-path "target/package/eventsource-wasm-$version/Cargo.toml"

say "cargo doc, wasm32, features stream (docs.rs)"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps --lib --target wasm32-unknown-unknown --features stream

msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
say "the MSRV, Rust $msrv: the library, native and wasm32"
rustup toolchain list | grep -q "^$msrv-" ||
  rustup toolchain install "$msrv" --profile minimal --target wasm32-unknown-unknown >/dev/null
rustup target list --toolchain "$msrv" --installed | grep -q wasm32-unknown-unknown ||
  rustup target add --toolchain "$msrv" wasm32-unknown-unknown >/dev/null
cargo "+$msrv" build --quiet --lib
cargo "+$msrv" build --quiet --lib --target wasm32-unknown-unknown --features stream

# A copy of what git tracks, with its own target directory.
copy() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir"
  git ls-files -z | xargs -0 cp --parents -t "$dir"
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wasm32_tests() {
  CARGO_TARGET_DIR="$work/target" cargo build --quiet --target wasm32-unknown-unknown --lib --tests \
    --features stream,js-connection,js-stream-parser --manifest-path "$1/Cargo.toml"
}

say "the oldest wasm-bindgen family Cargo.toml claims"
copy "$work/oldest"
# `name = "x.y.z"` or `name = { version = "x.y.z"` becomes `=x.y.z`: exactly the floor.
sed -i -E 's/^((wasm-bindgen|js-sys|wasm-bindgen-futures|wasm-bindgen-test) = )"([0-9.]+)"/\1"=\3"/;
  s/^(web-sys = \{ version = )"([0-9.]+)"/\1"=\2"/' "$work/oldest/Cargo.toml"
grep -E '^(wasm-bindgen|js-sys|web-sys|wasm-bindgen-futures|wasm-bindgen-test) = ' "$work/oldest/Cargo.toml" |
  grep -c '"=' | grep -qx 5 || fail "could not pin the five floors exactly"
cargo update --quiet --manifest-path "$work/oldest/Cargo.toml"
cargo tree --quiet --target wasm32-unknown-unknown --manifest-path "$work/oldest/Cargo.toml" -i wasm-bindgen --depth 0 >&2
wasm32_tests "$work/oldest"

say "the newest"
copy "$work/newest"
cargo update --quiet --manifest-path "$work/newest/Cargo.toml"
cargo tree --quiet --target wasm32-unknown-unknown --manifest-path "$work/newest/Cargo.toml" -i wasm-bindgen --depth 0 >&2
wasm32_tests "$work/newest"
say "ok"
