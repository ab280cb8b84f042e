// What the test runners share around their checks (tests/e2e/run.mjs, tests/reliability/):
// a bounded wait, and cleanups that cannot hang a run.

/** `p`, or a rejection `${what}: no answer within ${ms} ms` once `ms` have passed. */
export function withTimeout(p, ms, what) {
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
