#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, and nothing twice:
# every step first checks whether its tool is already there (a second run
# takes about a second). Run by `npm test` and `npm start`; safe to run by hand.
#
#   - Rust: the wasm32-unknown-unknown target, the nightly toolchain with
#     rust-src and wasm32 (cargo-fuzz, scripts/build.sh), wasm-bindgen-cli pinned to the
#     wasm-bindgen in Cargo.lock (its wasm-bindgen-test-runner runs the wasm32 tests),
#     wasm-pack (`wasm-pack test`), cargo-fuzz, geckodriver;
#   - Debian packages: chromium, chromium-driver, firefox-esr, webkit2gtk-driver and xvfb
#     (WebKit's MiniBrowser in a virtual display), openssl (browser tests);
#   - npm dependencies (npm ci), when package-lock.json is newer than them, and those of
#     tests/runtimes (Node.js 22 and 24, Bun, Deno, workerd).
#
# On a fresh machine the Debian packages and the npm dependencies download and unpack in
# the background while cargo compiles its tools (the longest part: ~10 min on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
# retry COMMAND...: up to three tries, for downloads from the registries (a passing
# network fault should not fail a fresh machine's whole run).
retry() {
  local attempt
  for attempt in 1 2 3; do
    "$@" && return 0
    ((attempt < 3)) && say "failed (try $attempt of 3): $*; again in $((attempt * 10)) s" && sleep $((attempt * 10))
  done
  return 1
}
export PATH="$HOME/.cargo/bin:$PATH"

have cargo && have rustup || { say "cargo and rustup are required (https://rustup.rs)"; exit 1; }
have node && have npm || { say "Node.js >= 20 and npm are required"; exit 1; }
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
  { say "Node.js >= 20 is required, found $(node --version)"; exit 1; }

# --- In the background: Debian packages (browsers, drivers, openssl) and npm ----
logs=$(mktemp -d)
pids=()
names=()
missing=()
have chromium || missing+=(chromium)
have chromedriver || missing+=(chromium-driver)
have firefox-esr || missing+=(firefox-esr)
have WebKitWebDriver || missing+=(webkit2gtk-driver) # WebKit: WebKitWebDriver drives MiniBrowser
have xvfb-run || missing+=(xvfb)                      # MiniBrowser has no headless mode
have openssl || missing+=(openssl) # tests/many/run.mjs makes its HTTP/2 server's certificate
if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  say "installing ${missing[*]} with apt-get (in the background)"
  {
    retry "${sudo[@]}" apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive retry "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
  } >"$logs/apt" 2>&1 &
  pids+=($!)
  names+=(apt)
fi
if [[ -f package-lock.json ]] &&
  { [[ ! -f node_modules/.package-lock.json ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; }; then
  say "installing npm dependencies (in the background)"
  retry npm ci --no-audit --no-fund --loglevel=error >"$logs/npm" 2>&1 &
  pids+=($!)
  names+=(npm)
fi
# Node.js 22 and 24, Bun, Deno and workerd for tests/runtimes/run.mjs, each the registry's
# platform package that holds the binary (~240 MB download, ~720 MB installed; x64 Linux).
if [[ ! -f tests/runtimes/node_modules/.package-lock.json ]] ||
  [[ tests/runtimes/package-lock.json -nt tests/runtimes/node_modules/.package-lock.json ]]; then
  say "installing the runtimes of tests/runtimes (in the background)"
  retry npm ci --prefix tests/runtimes --no-audit --no-fund --loglevel=error >"$logs/runtimes" 2>&1 &
  pids+=($!)
  names+=(runtimes)
fi
# Waits for the background installs; a failed one prints its log and fails the setup.
wait_background() {
  local i status=0
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      say "${names[$i]} failed:"
      tail -n 40 "$logs/${names[$i]}" >&2
      status=1
    fi
  done
  rm -rf "$logs"
  return $status
}

# --- Rust targets and toolchains -------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  retry rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || retry rustup component add "$component"
done
if ! rustup toolchain list | grep -q '^nightly'; then
  say "installing the nightly toolchain (for cargo-fuzz and the size-optimized wasm build)"
  retry rustup toolchain install nightly --profile minimal
fi
# The release wasm rebuilds the standard library (scripts/build.sh).
rustup component list --toolchain nightly --installed | grep -q '^rust-src' ||
  retry rustup component add rust-src --toolchain nightly
rustup target list --toolchain nightly --installed | grep -qx wasm32-unknown-unknown ||
  retry rustup target add wasm32-unknown-unknown --toolchain nightly

# --- Cargo-installed tools --------------------------------------------------
# cargo_install BINARY CHECK-COMMAND EXPECTED-OUTPUT CRATE [ARGS...]
cargo_install() {
  local bin=$1 expect=$2 crate=$3
  shift 3
  if have "$bin" && [[ "$("$bin" --version 2>/dev/null)" == *"$expect"* ]]; then
    return
  fi
  say "installing $crate $*"
  retry cargo install --quiet "$crate" "$@"
}

# The CLI must match the wasm-bindgen crate exactly; the registry lags one of
# its pinned dependencies, so it installs without --locked.
locked_version() { awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock 2>/dev/null; }
[[ -f Cargo.lock ]] || cargo generate-lockfile --quiet
bindgen_version=$(locked_version wasm-bindgen)
[[ -n "$bindgen_version" ]] || { say "no wasm-bindgen in Cargo.lock"; exit 1; }
cargo_install wasm-bindgen "wasm-bindgen $bindgen_version" wasm-bindgen-cli --version "$bindgen_version"
cargo_install cargo-fuzz "cargo-fuzz" cargo-fuzz
cargo_install geckodriver "geckodriver" geckodriver
# wasm-pack: the crate's browser tests as its users run them (`wasm-pack test`).
cargo_install wasm-pack "wasm-pack" wasm-pack --locked

wait_background
say "ready"
