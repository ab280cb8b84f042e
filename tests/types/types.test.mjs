// `node --test tests/types/`: type-checks the package's declarations
// (dist/index.d.ts, reached as 'eventsource-wasm' through `exports`) with tsc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scaled } from '../runner.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = `${ROOT}node_modules/.bin/tsc`;

function tsc(project) {
  const run = spawnSync(TSC, ['-p', project, '--pretty', 'false'], { cwd: ROOT, encoding: 'utf8', timeout: scaled(60_000) });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

test('lib dom: EventSource satisfies typeof globalThis.EventSource; usage; wrong usage is an error', { timeout: scaled(60_000) }, () => {
  const { status, output } = tsc('tests/types/tsconfig.json');
  assert.equal(output, '');
  assert.equal(status, 0);
});

test('Node.js without lib dom (@types/node 20): the declarations compile', {
  timeout: scaled(60_000),
}, () => {
  const { status, output } = tsc('tests/types/tsconfig.node.json');
  assert.equal(output, '');
  assert.equal(status, 0);
});
