// The package in other runtimes: `node tests/runtimes/run.mjs` (with the machine's Node.js
// 20; needs a built dist/ and `npm ci --prefix tests/runtimes`).
//
// The built package is packed (`npm pack`) and installed from the tarball into a temp
// project, as users install it. In that project, client.mjs runs in each runtime below and
// imports `eventsource-wasm` by name (workerd cannot read node_modules: the client is bundled
// with esbuild there, with wrangler's conditions). It checks, against a loopback SSE server
// here that sends exact bytes and asserts what it receives: the import (and whether the
// runtime has a native EventSource); a named event, multi-line data, ids, a character split
// across writes; a dropped connection resumed with the right Last-Event-ID; a POST with a
// body; close() closing the connection with nothing dispatched after.
//
// The runtimes are npm packages, pinned in tests/runtimes/package.json, whose binaries are
// in the tarballs (no install script runs). One that is not installed is a failure.
//
// Output: one line per check per runtime, then `N passed, N failed`; exit 1 on a failure.
// Every time limit goes through scaled() (TEST_TIME_SCALE); nothing sleeps.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bookkeeping, scaled, tempDir, withTimeout } from '../runner.mjs';
import { pack, installInto } from '../package/pack.mjs';
import { ROOT } from '../static.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const MODULES = path.join(HERE, 'node_modules');
const CHECKS = ['import', 'events', 'reconnect', 'post', 'close', 'from-stream'];
// The checks the server has no part in.
const CLIENT_ONLY = ['import', 'from-stream'];
const WAIT_QUIET = 5_000; // one wait of the client (an event, an answer), on a quiet machine
const WAIT = scaled(WAIT_QUIET);
const RUN = scaled(60_000); // one runtime, start to end

// --- The runtimes ----------------------------------------------------------------------
// `bin`: the binary; `args(entry)`: how to run an ES module file.
const RUNTIMES = [
  { name: 'node20', bin: process.execPath, args: (entry) => ['--no-warnings', entry], want: /^20\./ },
  { name: 'node22', bin: path.join(MODULES, 'node22/bin/node'), args: (entry) => ['--no-warnings', entry] },
  { name: 'node24', bin: path.join(MODULES, 'node24/bin/node'), args: (entry) => ['--no-warnings', entry] },
  { name: 'bun', bin: path.join(MODULES, '@oven/bun-linux-x64/bin/bun'), args: (entry) => ['run', entry] },
  {
    name: 'deno',
    bin: path.join(MODULES, '@deno/linux-x64-glibc/deno'),
    // The package.json of the project makes Deno resolve `eventsource-wasm` from its node_modules.
    args: (entry) => ['run', '--no-lock', '--allow-net=127.0.0.1', '--allow-read', entry],
    env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  },
  { name: 'workerd', bin: path.join(MODULES, '@cloudflare/workerd-linux-64/bin/workerd'), workerd: true },
];

// --- The SSE server -----------------------------------------------------------------------
// Paths are /<runtime>/<case>. `problems` collects what the server found wrong in a check (a
// string each), `confirmed` the checks whose requests the server saw as they must be.
const SSE = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' };
const problems = new Map(); // `${runtime}/${check}` -> [string]
const confirmed = new Set(); // `${runtime}/${check}`: the server saw what it must
const closeWaits = new Map(); // runtime -> { closed: Promise }
const dropReconnect = new Map(); // runtime -> drops the first connection of /reconnect
const problem = (key, what) => problems.set(key, [...(problems.get(key) ?? []), what]);
const counts = new Map();

