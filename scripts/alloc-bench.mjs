// Compares wasm builds (e.g. one per global allocator) on the throughput
// workloads of benches/browser/workloads.mjs. Each round runs every build in
// a fresh Node.js process of its own (no JIT state, GC heap or CPU cache shared
// between builds), the builds taking turns: forward order on even rounds,
// reverse on odd. A process warms up once, then keeps the best of --reps runs,
// timed in CPU milliseconds of the process.
//
//   node scripts/alloc-bench.mjs [--rounds N] [--reps N] [NAME=]DIR [--wasm FILE] ...
//
// DIR is the output of wasm-bindgen (the glue `eventsource_wasm.js` and
// `eventsource_wasm_bg.wasm`, instantiated here, with js/stream-parser.js);
// --wasm after it takes the wasm from FILE instead.
// Without DIR: today's build, the glue of target/bindgen/ with its wasm in dist/
// (as shipped: after wasm-opt).
//
// Modes, each timed per workload (milliseconds):
//   stream  the bytes in 64 KiB chunks through EventStreamParser (TransformStream)
//   raw     the same chunks fed straight to the wasm StreamParser
//   churn   100,000 parsers constructed, fed one small event and freed (raw),
//           and 10,000 EventStreamParsers each given one event and closed (stream)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WORKLOADS, workload } from '../benches/browser/workloads.mjs';

const root = new URL('..', import.meta.url);
const args = process.argv.slice(2);
let rounds = 7;
let reps = 3;
let child = false;
const builds = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rounds') rounds = Number(args[++i]);
  else if (args[i] === '--reps') reps = Number(args[++i]);
  else if (args[i] === '--child') child = true;
  else if (args[i] === '--wasm') builds.at(-1).wasm = resolve(args[++i]);
  else {
    const [name, dir] = args[i].includes('=') ? args[i].split('=') : [args[i], args[i]];
    builds.push({ name, dir: resolve(dir) });
  }
}
if (!builds.length) {
  const wasm = new URL('dist/eventsource_wasm_full_bg.wasm', root).pathname;
  builds.push({ name: 'dist', dir: new URL('target/bindgen', root).pathname, wasm });
}

const CHUNK = 64 * 1024;
const MAX = 16 * 1024 * 1024;

// One build per process (--child), so no build shares JIT state or a module with another.
async function load({ name, dir, wasm = `${dir}/eventsource_wasm_bg.wasm` }) {
  const glue = await import(pathToFileURL(`${dir}/eventsource_wasm.js`).href);
  glue.initSync({ module: readFileSync(wasm) });
  const { defineEventStreamParser } = await import(new URL('js/stream-parser.js', root).href);
  return { name, StreamParser: glue.StreamParser, EventStreamParser: defineEventStreamParser(() => glue.StreamParser) };
}

/** Hooks for the raw StreamParser that count the events it hands over: each batch holds
 *  three CR-terminated fields an event (src/wasm/stream_parser.rs). */
function countingHooks() {
  const hooks = {
    count: 0,
    events(batch) {
      hooks.count += (batch.split('\r').length - 1) / 3;
    },
    retry() {},
    comment() {},
  };
  return hooks;
}

function chunksOf(bytes) {
  const chunks = [];
  for (let i = 0; i < bytes.length; i += CHUNK) chunks.push(bytes.subarray(i, i + CHUNK));
  return chunks;
}

async function runStream(build, chunks) {
  let count = 0;
  let i = 0;
  const source = new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
  const reader = source.pipeThrough(new build.EventStreamParser({ maxBufferSize: MAX })).getReader();
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
    count++;
  }
  return count;
}

function runRaw(build, chunks) {
  const hooks = countingHooks();
  const parser = new build.StreamParser(MAX, false);
  try {
    for (const chunk of chunks) if (!parser.feed(chunk, hooks)) throw new Error('over maxBufferSize');
  } finally {
    parser.free();
  }
  return hooks.count;
}

const ONE = new TextEncoder().encode('id: 1\ndata: 0123456789abcdef0123456789abcdef\n\n');

function runChurnRaw(build) {
  const hooks = countingHooks();
  for (let n = 0; n < 100_000; n++) {
    const parser = new build.StreamParser(MAX, false);
    parser.feed(ONE, hooks);
    parser.free();
  }
  return hooks.count;
}

async function runChurnStream(build) {
  let count = 0;
  for (let n = 0; n < 10_000; n++) {
    const parser = new build.EventStreamParser();
    const writer = parser.writable.getWriter();
    const reader = parser.readable.getReader();
    writer.write(ONE);
    writer.close();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      count++;
    }
  }
  return count;
}

const labels = [...WORKLOADS.flatMap((name) => [`${name}/stream`, `${name}/raw`]), 'churn/stream', 'churn/raw'];

if (child) {
  // One build, in this process: a warm-up run of each case, then the best of `reps`.
  const b = await load(builds[0]);
  const cases = [];
  for (const name of WORKLOADS) {
    const w = workload(name);
    const chunks = chunksOf(new TextEncoder().encode(w.text()));
    cases.push({ events: w.events, run: () => runStream(b, chunks) });
    cases.push({ events: w.events, run: () => runRaw(b, chunks) });
  }
  cases.push({ events: 10_000, run: () => runChurnStream(b) });
  cases.push({ events: 100_000, run: () => runChurnRaw(b) });
  const best = [];
  for (const c of cases) {
    let min = Infinity;
    for (let r = -1; r < reps; r++) {
      // CPU time, not wall time: a shared machine's other load mostly shows
      // as waiting for a CPU, which this leaves out.
      const t0 = process.cpuUsage();
      const count = await c.run();
      const { user, system } = process.cpuUsage(t0);
      const t = (user + system) / 1000;
      if (count !== c.events) throw new Error(`${b.name}: ${count} events, expected ${c.events}`);
      if (r >= 0) min = Math.min(min, t);
    }
    best.push(min);
  }
  process.stdout.write(JSON.stringify(best));
  process.exit(0);
}

const times = new Map(labels.map((l) => [l, new Map(builds.map((b) => [b.name, []]))]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? builds : [...builds].reverse();
  for (const b of order) {
    const out = execFileSync(process.execPath, [
      new URL(import.meta.url).pathname,
      '--child',
      '--reps',
      String(reps),
      `${b.name}=${b.dir}`,
      ...(b.wasm ? ['--wasm', b.wasm] : []),
    ]);
    for (const [i, t] of JSON.parse(out).entries()) times.get(labels[i]).get(b.name).push(t);
  }
  process.stderr.write(`round ${round + 1}/${rounds} done\n`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = builds[0].name;
console.log(`median over ${rounds} processes of the best of ${reps} runs, CPU ms (ratio to ${base}); spread: (max-min)/median of ${base}`);
console.log(['workload', ...builds.map((b) => b.name), 'spread'].join('\t'));
for (const label of labels) {
  const row = times.get(label);
  const m0 = median(row.get(base));
  const cells = builds.map((b) => {
    const m = median(row.get(b.name));
    return b.name === base ? m.toFixed(1) : `${m.toFixed(1)} (${(m / m0).toFixed(3)})`;
  });
  const xs = row.get(base);
  console.log([label, ...cells, `${(((Math.max(...xs) - Math.min(...xs)) / m0) * 100).toFixed(1)}%`].join('\t'));
}
