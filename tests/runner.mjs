// What the test runners share around their checks (tests/e2e/run.mjs, tests/reliability/):
// a bounded wait, time limits scaled to the machine, and cleanups that cannot hang a run.

/** How many times slower than a quiet developer machine this one may be: TEST_TIME_SCALE
 *  (default 1; .ci/run sets it, since CI may run on a fresh, loaded 2-core machine). Every
 *  time limit of a test is a guard against a hang, never a measure of speed: scale it. */
export const TIME_SCALE = Math.max(1, Number(process.env.TEST_TIME_SCALE) || 1);

/** `ms` scaled by TIME_SCALE: use it for every time limit (whole runs, waits, protocol calls). */
export const scaled = (ms) => Math.round(ms * TIME_SCALE);

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
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs and empties `cleanups` (browsers, servers) in reverse order, each given at most 5 s;
 *  a cleanup that throws is skipped. */
export async function runCleanups(cleanups) {
  for (const f of cleanups.splice(0).reverse()) {
    try { await Promise.race([f(), new Promise((r) => setTimeout(r, 5000))]); } catch { /* best effort */ }
  }
}
