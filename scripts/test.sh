#!/usr/bin/env bash
# Every test suite of the project, in order of speed. `npm test` runs
# scripts/setup.sh first; run this directly when the machine is already set up.
#
# A suite that fails does not stop the run: every suite runs, and the end of the run
# lists each one's time and result, so that one run shows everything that is broken.
# The exit code is non-zero if any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# Each step's duration and result, printed when the run ends. A step is the commands
# between one `step` and the next; it failed if any of them exited non-zero (the ERR
# trap counts them: `set -e` would stop the run at the first).
started=$SECONDS
step_started=$SECONDS
step_name=
step_failed=0
failed=()
timings=()
trap 'step_failed=1' ERR
end_step() {
  if [[ -n $step_name ]]; then
    local result=ok
    if ((step_failed)); then
      result=FAILED
      failed+=("$step_name")
    fi
    timings+=("$(printf '%6d s  %-6s  %s' $((SECONDS - step_started)) "$result" "${step_name:0:100}")")
  fi
  step_name=
  step_failed=0
}
step() {
  end_step
  step_name=$*
  step_started=$SECONDS
  printf '\n=== %s\n' "$*" >&2
}
report() {
  end_step
  local status=0
  ((${#failed[@]})) && status=1
  printf '\n=== test.sh: %d s in all, %d step(s) failed of %d\n' $((SECONDS - started)) ${#failed[@]} ${#timings[@]} >&2
  printf '%s\n' "${timings[@]}" >&2
  exit $status
}
trap report EXIT

# `uses_dist COMMAND...`: runs a step's command that uses dist/, unless the build of dist/
# failed: it would only fail again for that reason (reported as failed, not run).
build_failed=0
uses_dist() {
  if ((build_failed)); then
    printf 'not run: the build of dist/ failed (above)\n' >&2
    return 1
  fi
  "$@"
}

step "native: unit, spec, property, sse-dump and fuzz-corpus tests, doctests"
cargo test --quiet

step "native: benchmarks, run once each as tests (numbers come from npm run bench:parser)"
cargo test --quiet --benches

step "browsers: the parser, the driver and the Rust API compiled to wasm32, their tests in headless Chromium and Firefox (wasm-pack test), and WebKit under Xvfb"
# Chromium and Firefox as the crate's users run them: `wasm-pack test --headless --chrome`
# and `--firefox`. wasm-pack finds the pinned wasm-bindgen CLI that setup installed (it
# cannot download its own here) and the drivers named by CHROMEDRIVER and GECKODRIVER;
# wasm-bindgen-test-runner drives the browser headless, with the capabilities of
# ./webdriver.json.
features=stream,js-connection,js-stream-parser
env -u GECKODRIVER -u SAFARIDRIVER CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}" \
  wasm-pack test --headless --chrome --features "$features"
env -u CHROMEDRIVER -u SAFARIDRIVER GECKODRIVER="${GECKODRIVER:-$(command -v geckodriver)}" \
  wasm-pack test --headless --firefox --features "$features"
# cargo runs each wasm32 test binary with wasm-bindgen-test-runner, which takes the driver
# named by CHROMEDRIVER, GECKODRIVER or SAFARIDRIVER (one per run: whichever is set). (No
# --quiet: cargo would pass it on to the runner.) `wasm_test PREFIX...` runs the tests under
# the command PREFIX.
wasm_test() { "$@" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test --target wasm32-unknown-unknown --features "$features"; }
# WebKit: WebKitWebDriver stands in for safaridriver and starts MiniBrowser, which has no
# headless mode (a virtual display). The runner sends it no capabilities for Safari (it
# ignores webdriver.json there): MiniBrowser's defaults; only loopback is reachable here.
wasm_test xvfb-run -a env -u GECKODRIVER -u CHROMEDRIVER SAFARIDRIVER="${SAFARIDRIVER:-$(command -v WebKitWebDriver)}"

step "npm package: npm run build (cargo, wasm-bindgen, wasm-opt, esbuild) into dist/"
bash scripts/build.sh || { build_failed=1 step_failed=1; }

step "browsers: the class against a fixture SSE server, the native EventSource as oracle (Chromium, Firefox, WebKit)"
uses_dist node tests/e2e/run.mjs

step "browsers: the first request leaves while the wasm loads, and the connection takes it over (Chromium, Firefox, WebKit)"
uses_dist node tests/early/run.mjs

step "browsers: EventSource.fromReadableStream() and reset(), the proposal's rules (Chromium, Firefox, WebKit)"
uses_dist node tests/from-stream/run.mjs

step "browsers: the diagnostics against servers that show each failure (seven sources on HTTP/1.1, across tabs too; a stream held back; a Content-Length), and none said for healthy streams (Chromium, Firefox, WebKit)"
uses_dist node tests/diagnostics/run.mjs

step "browsers: the benchmark harness, a smoke run (every implementation delivers every event intact; no timing checked)"
uses_dist node benches/browser/run.mjs --quick
uses_dist node benches/browser/navigation.mjs --reps=1 --latency=20

step "reliability: 10,000 events through broken connections, resumed from Last-Event-ID exactly once and in order (Node, Chromium, Firefox, WebKit; native as reference)"
uses_dist node tests/resume/run.mjs

step "browsers: hostile input and security (a 200 MiB line, 1,000 random streams against the native class, CSP, credentials and headers across redirects), Chromium and Firefox"
uses_dist node tests/hostile/run.mjs

step "browsers: no leak under churn (5,000 create/close cycles, 5,000 reconnections), Chromium and Firefox"
uses_dist node tests/soak/run.mjs

step "browsers: many sources at once, the six connections per host of HTTP/1.1 and its remedies (HTTP/2, a SharedWorker)"
uses_dist node tests/many/run.mjs

step "browsers: one connection shared by eight pages (shared: true), hand-overs, exactly once (Chromium, Firefox)"
uses_dist node tests/shared/run.mjs

step "browsers: the demo (www/server.mjs) driven through its page in headless Chromium"
# The screenshot goes to a temporary file: docs/demo.png changes only on purpose
# (node tests/demo/run.mjs writes it there by default).
uses_dist env DEMO_DESKTOP_PNG="$(mktemp -d)/demo.png" node tests/demo/run.mjs

step "Node.js: the package imported by name against a real SSE server; its TypeScript types"
uses_dist node --test tests/node/*.test.mjs tests/types/*.test.mjs

step "npm package: tarball contents and sizes; installed from the tarball and used from Node.js"
uses_dist node tests/package/check.mjs

step "runtimes: the package from its tarball in Node.js 20, 22 and 24, Bun, Deno and workerd, against a local SSE server"
uses_dist node tests/runtimes/run.mjs

step "browsers: Vite and webpack apps from the tarball, classic script, ES module, workers (Chromium, Firefox)"
uses_dist node tests/vite-app/run.mjs

step "fuzz: a short, seeded run of each cargo-fuzz target (see README to run them long)"
# New inputs go to a scratch directory: the committed corpus (read as seeds) stays as it is.
for target in $(cargo +nightly fuzz list --fuzz-dir fuzz); do
  scratch=$(mktemp -d)
  cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$scratch" "fuzz/corpus/$target" -- \
    -seed=1 -runs=200000 -max_len=4096 -dict=fuzz/sse.dict 2>&1 | tail -n 3
  rm -rf "$scratch"
done
