// js/request.js alone: the first requests made while the wasm loads (`early`) are capped, so
// that the wasm's own request finds a connection of the six a browser gives a host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EARLY_MAX, abandon, early } from '../../js/request.js';

test(`at most ${EARLY_MAX} first requests leave before the wasm has loaded; the rest are left to their connection`, async () => {
  const urls = [];
  const fetch = (url) => {
    urls.push(url);
    return new Promise(() => {}); // in flight, as a stream is
  };
  const made = Array.from({ length: EARLY_MAX + 2 }, (_, i) => early({ fetch }, `http://a.test/s${i}`));
  await new Promise((resolve) => setTimeout(resolve));
  assert.equal(EARLY_MAX, 5, 'one of the six connections per host stays for the wasm');
  assert.deepEqual(
    made.map((m) => m !== undefined),
    [true, true, true, true, true, false, false],
  );
  assert.deepEqual(
    urls,
    ['s0', 's1', 's2', 's3', 's4'].map((s) => `http://a.test/${s}`),
  );
  for (const m of made) if (m) abandon(m);
});
