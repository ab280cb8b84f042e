#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, and nothing twice:
# every step first checks whether its tool is already there (a second run
# takes about a second). Run by `npm test` and `npm start`; safe to run by hand.
#
#   - Rust: the wasm32-unknown-unknown target, the nightly toolchain with
#     rust-src and wasm32 (cargo-fuzz, scripts/build.sh), wasm-bindgen-cli pinned to the wasm-bindgen in Cargo.lock,
#     wasm-pack, cargo-fuzz, geckodriver;
#   - Debian packages: chromium, chromium-driver, firefox-esr (browser tests);
#   - npm dependencies (npm ci), when package-lock.json is newer than them.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
export PATH="$HOME/.cargo/bin:$PATH"

have cargo && have rustup || { say "cargo and rustup are required (https://rustup.rs)"; exit 1; }
have node && have npm || { say "Node.js >= 20 and npm are required"; exit 1; }
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
  { say "Node.js >= 20 is required, found $(node --version)"; exit 1; }

# --- Rust targets and toolchains -------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done
if ! rustup toolchain list | grep -q '^nightly'; then
  say "installing the nightly toolchain (for cargo-fuzz and the size-optimized wasm build)"
  rustup toolchain install nightly --profile minimal
fi
# The release wasm rebuilds the standard library (scripts/build.sh).
rustup component list --toolchain nightly --installed | grep -q '^rust-src' ||
  rustup component add rust-src --toolchain nightly
rustup target list --toolchain nightly --installed | grep -qx wasm32-unknown-unknown ||
  rustup target add wasm32-unknown-unknown --toolchain nightly

# --- Cargo-installed tools --------------------------------------------------
# cargo_install BINARY CHECK-COMMAND EXPECTED-OUTPUT CRATE [ARGS...]
cargo_install() {
  local bin=$1 expect=$2 crate=$3
  shift 3
  if have "$bin" && [[ "$("$bin" --version 2>/dev/null)" == *"$expect"* ]]; then
    return
  fi
  say "installing $crate $*"
  cargo install --quiet "$crate" "$@"
}

# The CLI must match the wasm-bindgen crate exactly; the registry lags one of
# its pinned dependencies, so it installs without --locked.
locked_version() { awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock 2>/dev/null; }
[[ -f Cargo.lock ]] || cargo generate-lockfile --quiet
bindgen_version=$(locked_version wasm-bindgen)
[[ -n "$bindgen_version" ]] || { say "no wasm-bindgen in Cargo.lock"; exit 1; }
cargo_install wasm-bindgen "wasm-bindgen $bindgen_version" wasm-bindgen-cli --version "$bindgen_version"
cargo_install wasm-pack "wasm-pack" wasm-pack --locked
cargo_install cargo-fuzz "cargo-fuzz" cargo-fuzz
cargo_install geckodriver "geckodriver" geckodriver

# --- Browsers, their drivers and openssl (Debian packages) -------------
missing=()
have chromium || missing+=(chromium)
have chromedriver || missing+=(chromium-driver)
have firefox-esr || missing+=(firefox-esr)
have openssl || missing+=(openssl) # tests/reliability/many.mjs makes its HTTP/2 server's certificate
if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  say "installing ${missing[*]} with apt-get"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- npm dependencies --------------------------------------------------------
if [[ -f package-lock.json ]] &&
  { [[ ! -f node_modules/.package-lock.json ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; }; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "ready"
