// What every reliability runner does around its checks: one line per check (with indented
// details), cleanups (browsers, servers) run in reverse order at the end or when the whole
// run's time limit fires, and a last line exactly `N passed, N failed`; exit code 1 on any
// failure, 130 on Ctrl-C.
//
//   const { check, cleanups, finish } = bookkeeping(120000);
//   cleanups.push(() => server.close());
//   check(ok, 'what was checked', ['a detail']);
//   await finish('a figure to print before the summary');

import { runCleanups, scaled } from '../runner.mjs';

/** `quietMs`: the whole run's limit on a quiet machine, scaled to this one (TEST_TIME_SCALE). */
export function bookkeeping(quietMs) {
  const timeoutMs = scaled(quietMs);
  let passed = 0;
  let failed = 0;
  const cleanups = [];
  const check = (ok, text, details = []) => {
    if (ok) passed++; else failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${text}`);
    for (const d of details) console.log(`       ${d}`);
    return ok;
  };
  const cleanup = () => runCleanups(cleanups);
  const summary = () => `${passed} passed, ${failed} failed`;
  const guard = setTimeout(async () => {
    console.log(`FAIL the whole run exceeded ${timeoutMs} ms: stopping`);
    failed++;
    await cleanup();
    console.log(summary());
    process.exit(1);
  }, timeoutMs);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, async () => { await cleanup(); process.exit(130); });
  /** Runs the cleanups, prints `lines`, then the summary, and exits. */
  const finish = async (...lines) => {
    await cleanup();
    clearTimeout(guard);
    for (const line of lines) console.log(line);
    console.log(summary());
    process.exit(failed ? 1 : 0);
  };
  return { check, cleanups, finish };
}
