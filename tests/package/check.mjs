// The npm package as published: `node tests/package/check.mjs` (needs a
// built dist/, `npm run build`).
//
// 1. `npm pack` in a clean checkout (no dist/), its scripts run as `npm publish` runs
//    them (`prepack` builds): the tarball holds exactly what users need: dist's JS,
//    wasm and types, package.json, README, CHANGELOG and the licenses; every path
//    package.json points at is in it; nothing else (src/, tests/, js/, ...); and
//    `npm publish --dry-run` would publish the same.
// 2. The gzipped sizes, printed.
// 3. The real tarball, installed offline into a fresh temp project, imported
//    from Node.js there (ESM, CommonJS require, the polyfill, the classic
//    entry, the types under every moduleResolution) and receiving events from a
//    local SSE server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { checkout, installInto, packWithScripts, publishDryRun } from './pack.mjs';
import { scaled, tempDir } from '../runner.mjs';
import { ROOT } from '../static.mjs';

const EXPECTED = [
  'CHANGELOG.md',
  'LICENSE-APACHE',
  'LICENSE-MIT',
  'README.md',
  'dist/eventsource-wasm.js',
  'dist/eventsource_wasm_bg.wasm',
  'dist/eventsource_wasm_full_bg.wasm',
  'dist/index.d.ts',
  'dist/index.js',
  'dist/node.js',
  'dist/polyfill-node.js',
  'dist/polyfill-workerd.js',
  'dist/polyfill.js',
  'dist/shared.js',
  'dist/stream-parser-node.js',
  'dist/stream-parser-workerd.js',
  'dist/stream-parser.d.ts',
  'dist/stream-parser.js',
  'dist/stream_parser_bg.wasm',
  'dist/workerd.js',
  'package.json',
];
// The chunks of esbuild's code splitting (scripts/build.sh), named by a hash of their
// content: one per runtime where a file costs no round trip (Node.js, workerd), shared by
// its entries. The browsers' entries are one file each.
const CHUNKS = [/^dist\/chunk-node-[A-Z0-9]{8}\.js$/, /^dist\/chunk-workerd-[A-Z0-9]{8}\.js$/];
const isChunk = (file) => CHUNKS.some((pattern) => pattern.test(file));
const builtChunks = () =>
  fs.existsSync(path.join(ROOT, 'dist'))
    ? fs
        .readdirSync(path.join(ROOT, 'dist'))
        .map((f) => `dist/${f}`)
        .filter(isChunk)
        .sort()
    : [];
