// Browser tests of the package as users load it: `node tests/vite-app/run.mjs`
// (needs a built dist/; BROWSERS=chromium,firefox by default).
//
// 1. Packs the package, installs the tarball offline into a temp copy of
//    app/ (its own node_modules, not the repository's), builds the app with
//    Vite and with webpack 5 (no plugins).
// 2. Serves both builds, the repository's dist/ and pages/, with an SSE
//    endpoint (server.mjs), on 127.0.0.1; and the app unbuilt, from Vite's dev
//    server (`vite`, dependencies pre-bundled), its /sse proxied there.
// 3. In headless Chromium (and Firefox), each page runs pages/scenario.js
//    through our class: the Vite dev server's app, the Vite app, the webpack app, the classic script
//    (beside a native EventSource, and installing itself where there is
//    none), the ES module entry and the polyfill entry with no bundler, and
//    the module entry in a dedicated worker and a SharedWorker, the classic
//    script in a dedicated worker, and service workers (module with the
//    polyfill entry, classic with importScripts), each beside the runtime's
//    own EventSource and without one (ours must then be installed).
// Set BROWSERS=chromium (or empty: builds only) to narrow it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pack, installInto } from '../package/pack.mjs';
import { startServer } from './server.mjs';
import { launch } from '../browsers.mjs';
import { scaled, tempDir } from '../runner.mjs';
import { ROOT } from '../static.mjs';

const HERE = path.join(ROOT, 'tests/vite-app');
const BIN = path.join(ROOT, 'node_modules/.bin');
const BROWSERS = (process.env.BROWSERS ?? 'chromium,firefox').split(',').filter(Boolean);
const PAGE_TIMEOUT = scaled(20_000);

const temp = tempDir('eventsource-wasm-browsers-');
const app = path.join(temp, 'app');
let server;
const closers = new Set(); // close() of each browser launched and not yet closed

/** "name 1234 B (567 B gzipped)" for each file of a build. */
const sizes = (dir) =>
  fs
    .readdirSync(dir, { recursive: true })
    .filter((f) => /\.(js|wasm)$/.test(f))
    .map((f) => {
      const bytes = fs.readFileSync(path.join(dir, f));
      return `${f} ${bytes.length} B (${zlib.gzipSync(bytes, { level: 9 }).length} B gzipped)`;
    })
    .join(', ');

const sh = (file, args, cwd) =>
  execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: scaled(180_000) });

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/index.js')), 'run `npm run build` first');
  fs.cpSync(path.join(HERE, 'app'), app, { recursive: true });
  fs.copyFileSync(path.join(HERE, 'pages/scenario.js'), path.join(app, 'scenario.js'));
  installInto(app, pack(temp));
  server = await startServer({
    'app-vite': path.join(app, 'dist-vite'),
    'app-webpack': path.join(app, 'dist-webpack'),
    dist: path.join(ROOT, 'dist'),
    pages: path.join(HERE, 'pages'),
  });
});

after(async () => {
  for (const close of closers) await close();
  await server?.close();
  fs.rmSync(temp, { recursive: true, force: true });
});

test('vite build of the app, the package from the tarball', { timeout: scaled(180_000) }, () => {
  const started = performance.now();
  sh(path.join(BIN, 'vite'), ['build', '.', '--base', '/app-vite/', '--outDir', 'dist-vite', '--emptyOutDir', '--logLevel', 'warn'], app);
  const files = fs.readdirSync(path.join(app, 'dist-vite/assets'));
  const took = Math.round(performance.now() - started);
  console.log(`# ${sh(path.join(BIN, 'vite'), ['--version'], app).trim()}, ${took} ms: ${sizes(path.join(app, 'dist-vite'))}`);
  assert.ok(
    files.some((f) => f.endsWith('.wasm')),
    'the wasm is emitted as an asset',
  );
});

test('webpack build of the app, no plugins', { timeout: scaled(180_000) }, () => {
  const started = performance.now();
  sh(path.join(BIN, 'webpack'), ['--config', path.join(app, 'webpack.config.mjs')], app);
  fs.copyFileSync(path.join(app, 'webpack.html'), path.join(app, 'dist-webpack/index.html'));
  const files = fs.readdirSync(path.join(app, 'dist-webpack'));
  const took = Math.round(performance.now() - started);
  console.log(
    `# webpack ${JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/webpack/package.json'))).version}, ${took} ms: ${sizes(path.join(app, 'dist-webpack'))}`,
  );
  assert.ok(
    files.some((f) => f.endsWith('.wasm')),
    'the wasm is emitted as an asset',
  );
});

// The app served by Vite's dev server, not built: the package pre-bundled into
// node_modules/.vite/deps (esbuild), which must still find its wasm; /sse proxied to server.mjs.
let vite;
test('vite dev server of the app (dependencies pre-bundled), the package from the tarball', { timeout: scaled(60_000) }, async () => {
  const { createServer } = await import('vite');
  vite = await createServer({
    root: app,
    configFile: false,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, hmr: false, proxy: { '/sse': server.origin } },
    optimizeDeps: { force: true },
  });
  await vite.listen();
  closers.add(() => vite.close());
  assert.ok(vite.resolvedUrls?.local?.[0], 'the dev server listens');
});