const server = http.createServer((req, res) => {
  const [, runtime, kase] = new URL(req.url, 'http://x').pathname.split('/');
  const key = `${runtime}/${kase}`;
  const n = (counts.get(key) ?? 0) + 1;
  counts.set(key, n);
  const bytes = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
  switch (kase) {
    case 'events': {
      if (req.method !== 'GET') problem(key, `method ${req.method}`);
      if (req.headers.accept !== 'text/event-stream') problem(key, `Accept: ${req.headers.accept}`);
      if (n === 1 && req.method === 'GET') confirmed.add(key);
      res.writeHead(200, SSE);
      // "é" split between its two bytes across two writes; `id` alone empties the id.
      res.write(bytes(': hello\n', 'event: greet\nid: 7\ndata: line one\ndata: line two\n\n', 'data: h', [0xc3]));
      res.write(bytes([0xa9], 'llo \u2713\n\n', 'id\ndata: end\n\n'));
      return;
    }
    case 'reconnect': {
      res.writeHead(200, SSE);
      if (n === 1) {
        if (req.headers['last-event-id'] !== undefined) problem(key, `first request with Last-Event-ID: ${req.headers['last-event-id']}`);
        // The connection is dropped once the client says it has the event (GET reconnect-drop):
        // dropped right after the write, Bun 1.4.5's fetch sometimes loses the bytes that came
        // just before the close, and the event with them (README, "Runtimes").
        dropReconnect.set(runtime, () => res.socket.destroy());
        res.write('retry: 50\nid: r1\ndata: first\n\n');
      } else {
        const got = req.headers['last-event-id'];
        if (n === 2) {
          if (got === 'r1') confirmed.add(key);
          else problem(key, `reconnection with Last-Event-ID: ${got}`);
        }
        res.write(`data: Last-Event-ID: ${got}\n\n`);
      }
      return;
    }
    case 'reconnect-drop': {
      const drop = dropReconnect.get(runtime);
      dropReconnect.delete(runtime);
      if (!drop) problem(`${runtime}/reconnect`, 'reconnect-drop without a stream to drop');
      drop?.();
      res.writeHead(204).end();
      return;
    }
    case 'post': {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const want = JSON.stringify({ prompt: 'h\u00e9llo', n: 2 });
        if (req.method !== 'POST') problem(key, `method ${req.method}`);
        if (req.headers['content-type'] !== 'application/json') problem(key, `Content-Type: ${req.headers['content-type']}`);
        if (body !== want) problem(key, `body ${JSON.stringify(body)}`);
        if (n > 1) problem(key, `${n} requests (retry.maxAttempts is 0)`);
        if (req.method === 'POST' && body === want) confirmed.add(key);
        res.writeHead(200, SSE).write(`data: ${req.method} ${body}\n\n`);
      });
      return;
    }
    case 'close': {
      // Two events in one write: close() in the first one's handler must drop the second.
      if (n > 1) problem(key, `${n} requests`);
      const closed = new Promise((resolve) => res.on('close', resolve));
      closeWaits.set(runtime, { closed });
      res.writeHead(200, SSE).write('id: c1\ndata: one\n\ndata: two\n\n');
      return;
    }
    case 'close-seen': {
      // Answers once the stream of `close` is closed by the client (or says it is not).
      const wait = closeWaits.get(runtime);
      const ckey = `${runtime}/close`;
      if (!wait) {
        problem(ckey, 'close-seen before any stream');
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('no stream');
        return;
      }
      withTimeout(
        wait.closed.then(() => 'closed'),
        WAIT_QUIET,
        'the close',
      )
        .catch(() => 'open')
        .then((what) => {
          if (what === 'closed') confirmed.add(ckey);
          else problem(ckey, `the connection was still open ${WAIT} ms after close()`);
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end(what);
        });
      return;
    }
    default:
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no route');
  }
});
server.keepAliveTimeout = 100;
const sockets = new Set();
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

// --- Running one runtime ---------------------------------------------------------------
const WRAPPER = (origin, prefix) => `import { run, runtimeName } from './client.mjs';
console.log(JSON.stringify({ runtime: runtimeName() }));
await run({
  origin: ${JSON.stringify(origin)},
  prefix: ${JSON.stringify(prefix)},
  timeout: ${WAIT},
  load: () => import('eventsource-wasm'),
  loadParser: () => import('eventsource-wasm/stream-parser'),
  report: (r) => console.log(JSON.stringify(r)),
});
console.log(JSON.stringify({ done: true }));
`;

