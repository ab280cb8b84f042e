// What the test runners share around their checks (tests/*/run.mjs, benches/browser/run.mjs):
// a bounded wait, time limits scaled to the machine, cleanups that cannot hang a run, temporary
// directories, and the bookkeeping of a run (its check lines and its last line, `N passed, N failed`).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** How many times slower than a quiet developer machine this one may be: TEST_TIME_SCALE
 *  (default 1; .ci/run sets it, since CI may run on a fresh, loaded 2-core machine). Every
 *  time limit of a test is a guard against a hang, never a measure of speed: scale it. */
export const TIME_SCALE = Math.max(1, Number(process.env.TEST_TIME_SCALE) || 1);

/** `ms` scaled by TIME_SCALE: use it for every time limit (whole runs, waits, protocol calls). */
export const scaled = (ms) => Math.round(ms * TIME_SCALE);

/** What our diagnostics said in the console of a browser launched by browsers.mjs (a stream
 *  held back, the connection limit: src/machine.rs, Warning), as `browser: text`. No suite
 *  has such a server, save the one that tests them (it says so at launch): each is a false
 *  alarm, and fails the run (bookkeeping's finish). */
export const falseAlarms = [];

/** The longest delay setTimeout() takes (a longer one would fire at once). */
const MAX_DELAY = 2 ** 31 - 1;

/** `p`, or a rejection `${what}: no answer within ${ms} ms` once `ms` have passed; `ms` is the
 *  limit on a quiet machine, scaled here (scaled() above), so callers never scale it twice.
 *  `Infinity`: no limit (`p` itself). */
export function withTimeout(p, quietMs, what) {
  if (quietMs === Infinity) return Promise.resolve(p);
  const ms = Math.min(scaled(quietMs), MAX_DELAY);
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs and empties `cleanups` (browsers, servers) in reverse order, each given at most 5 s;
 *  a cleanup that throws is skipped. */
export async function runCleanups(cleanups) {
  for (const f of cleanups.splice(0).reverse()) {
    try {
      await Promise.race([f(), new Promise((r) => setTimeout(r, 5000))]);
    } catch {
      /* best effort */
    }
  }
}

/** SIGKILL to the process group `proc` leads (a detached child: a browser and its
 *  helpers), else to `proc` alone; nothing if it is gone. */
export function killGroup(proc) {
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    try {
      proc.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** A new directory under the system's temporary one, named `${prefix}` and a random suffix;
 *  removing it is the caller's (`fs.rmSync(dir, { recursive: true, force: true })`). */
export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * What every runner does around its checks: one line per check (`ok  ` or `FAIL`, then its
 * details, indented), cleanups (browsers, servers) run once, in reverse order, at the end or
 * when the whole run's time limit fires, and a last line exactly `N passed, N failed` (how CI
 * counts tests); exit code 1 on any failure, 130 on Ctrl-C.
 *
 *   const { check, attempt, cleanups, finish } = bookkeeping(120000);
 *   cleanups.push(() => server.close());
 *   check(ok, 'what was checked', ['a detail']);
 *   await attempt('what was checked', async () => { ... });  // a check that passes unless fn() throws
 *   await finish('a figure to print before the summary');
 *
 * `quietMs`: the whole run's limit on a quiet machine, scaled to this one (TEST_TIME_SCALE);
 * Infinity: none. Once that limit has fired, nothing more is counted or printed (log(), check()):
 * the summary stays last. `stackLines`: how many lines of a failed attempt()'s stack it prints.
 */
export function bookkeeping(quietMs, { stackLines = 8 } = {}) {
  let passed = 0;
  let failed = 0;
  /** The name of each failed check, in order: failureLines() lists them. */
  const failures = [];
  const cleanups = [];
  let stopping = false;
  let cleaning = null;
  const log = (...a) => {
    if (!stopping) console.log(...a);
  };
  /**
   * Counts and prints one check: `ok` (true or false), its line, `details` (strings, or arrays
   * of them; empty ones and undefined are left out) below it. A failure goes to `failures` as
   * `failure` (default: `text`); `count`: how many checks it stands for (a browser that did not
   * start fails all of its tests at once). Returns `ok`.
   */
  const check = (ok, text, details = [], { failure = text, count = 1 } = {}) => {
    if (stopping) return ok;
    if (ok) passed += count;
    else {
      failed += count;
      failures.push(failure);
    }
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${text}`);
    for (const d of [details].flat(2)) if (d !== undefined && d !== '') console.log(`       ${d}`);
    return ok;
  };
  /** A check that passes unless `fn()` throws (its stack, at most `stackLines` lines, is the
   *  detail); what fn() returns, if anything, is a note printed after `name`. Returns whether it passed. */
  const attempt = async (name, fn) => {
    try {
      const note = await fn();
      return check(true, `${name}${note ? `  (${note})` : ''}`);
    } catch (e) {
      return check(
        false,
        name,
        String(e?.stack ?? e)
          .split('\n')
          .slice(0, stackLines),
      );
    }
  };
  const cleanup = () => (cleaning ??= runCleanups(cleanups));
  const summary = () => `${passed} passed, ${failed} failed`;
  const guard =
    quietMs === Infinity
      ? null
      : setTimeout(
          async () => {
            const ms = scaled(quietMs);
            check(false, `the whole run exceeded ${ms} ms: stopping`);
            stopping = true;
            await cleanup();
            console.log(summary());
            process.exit(1);
          },
          Math.min(scaled(quietMs), MAX_DELAY),
        );
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      log(`\n${sig}: stopping.`);
      stopping = true;
      await cleanup();
      process.exit(130);
    });
  }
  /** `\nFailures — N:` and a line for each (at most `max`), or nothing when all passed. */
  const failureLines = (max = Infinity) =>
    failures.length
      ? [
          `\nFailures — ${failures.length}:`,
          ...failures.slice(0, max).map((f) => `  - ${f}`),
          ...(failures.length > max ? [`  … and ${failures.length - max} more`] : []),
        ]
      : [];
  /** Runs the cleanups, prints `lines`, then the summary, and exits (1 on any failure). */
  const finish = async (...lines) => {
    await cleanup();
    if (falseAlarms.length) check(false, 'the diagnostics raised no false alarm', falseAlarms.splice(0));
    if (guard) clearTimeout(guard);
    for (const line of lines.flat()) log(line);
    log(summary());
    process.exit(failed ? 1 : 0);
  };
  return {
    check,
    attempt,
    log,
    cleanups,
    cleanup,
    failureLines,
    finish,
    get passed() {
      return passed;
    },
    get failed() {
      return failed;
    },
  };
}
