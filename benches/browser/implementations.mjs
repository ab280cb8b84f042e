// The implementations the browser benchmark compares, and the bundling of the npm peers
// for the page. Each module URL exports the class as `EventSource`; `native` has none.
//
// The peers are dev dependencies used only here. esbuild (already a dev dependency) bundles
// each one for the browser into a temporary directory at run time: `eventsource` and
// `extended-eventsource` are ES modules with bare imports, `event-source-polyfill` is a
// CommonJS/UMD script. Minified, as an app would ship them (dist/ is minified too).
// Nothing is downloaded.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from '../../tests/static.mjs';

export const IMPLEMENTATIONS = [
  { name: 'native' },
  { name: 'eventsource-wasm', url: '/dist/index.js' },
  { name: 'eventsource', url: '/peers/eventsource.js', entry: "export { EventSource } from 'eventsource';" },
  {
    name: 'event-source-polyfill',
    url: '/peers/event-source-polyfill.js',
    // Its own class, not the `EventSource` export (which is the native one where it exists).
    entry: "export { EventSourcePolyfill as EventSource } from 'event-source-polyfill';",
  },
  { name: 'extended-eventsource', url: '/peers/extended-eventsource.js', entry: "export { EventSource } from 'extended-eventsource';" },
  // BENCH_BASELINE=<a built dist/ directory>, e.g. an earlier commit's built in a git
  // worktree: that build too, as `baseline`, so that one run compares the two. It is
  // copied into target/bench-browser/baseline/ and served from there (bundlePeers).
  ...(process.env.BENCH_BASELINE
    ? [{ name: 'baseline', url: '/target/bench-browser/baseline/index.js', dir: process.env.BENCH_BASELINE }]
    : []),
];

/** `name@version` of each npm peer, as installed. */
export function versions() {
  const require = createRequire(path.join(ROOT, 'package.json'));
  const out = {};
  for (const { name, entry } of IMPLEMENTATIONS) {
    if (!entry) continue;
    // The package.json through node_modules directly: not every package exports it.
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
    out[name] = pkg.version;
  }
  out['eventsource-wasm'] = require('./package.json').version;
  return out;
}

/** Bundles every peer into `dir` as `<name>.js` (ES modules for the browser). */
export async function bundlePeers(dir) {
  const esbuild = await import('esbuild');
  for (const { dir: from } of IMPLEMENTATIONS) {
    if (!from) continue;
    const to = path.join(ROOT, 'target', 'bench-browser', 'baseline');
    fs.rmSync(to, { recursive: true, force: true });
    fs.cpSync(from, to, { recursive: true });
  }
  for (const { name, entry } of IMPLEMENTATIONS) {
    if (!entry) continue;
    await esbuild.build({
      stdin: { contents: entry, resolveDir: ROOT, sourcefile: `${name}-entry.js` },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      logLevel: 'warning',
      outfile: path.join(dir, `${name}.js`),
    });
  }
}