/** The files of dist/ that `file` imports statically (`from"./x.js"`, `import"./x.js"`), with itself, transitively. */
function staticClosure(file, seen = new Set()) {
  seen.add(file);
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  for (const [, spec] of text.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"']+\.js)["']/g)) {
    if (!seen.has(`dist/${spec}`)) staticClosure(`dist/${spec}`, seen);
  }
  return seen;
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const temp = tempDir('eventsource-wasm-package-');
after(() => fs.rmSync(temp, { recursive: true, force: true }));

test('dist/ is built', () => {
  const missing = EXPECTED.filter((file) => file.startsWith('dist/') && !fs.existsSync(path.join(ROOT, file)));
  assert.deepEqual(missing, [], 'run `npm run build` first');
  // Exactly one chunk per runtime (a stale one from an older build would be packed too).
  assert.deepEqual(
    CHUNKS.map((pattern) => builtChunks().filter((f) => pattern.test(f)).length),
    [1, 1],
    builtChunks().join(', '),
  );
});

test('browsers: each entry is one file (no round trip behind it); Node.js, workerd: the entries share one chunk (one wasm instance)', () => {
  for (const entry of ['dist/index.js', 'dist/polyfill.js', 'dist/stream-parser.js']) assert.deepEqual([...staticClosure(entry)], [entry]);
  const chunkOf = (entry) => [...staticClosure(entry)].filter(isChunk);
  const runtimes = {
    node: ['dist/node.js', 'dist/polyfill-node.js', 'dist/stream-parser-node.js'],
    workerd: ['dist/workerd.js', 'dist/polyfill-workerd.js', 'dist/stream-parser-workerd.js'],
  };
  for (const [runtime, entries] of Object.entries(runtimes)) {
    const chunks = entries.map(chunkOf);
    assert.equal(chunks[0].length, 1, `${runtime}: ${chunks[0]}`);
    for (const [i, c] of chunks.entries()) assert.deepEqual(c, chunks[0], `${entries[i]} and ${entries[0]}`);
  }
  // The stream parser is in the subpath's file only; the glue's snippets are bundled, each once.
  assert.doesNotMatch(fs.readFileSync(path.join(ROOT, 'dist/index.js'), 'utf8'), /EventStreamParser/);
  const index = fs.readFileSync(path.join(ROOT, 'dist/index.js'), 'utf8');
  assert.equal(index.match(/Proxy-Authorization/g)?.length, 1, 'js/request.js bundled once');
  for (const file of fs.readdirSync(path.join(ROOT, 'dist')).filter((f) => f.endsWith('.js'))) {
    assert.doesNotMatch(fs.readFileSync(path.join(ROOT, 'dist', file), 'utf8'), /(from|import)\s*["'][^"']*snippets\//, file);
  }
});

const clean = path.join(temp, 'checkout');
let packed;
let tarball;
test('npm pack in a clean checkout builds (prepack) and packs exactly the files users need', { timeout: scaled(600_000) }, () => {
  checkout(clean);
  assert.ok(!fs.existsSync(path.join(clean, 'dist')), 'a clean checkout has no dist/');
  ({ manifest: packed, tarball } = packWithScripts(clean, temp));
  const files = packed.files.map((f) => f.path).sort();
  assert.deepEqual(
    files.filter((f) => !isChunk(f)),
    EXPECTED,
  );
  assert.deepEqual(
    CHUNKS.map((pattern) => files.filter((f) => pattern.test(f)).length),
    [1, 1],
  );
});

test('npm publish --dry-run would publish the same', { timeout: scaled(60_000) }, () => {
  assert.ok(packed, 'packed');
  const published = publishDryRun(clean);
  assert.equal(published.id, `eventsource-wasm@${manifest.version}`);
  assert.deepEqual(published.files.map((f) => f.path).sort(), packed.files.map((f) => f.path).sort());
});

test('the license files are in the tarball', {}, () => {
  const files = packed.files.map((f) => f.path);
  assert.deepEqual(
    EXPECTED.filter((f) => f.startsWith('LICENSE') && !files.includes(f)),
    [],
  );
});

test('no sources, tests, build output or tooling in the tarball', () => {
  const files = packed.files.map((f) => f.path);
  const forbidden = files.filter((f) =>
    /^(src|js|tests|target|fuzz|benches|examples|scripts|node_modules|pkg|\.ci|\.git)\/|^Cargo\.|\.(rs|map|log)$|^webdriver\.json$/.test(f),
  );
  assert.deepEqual(forbidden, []);
});

test('every path package.json points at is in the tarball', () => {
  const files = new Set(packed.files.map((f) => f.path));
  const targets = new Set();
  const walk = (value) => {
    if (typeof value === 'string') targets.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk([manifest.main, manifest.module, manifest.browser, manifest.types, manifest.unpkg, manifest.exports]);
  walk(manifest.sideEffects);
  const missing = [...targets].filter((t) => !files.has(t));
  assert.deepEqual(missing, []);
  assert.ok(targets.size >= 11, `only ${targets.size} targets found`);
});

test('sizes (gzip -9)', () => {
  const gz = (file) => zlib.gzipSync(fs.readFileSync(path.join(ROOT, file)), { level: 9 }).length;
  const raw = (file) => fs.statSync(path.join(ROOT, file)).size;
  const rows = [...EXPECTED.filter((f) => f.startsWith('dist/')), ...builtChunks()].sort().map((f) => [f, raw(f), gz(f)]);
  // What a page that imports 'eventsource-wasm' fetches, each file gzipped (as served).
  const esEntry = [...staticClosure('dist/index.js')];
  const esJs = esEntry.reduce((n, f) => n + gz(f), 0);
  const parserExtra = [...staticClosure('dist/stream-parser.js')].filter((f) => !esEntry.includes(f)).reduce((n, f) => n + gz(f), 0);
  const wasm = gz('dist/eventsource_wasm_bg.wasm');
  const width = Math.max(...rows.map(([f]) => f.length));
  const lines = rows.map(([f, r, g]) => `  ${f.padEnd(width)} ${String(r).padStart(7)} B  ${String(g).padStart(6)} B gzipped`);
  lines.push(`  ES entry (${esEntry.map((f) => f.slice(5)).join(' + ')} + wasm): ${esJs + wasm} B gzipped (JS ${esJs} B, wasm ${wasm} B)`);
  lines.push(`  + the stream-parser subpath:                      ${parserExtra} B gzipped`);
  lines.push(`  classic script (wasm inlined):                    ${gz('dist/eventsource-wasm.js')} B gzipped`);
  lines.push(`  tarball: ${packed?.size ?? '?'} B, unpacked ${packed?.unpackedSize ?? '?'} B, ${packed?.entryCount ?? '?'} files`);
  console.log(`# sizes\n${lines.map((l) => `# ${l}`).join('\n')}`);
  assert.ok(wasm < 200_000, `wasm ${wasm} B gzipped`);
});

let project;
test('the tarball installs offline into a fresh project', { timeout: scaled(120_000) }, () => {
  assert.ok(tarball && fs.statSync(tarball).size > 0, 'packed');
  project = path.join(temp, 'consumer');
  const installed = installInto(project, tarball);
  const installedFiles = execFileSync('find', ['.', '-type', 'f'], { cwd: installed, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.slice(2))
    .sort();
  assert.deepEqual(installedFiles, packed.files.map((f) => f.path).sort());
  assert.ok(fs.existsSync(path.join(installed, 'dist/eventsource_wasm_bg.wasm')));
});

// A consumer script: its own SSE server, the package from node_modules.
const CONSUMER = String.raw`
import http from 'node:http';
import { createRequire } from 'node:module';
const results = {};
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  res.write('retry: 10\nid: 1\ndata: one\n\nevent: named\ndata: two\n\n');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = 'http://127.0.0.1:' + server.address().port + '/';

const { EventSource } = await import('eventsource-wasm');
results.resolved = import.meta.resolve('eventsource-wasm').replace(/^.*node_modules/, 'node_modules');
results.events = await new Promise((resolve) => {
  const es = new EventSource(url);
  const got = [];
  es.onmessage = (e) => got.push([e.type, e.data, e.lastEventId]);
  es.addEventListener('named', (e) => {
    got.push([e.type, e.data, e.lastEventId]);
    es.close();
    resolve(got);
  });
});

results.mainHasParser = 'EventStreamParser' in (await import('eventsource-wasm'));
const { EventStreamParser } = await import('eventsource-wasm/stream-parser');
results.parserResolved = import.meta.resolve('eventsource-wasm/stream-parser').replace(/^.*node_modules/, 'node_modules');
const parse = async (Parser) => {
  const events = [];
  for await (const e of new Response('id: 7\ndata: a\n\n').body.pipeThrough(new Parser())) events.push(e);
  return events;
};
results.parsed = await parse(EventStreamParser);

const polyfill = await import('eventsource-wasm/polyfill');
results.polyfill = globalThis.EventSource === EventSource && polyfill.EventSource === EventSource;
results.classic = import.meta.resolve('eventsource-wasm/classic').replace(/^.*node_modules/, 'node_modules');
results.packageJson = (await import('eventsource-wasm/package.json', { with: { type: 'json' } })).default.name;
await import('eventsource-wasm/classic');
results.classicParsed = await parse(globalThis.EventSourceWasm.EventStreamParser);
if (process.features.require_module) {
  const require = createRequire(import.meta.url);
  results.require = require('eventsource-wasm').EventSource === EventSource;
}
server.closeAllConnections();
server.close();
console.log(JSON.stringify(results));
`;

test('the installed package works from Node.js', { timeout: scaled(30_000) }, () => {
  assert.ok(project, 'installed');
  fs.writeFileSync(path.join(project, 'consumer.mjs'), CONSUMER);
  const out = execFileSync(process.execPath, ['--no-warnings', 'consumer.mjs'], {
    cwd: project,
    encoding: 'utf8',
    timeout: scaled(20_000),
  });
  const results = JSON.parse(out);
  assert.deepEqual(results.events, [
    ['message', 'one', '1'],
    ['named', 'two', '1'],
  ]);
  assert.equal(results.resolved, 'node_modules/eventsource-wasm/dist/node.js');
  assert.equal(results.classic, 'node_modules/eventsource-wasm/dist/eventsource-wasm.js');
  assert.deepEqual(results.parsed, [{ type: 'message', data: 'a', lastEventId: '7' }]);
  assert.equal(results.mainHasParser, false, "EventStreamParser is 'eventsource-wasm/stream-parser' only");
  assert.equal(results.parserResolved, 'node_modules/eventsource-wasm/dist/stream-parser-node.js');
  assert.deepEqual(results.classicParsed, results.parsed, 'the classic script exposes EventSourceWasm.EventStreamParser');
  assert.equal(results.polyfill, true);
  assert.equal(results.packageJson, 'eventsource-wasm');
  if ('require' in results) assert.equal(results.require, true, 'require() gives the same class');
  console.log(`# consumer saw: ${JSON.stringify(results)}`);
});

// Every subpath's types under each moduleResolution a project may have: `exports` for nodenext
// and bundler, `typesVersions` for node10 (TypeScript's "node", which reads no `exports`).
const RESOLUTIONS = { nodenext: 'nodenext', bundler: 'esnext', node10: 'commonjs' };
for (const [moduleResolution, module] of Object.entries(RESOLUTIONS))
  test(`the installed package type-checks from a TypeScript project (moduleResolution ${moduleResolution})`, {
    timeout: scaled(60_000),
  }, () => {
    assert.ok(project, 'installed');
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module,
          moduleResolution,
          lib: ['es2022', 'dom'],
          types: [],
          strict: true,
          noEmit: true,
        },
        files: ['main.ts'],
      }),
    );
    fs.writeFileSync(
      path.join(project, 'main.ts'),
      [
        "import { EventSource } from 'eventsource-wasm';",
        "import { EventSource as Polyfilled } from 'eventsource-wasm/polyfill';",
        "import { EventStreamParser, type EventStreamMessage } from 'eventsource-wasm/stream-parser';",
        'EventSource satisfies typeof globalThis.EventSource;',
        'Polyfilled satisfies typeof globalThis.EventSource;',
        "const es = new EventSource('https://example.test/', { withCredentials: true });",
        "es.addEventListener('named', (e: MessageEvent) => console.log(e.data));",
        '// @ts-expect-error: readonly',
        'es.readyState = 2;',
        'const parser: TransformStream<Uint8Array, EventStreamMessage> = new EventStreamParser({ maxBufferSize: 1024 });',
        "new Response('data: x\\n\\n').body?.pipeThrough(new EventStreamParser()).getReader().read().then((r) => r.value?.data);",
        'void parser;',
        '',
      ].join('\n'),
    );
    const tsc = path.join(ROOT, 'node_modules/.bin/tsc');
    const run = () => execFileSync(tsc, ['-p', '.', '--pretty', 'false'], { cwd: project, encoding: 'utf8' });
    try {
      run();
    } catch (error) {
      assert.fail(`${error.stdout}${error.stderr}`);
    }
  });