/** Runs `bin args` in `cwd`; resolves with { code, stdout, stderr } (killed after RUN ms). */
function spawnRun(bin, args, { cwd, env = {}, stdio } = {}) {
  const child = spawn(bin, args, { cwd, env: { ...process.env, ...env }, stdio: stdio ?? ['ignore', 'pipe', 'pipe'] });
  const done = new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(error) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? `${signal} (after ${RUN} ms?)` : code, stdout, stderr });
    });
  });
  done.child = child;
  return done;
}

/** Parses the client's JSON lines into { runtime, results: Map(check -> {ok, detail}) }. */
function parse(stdout) {
  const results = new Map();
  let runtime = '';
  let done = false;
  for (const line of stdout.split('\n')) {
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (value?.runtime) runtime = value.runtime;
    if (value?.done) done = true;
    if (value?.check) results.set(value.check, value);
  }
  return { runtime, results, done };
}

async function runCli(rt, project, origin) {
  const entry = `main-${rt.name}.mjs`;
  fs.writeFileSync(path.join(project, entry), WRAPPER(origin, rt.name));
  return spawnRun(rt.bin, rt.args(entry), { cwd: project, env: rt.env });
}

/** workerd: the client bundled as wrangler bundles a worker (esbuild, the conditions
 *  workerd, worker, browser; an imported .wasm file becomes a compiled wasm module of the
 *  worker), served by a worker whose fetch handler runs the checks and answers with their
 *  results. */
