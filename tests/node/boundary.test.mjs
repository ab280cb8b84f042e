// The boundary between the wasm connection and the JS class: every reason an `error`
// event may carry (index.d.ts's EventSourceErrorReason, which tests/js_boundary.rs checks
// against the Rust ErrorReason) has its own message, and an unknown one is reported as a
// bug, not taken for another failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_MESSAGES, errorMessage } from '../../js/eventsource.js';

const types = readFileSync(new URL('../../js/index.d.ts', import.meta.url), 'utf8');
const union = types.slice(types.indexOf('export type EventSourceErrorReason ='));
const reasons = [...union.slice(0, union.indexOf(';')).matchAll(/'([a-z-]+)'/g)].map((m) => m[1]);
const options = { inactivityTimeout: 5000, maxBufferSize: undefined, maxAttempts: 3 };

test('index.d.ts names the reasons, and each has a message of its own', () => {
  assert.ok(reasons.length >= 9, `reasons: ${reasons}`);
  assert.deepEqual(Object.keys(ERROR_MESSAGES).sort(), [...reasons].sort());
  const messages = new Set();
  for (const reason of reasons) {
    for (const readyState of [0, 2]) {
      const info = { readyState, reason, status: 503, delay: null, contentType: 'text/html', cause: new TypeError('boom') };
      const message = errorMessage(info, options);
      assert.equal(typeof message, 'string');
      assert.doesNotMatch(message, /Unknown error reason/, reason);
      messages.add(message);
    }
  }
  assert.ok(messages.size >= reasons.length, [...messages].join('\n'));
});

test('an unknown reason is a bug, said as such', () => {
  const message = errorMessage(
    { readyState: 2, reason: 'no-such-reason', status: 0, delay: null, contentType: '', cause: undefined },
    options,
  );
  assert.match(message, /Unknown error reason "no-such-reason" \(a bug in eventsource-wasm\)/);
  // Not an own property: no message for inherited names either.
  assert.match(errorMessage({ readyState: 2, reason: 'toString' }, options), /Unknown error reason/);
});