/** What every context must see (pages/scenario.js against server.mjs; `origin`: the page's). */
function checkScenario(result, tag, origin = server.origin) {
  assert.equal(result.error, undefined, `the page reported: ${result.error}`);
  assert.equal(result.thrown, undefined, `the constructor threw: ${result.thrown}`);
  assert.deepEqual(result.events, [
    ['open', 1],
    ['message', 'one', '1', origin, true],
    ['named', 'two', '1'],
    ['error', 0],
    ['open', 1],
    ['message', 'three last-event-id=1', '1', origin, true],
  ]);
  assert.equal(result.native, false, "the events came through the runtime's own EventSource");
  assert.equal(result.instance, true);
  assert.equal(result.url, `${origin}/sse?tag=${encodeURIComponent(tag)}`);
  assert.deepEqual(result.constants, [0, 1, 2]);
  assert.equal(result.closed, 2);
  const requests = server.requests(tag);
  assert.equal(requests.length, 2);
  assert.equal(requests[0].accept, 'text/event-stream');
  assert.equal(requests[0]['last-event-id'], undefined);
  assert.equal(requests[1]['last-event-id'], '1');
}

/** Service workers may or may not have their own EventSource: ours is installed only where they have none. */
function checkServiceWorkerGlobal(result) {
  assert.equal(result.installed, !result.globalNative, `native in the service worker: ${result.globalNative}`);
  console.log(`# service worker global EventSource: ${result.globalNative ? 'native (kept)' : 'none (ours installed)'}`);
}

const PAGES = [
  {
    name: 'Vite dev server (vite, not built; the package pre-bundled)',
    path: '/',
    origin: () => new URL(vite.resolvedUrls.local[0]).origin,
    check: async (result, page) => {
      assert.deepEqual(await page.evaluate(() => window.__events), result.events);
      const wasm = await page.evaluate(() => performance.getEntriesByType('resource').find((e) => e.name.includes('.wasm'))?.name);
      console.log(`# the dev server served the wasm as ${wasm}`);
    },
  },
  {
    name: 'Vite app',
    path: '/app-vite/',
    check: async (result, page) => {
      assert.deepEqual(await page.evaluate(() => window.__events), result.events);
    },
  },
  {
    name: 'webpack 5 app',
    path: '/app-webpack/',
    check: async (result, page) => {
      assert.deepEqual(await page.evaluate(() => window.__events), result.events);
    },
  },
  {
    name: 'classic <script src> beside the native EventSource',
    path: '/pages/classic.html',
    check: (result) => {
      assert.equal(result.nativeKept, true, 'the native EventSource was replaced');
      assert.equal(result.globalIsOurs, false);
    },
  },
  {
    name: 'classic <script src> where there is no EventSource, nor synchronous wasm compilation: installs it',
    path: '/pages/classic-install.html',
    check: (result) => {
      assert.equal(result.installed, true);
      assert.equal(result.globalIsOurs, true);
    },
  },
  {
    name: '<script type="module"> importing dist/index.js: the wasm fetched at the import',
    path: '/pages/module.html',
    check: (result) => assert.equal(result.wasmBeforeConstruct, true, 'no .wasm was loaded before the first source'),
  },
  {
    name: '<script type="module"> importing dist/polyfill.js where there is no EventSource',
    path: '/pages/polyfill.html',
    check: (result) => assert.equal(result.installed, true),
  },
  { name: 'module dedicated Worker', path: '/pages/worker.html?kind=dedicated' },
  { name: 'classic dedicated Worker, importScripts of the classic script', path: '/pages/worker.html?kind=dedicated-classic' },
  { name: 'module SharedWorker', path: '/pages/worker.html?kind=shared' },
  {
    name: 'module ServiceWorker, the polyfill entry',
    path: '/pages/worker.html?kind=service',
    check: checkServiceWorkerGlobal,
  },
  {
    name: 'classic ServiceWorker, importScripts of the classic script',
    path: '/pages/worker.html?kind=service-classic',
    check: checkServiceWorkerGlobal,
  },
  {
    name: 'module ServiceWorker without a native EventSource: the polyfill entry installs ours',
    path: '/pages/worker.html?kind=service-install',
    check: (result) => {
      assert.equal(result.globalNative, false);
      assert.equal(result.installed, true);
    },
  },
  {
    name: 'classic ServiceWorker without a native EventSource: the classic script installs ours',
    path: '/pages/worker.html?kind=service-classic-install',
    check: (result) => {
      assert.equal(result.globalNative, false);
      assert.equal(result.installed, true);
    },
  },
];

for (const name of BROWSERS) {
  let browser;
  let close;
  let launchError;
  test(`${name}: launches`, { timeout: scaled(60_000) }, async () => {
    // A fresh profile, removed by close().
    try {
      ({ browser, close } = await launch(name, { prefix: 'vite-app' }));
      closers.add(close);
    } catch (error) {
      launchError = error;
      throw error;
    }
    console.log(`# ${name}: ${await browser.version()}`);
  });

  for (const spec of PAGES) {
    test(`${name}: ${spec.name}`, { timeout: PAGE_TIMEOUT + scaled(10_000) }, async (t) => {
      if (!browser) return t.skip(`${name} did not launch: ${launchError?.message}`);
      const tag = `${name}-${spec.path}`;
      const origin = spec.origin?.() ?? server.origin;
      const url = new URL(spec.path, origin);
      url.searchParams.set('tag', tag);
      const page = await browser.newPage();
      const problems = [];
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      try {
        await page.goto(url.href, { timeout: PAGE_TIMEOUT });
        await page
          .waitForFunction(() => window.__result, { timeout: PAGE_TIMEOUT })
          .catch((error) => {
            throw new Error(`no result after ${PAGE_TIMEOUT} ms; ${problems.join('; ') || 'no page error'} (${error.message})`);
          });
        const result = await page.evaluate(() => window.__result);
        checkScenario(result, tag, origin);
        await spec.check?.(result, page);
      } finally {
        await page.close().catch(() => {});
      }
    });
  }

  test(`${name}: closes`, { timeout: scaled(30_000) }, async (t) => {
    if (!browser) return t.skip('not launched');
    closers.delete(close);
    await close();
  });
}