async function runWorkerd(rt, project, origin) {
  const esbuild = createRequire(path.join(ROOT, 'package.json'))('esbuild');
  fs.writeFileSync(
    path.join(project, 'worker-entry.mjs'),
    `import { run, runtimeName } from './client.mjs';
export default {
  async fetch(request) {
    const lines = [JSON.stringify({ runtime: runtimeName() })];
    await run({
      origin: ${JSON.stringify(origin)},
      prefix: 'workerd',
      timeout: ${WAIT},
      load: () => import('eventsource-wasm'),
      loadParser: () => import('eventsource-wasm/stream-parser'),
      report: (r) => lines.push(JSON.stringify(r)),
    });
    lines.push(JSON.stringify({ done: true }));
    return new Response(lines.join('\\n') + '\\n');
  },
};
`,
  );
  const wasmModules = new Map(); // module name -> file
  await esbuild.build({
    entryPoints: [path.join(project, 'worker-entry.mjs')],
    outfile: path.join(project, 'worker.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    logLevel: 'error',
    plugins: [
      {
        name: 'wasm-modules',
        setup(build) {
          build.onResolve({ filter: /\.wasm$/ }, (args) => {
            const file = path.resolve(args.resolveDir, args.path);
            const name = `wasm-${wasmModules.size}.wasm`;
            wasmModules.set(name, file);
            return { path: `./${name}`, external: true };
          });
        },
      },
    ],
  });
  const wasmLines = [...wasmModules].map(([name, file]) => `, (name = "${name}", wasm = embed "${path.relative(project, file)}")`).join('');
  // The listening socket is made here and handed to workerd as fd 3: no port to guess, no
  // polling for workerd to be up (connections wait in the socket's backlog).
  const listener = net.createServer();
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = listener.address().port;
  fs.writeFileSync(
    path.join(project, 'workerd.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local", "private", "public"])),
  ],
  sockets = [(name = "http", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")${wasmLines}],
  compatibilityDate = "2025-01-01",
  globalOutbound = "loopback",
);
`,
  );
  const fd = listener._handle.fd;
  const child = spawnRun(rt.bin, ['serve', 'workerd.capnp', '--socket-fd', 'http=3'], {
    cwd: project,
    stdio: ['ignore', 'pipe', 'pipe', fd],
  });
  listener.close(); // workerd holds its own copy of the socket
  let answer;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(RUN) });
    answer = await response.text();
  } catch (error) {
    answer = JSON.stringify({ check: 'import', ok: false, detail: `the worker did not answer: ${error.message}` });
  }
  child.child.kill('SIGTERM');
  const result = await child;
  return { ...result, stdout: answer, stderr: result.stderr };
}

function versionOf(rt) {
  // workerd's --version is a date: its npm version says more.
  if (rt.workerd) return `v${JSON.parse(fs.readFileSync(path.join(path.dirname(rt.bin), '../package.json'), 'utf8')).version}`;
  try {
    const out = execFileSync(rt.bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: scaled(10_000) });
    return out.split('\n')[0].trim();
  } catch {
    return null;
  }
}

// --- Main --------------------------------------------------------------------------------
// No limit on the whole run: each runtime has its own (RUN).
const tally = bookkeeping(Infinity);
const line = (ok, name, check, detail) => tally.check(ok, `${name}: ${check}${detail ? ` (${detail})` : ''}`);

const temp = tempDir('eventsource-wasm-runtimes-');
const project = path.join(temp, 'project');
tally.cleanups.push(() => fs.rmSync(temp, { recursive: true, force: true }));
tally.cleanups.push(() => {
  for (const socket of sockets) socket.destroy();
  server.close();
});
try {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  let packError = null;
  try {
    if (!process.env.RUNTIMES_TARBALL && !fs.existsSync(path.join(ROOT, 'dist/node.js')))
      throw new Error('no dist/: run `npm run build` first');
    // RUNTIMES_TARBALL: test that tarball (a release, a candidate) instead of packing dist/.
    installInto(project, process.env.RUNTIMES_TARBALL ? path.resolve(process.env.RUNTIMES_TARBALL) : pack(temp));
    fs.copyFileSync(path.join(HERE, 'client.mjs'), path.join(project, 'client.mjs'));
  } catch (error) {
    packError = `the package could not be packed and installed: ${error.message.split('\n')[0]}`;
  }

  // `node tests/runtimes/run.mjs bun deno`: only those.
  const only = process.argv.slice(2);
  for (const rt of RUNTIMES.filter((r) => only.length === 0 || only.includes(r.name))) {
    const version = fs.existsSync(rt.bin) ? (versionOf(rt)?.match(/\d+\.\d+\.\d+/)?.[0] ?? null) : null;
    const name = `${rt.name}${version ? ` ${version}` : ''}`;
    const notThere =
      packError ??
      (version === null
        ? `not installed: ${path.relative(ROOT, rt.bin)} is missing or does not run (npm ci --prefix tests/runtimes)`
        : null) ??
      (rt.want && !rt.want.test(version) ? `this is ${version}, not the expected version` : null);
    if (notThere) {
      for (const check of CHECKS) line(false, name, check, notThere);
      continue;
    }
    let result;
    try {
      result = rt.workerd ? await runWorkerd(rt, project, origin) : await runCli(rt, project, origin);
    } catch (error) {
      result = { code: null, stdout: '', stderr: `could not run: ${String(error.message).split('\n')[0]}` };
    }
    const { runtime, results, done } = parse(result.stdout);
    const tail = `exit ${result.code}${result.stderr.trim() ? `; stderr: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
    for (const check of CHECKS) {
      const key = `${rt.name}/${check}`;
      const client = results.get(check);
      const server = problems.get(key) ?? [];
      // The server's side of a check: what it must have seen (the client-only ones have none).
      const serverSaw = CLIENT_ONLY.includes(check) || confirmed.has(key);
      const ok = client?.ok === true && server.length === 0 && serverSaw;
      const why = [
        client ? client.detail : `no result from the client (${tail})`,
        ...server.map((s) => `server: ${s}`),
        ...(client?.ok && !serverSaw && server.length === 0 ? ['server: did not see the request it expects'] : []),
      ];
      line(ok, name, check, check === 'import' && ok ? `${runtime}; ${client.detail}` : why.join('; '));
    }
    if (results.size === CHECKS.length && (!done || (!rt.workerd && result.code !== 0))) {
      line(false, name, 'exit', `the client did not end cleanly (${tail})`);
    }
  }
} catch (error) {
  tally.check(false, 'the run itself', String(error?.stack ?? error).split('\n'));
}
await tally.finish();
