// The size figures of the browser benchmark (run.mjs): what a page downloads, and what the
// wasm's code is made of.
//
//   await entrySize(distDir)   the ES entry as a page that imports only `eventsource-wasm`
//                              downloads it: dist/index.js and every JS file it imports
//                              statically (followed recursively through the built files; a
//                              dynamic import() is loaded on demand, listed apart), plus the
//                              wasm; the classic script; what the other subpaths of
//                              package.json's exports add. Each file gzipped alone, as served
//                              (gzip -9; node:zlib level 9 where there is no gzip).
//   await twiggyBreakdown(root, outDir)
//                              the wasm built as scripts/build.sh builds it (its cargo,
//                              wasm-bindgen and wasm-opt lines, read from the script), but with
//                              the function names kept (wasm-bindgen --keep-debug, wasm-opt
//                              --debuginfo), into outDir; then `twiggy top`, its rows grouped
//                              into buckets by symbol. `{ skipped }` without twiggy on PATH.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFile, execFileSync } from 'node:child_process';

export const gzipSize = (buf) => {
  try {
    return execFileSync('gzip', ['-9c'], { input: buf, maxBuffer: 64 * 1024 * 1024 }).length;
  } catch {
    return zlib.gzipSync(buf, { level: 9 }).length;
  }
};

// ---- the ES entry -----------------------------------------------------------------------------

/** The JS files `entry` loads: `static` (the entry, then every file imported statically, in the
 *  order first reached), `lazy` (reached only through a dynamic import(), and what those import).
 *  Paths relative to `distDir`. esbuild's metafile gives each file's imports and their kind. */
export async function moduleGraph(distDir, entry) {
  const esbuild = await import('esbuild');
  const { metafile } = await esbuild.build({
    entryPoints: [path.join(distDir, entry)],
    absWorkingDir: distDir,
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    packages: 'external',
    external: ['*.wasm'],
    logLevel: 'silent',
  });
  const edges = (file) => (metafile.inputs[file]?.imports ?? []).filter((i) => !i.external && metafile.inputs[i.path]);
  const walk = (roots, kinds) => {
    const seen = [];
    const queue = [...roots];
    while (queue.length) {
      const f = queue.shift();
      if (seen.includes(f)) continue;
      seen.push(f);
      for (const i of edges(f)) if (kinds.includes(i.kind)) queue.push(i.path);
    }
    return seen;
  };
  const rootKey = Object.keys(metafile.inputs).find((k) => path.resolve(distDir, k) === path.resolve(distDir, entry));
  const stat = walk([rootKey], ['import-statement']);
  const dynamicRoots = stat.flatMap((f) =>
    edges(f)
      .filter((i) => i.kind === 'dynamic-import')
      .map((i) => i.path),
  );
  const lazy = walk(dynamicRoots, ['import-statement', 'dynamic-import']).filter((f) => !stat.includes(f));
  return { static: stat, lazy };
}

/** Sizes in bytes (gzipped unless `raw`), each file gzipped alone, as served (and as
 *  scripts/build.sh counts): wasm, js (the static graph of dist/index.js), total, the files,
 *  the lazily loaded JS, the classic script, and what each other ES subpath of package.json's
 *  `exports` (its browser/import/default target) adds to the main entry (its own wasm too). */
export async function entrySize(distDir, root = path.dirname(distDir)) {
  const read = (f) => fs.readFileSync(path.join(distDir, f));
  const entry = (f) => ({ file: f, raw: read(f).length, gzip: gzipSize(read(f)) });
  const graph = await moduleGraph(distDir, 'index.js');
  const wasmFile = 'eventsource_wasm_bg.wasm';
  const wasm = gzipSize(read(wasmFile));
  const files = graph.static.map(entry);
  const js = files.reduce((a, f) => a + f.gzip, 0);
  const lazy = graph.lazy.map(entry);
  const classicFile = 'eventsource-wasm.js';
  const classic = fs.existsSync(path.join(distDir, classicFile)) ? entry(classicFile) : null;
  const subpaths = [];
  let exports = {};
  try {
    exports = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).exports ?? {};
  } catch {
    /* none */
  }
  for (const [sub, value] of Object.entries(typeof exports === 'object' ? exports : {})) {
    if (sub === '.' || !sub.startsWith('./')) continue;
    const target = typeof value === 'string' ? value : (value?.browser ?? value?.import ?? value?.default);
    if (typeof target !== 'string' || !target.endsWith('.js')) continue;
    const rel = path.relative(distDir, path.resolve(root, target));
    if (rel.startsWith('..') || !fs.existsSync(path.join(distDir, rel)) || rel === classicFile) continue;
    const g = await moduleGraph(distDir, rel);
    // Its JS beyond the main entry's, and a wasm of its own if it loads one
    // (`new URL('./x.wasm', import.meta.url)`: the stream-parser subpath does).
    const own = g.static.filter((f) => !graph.static.includes(f));
    const wasms = own.flatMap((f) =>
      [
        ...read(f)
          .toString()
          .matchAll(/["'`]\.\/([\w.-]+\.wasm)["'`]/g),
      ].map((m) => m[1]),
    );
    const extra = [...own, ...new Set(wasms.filter((w) => w !== wasmFile))].map(entry);
    subpaths.push({ subpath: sub, file: rel, files: extra, gzip: extra.reduce((a, f) => a + f.gzip, 0) });
  }
  return {
    wasm,
    wasmRaw: read(wasmFile).length,
    js,
    jsRaw: files.reduce((a, f) => a + f.raw, 0),
    total: wasm + js,
    files,
    lazy,
    classic,
    subpaths,
  };
}

// ---- scripts/build.sh, read ---------------------------------------------------------------------

/** Shell words of one logical line: quotes removed, "${ARR[@]}" expanded from `arrays`,
 *  $name and ${name} from its strings, `NAME=value` words kept as they are. Throws on
 *  anything else it cannot expand. */
function words(line, arrays) {
  const out = [];
  let cur = null;
  let i = 0;
  const push = () => {
    if (cur !== null) out.push(cur);
    cur = null;
  };
  while (i < line.length) {
    const c = line[i];
    if (/\s/.test(c)) {
      push();
      i++;
      continue;
    }
    if (c === '#' && cur === null) break;
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      cur = (cur ?? '') + line.slice(i + 1, j);
      i = j + 1;
      continue;
    }
    if (c === '"') {
      const j = line.indexOf('"', i + 1);
      const inner = line.slice(i + 1, j);
      const arr = inner.match(/^\$\{(\w+)\[@\]\}$/);
      if (arr && cur === null) {
        if (!arrays[arr[1]]) throw new Error(`unknown array ${arr[1]}`);
        out.push(...arrays[arr[1]]);
        i = j + 1;
        continue;
      }
      cur = (cur ?? '') + scalars(inner, arrays);
      i = j + 1;
      continue;
    }
    if (c === '$') {
      const m = /^\$(\{\w+\}|\w+)/.exec(line.slice(i));
      if (!m) throw new Error(`cannot expand ${line.slice(i, i + 20)}`);
      cur = (cur ?? '') + scalars(m[0], arrays);
      i += m[0].length;
      continue;
    }
    cur = (cur ?? '') + c;
    i++;
  }
  push();
  return out;
}

/** `text` with $name and ${name} replaced by the strings of `vars`; throws on another. */
function scalars(text, vars) {
  return text.replace(/\$(?:\{(\w+)\}|(\w+))/g, (whole, a, b) => {
    const value = vars[a ?? b];
    if (typeof value !== 'string') throw new Error(`cannot expand ${whole}`);
    return value;
  });
}

/** The cargo, wasm-bindgen and wasm-opt commands by which scripts/build.sh makes the ES
 *  entry's wasm (its `wasm DIR eventsource_wasm_bg.wasm FEATURES` call, through its
 *  function `wasm`): `{ env, args }` each. */
export function buildCommands(root) {
  const text = fs.readFileSync(path.join(root, 'scripts', 'build.sh'), 'utf8').replace(/\\\n/g, ' ');
  const call = /^wasm (\S+) eventsource_wasm_bg\.wasm (\S+)$/m.exec(text);
  if (!call) throw new Error('no `wasm DIR eventsource_wasm_bg.wasm FEATURES` line in scripts/build.sh');
  const arrays = { out: `target/${call[1]}`, dist: 'dist/eventsource_wasm_bg.wasm', features: call[2] };
  for (const m of text.matchAll(/^\s*(\w+)=\(([^)]*)\)/gm)) {
    try {
      arrays[m[1]] = words(
        m[2]
          .split('\n')
          .map((l) => l.replace(/(^|\s)#.*$/, ''))
          .join(' '),
        arrays,
      );
    } catch {
      // An array the three commands do not use (e.g. one filled by a command substitution).
    }
  }
  const lines = text.split('\n');
  const command = (name, re) => {
    const line = lines.find((l) => re.test(l));
    if (!line) throw new Error(`no ${name} line in scripts/build.sh`);
    const w = words(line, arrays);
    const env = {};
    while (w.length && /^\w+=/.test(w[0])) {
      const [k, ...v] = w.shift().split('=');
      env[k] = v.join('=');
    }
    if (w[0] !== name) throw new Error(`unexpected ${name} line in scripts/build.sh: ${line.trim()}`);
    return { env, args: w.slice(1) };
  };
  return {
    cargo: command('cargo', /^\s*(\w+=("[^"]*"|\S*)\s+)*cargo\s.*\bbuild\b/),
    bindgen: command('wasm-bindgen', /^\s*wasm-bindgen\s/),
    opt: command('wasm-opt', /^\s*wasm-opt\s/),
  };
}

// ---- twiggy ---------------------------------------------------------------------------------------

const which = (cmd, envPath) =>
  envPath
    .split(path.delimiter)
    .map((d) => path.join(d, cmd))
    .find((f) => {
      try {
        fs.accessSync(f, fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });

const run = (cmd, args, opts) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 256 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      if (err) {
        const tail = String(stderr || err.message)
          .trim()
          .split('\n')
          .slice(-6)
          .join(' | ');
        reject(new Error(`${path.basename(cmd)} failed: ${tail}`));
      } else {
        resolve(stdout);
      }
    });
  });

/** Buckets, in order of precedence: a symbol goes to the first whose pattern matches its subject
 *  (the `X` of `<X as Trait>::f` and `<X>::f`, or the whole symbol), else to the first matching
 *  the whole symbol. Crate hashes (`[0123456789abcdef]`) are removed first. */
export const BUCKETS = [
  ['parser', /eventsource_wasm::parser::|eventsource_wasm::wasm::stream_parser|^(__wbg_)?streamparser_/],
  ['machine', /eventsource_wasm::machine::/],
  ['driver', /eventsource_wasm::wasm::|eventsource_wasm::|^(__wbg_)?connection_|^(__wbg_)?eventsource_/],
  ['futures executor', /js_sys::futures|wasm_bindgen_futures|futures_(core|util|channel|task|executor)/],
  ['allocator', /dlmalloc|talc|__rdl_|__rust_(alloc|dealloc|realloc|alloc_zeroed)|__rg_(alloc|dealloc|realloc)/],
  [
    'wasm-bindgen/js-sys runtime',
    /wasm_bindgen|js_sys|web_sys|gloo_|^__wbindgen|^__externref|^__wbg_|externref shim|^Closure\(|^Ref\(|^\w+\(.*\) -> /,
  ],
];
const NON_CODE =
  /^("[\w ]+" subsection|data segment |type\[\d+\]|import |export |table\[|elem\[|global\[|memory\[|custom section |wasm magic bytes|[\w ]+ section headers$|start$)/;

/** The `X` of `<X as Trait>::f` or `<X>::f`; the whole symbol otherwise. */
function subject(sym) {
  if (!sym.startsWith('<')) return sym;
  let depth = 0;
  for (let i = 0; i < sym.length; i++) {
    if (sym[i] === '<') depth++;
    else if (sym[i] === '>' && sym[i - 1] !== '-') {
      if (--depth === 0) return sym.slice(1, i);
    } else if (depth === 1 && sym.startsWith(' as ', i)) return sym.slice(1, i);
  }
  return sym;
}

export function bucketOf(name) {
  if (NON_CODE.test(name)) return null;
  const sym = name.replace(/\[[0-9a-f]{16}\]/g, '');
  const subj = subject(sym);
  for (const s of [subj, sym]) {
    const hit = BUCKETS.find(([, re]) => re.test(s));
    if (hit) return hit[0];
  }
  return 'other';
}

/** The breakdown: `{ skipped }` without twiggy, `{ error }` if a step failed, else the rows. */
export async function twiggyBreakdown(root, outDir) {
  const envPath = [path.join(process.env.HOME ?? '', '.cargo', 'bin'), path.join(root, 'node_modules', '.bin'), process.env.PATH].join(
    path.delimiter,
  );
  const twiggy = which('twiggy', envPath);
  if (!twiggy) return { skipped: 'twiggy is not on PATH (cargo install twiggy)' };
  try {
    const cmds = buildCommands(root);
    const env = { ...process.env, PATH: envPath };
    const t0 = Date.now();
    // cargo: the same line, the same target directory (its artifacts are shared with build.sh).
    await run('cargo', cmds.cargo.args, { cwd: root, env: { ...env, ...cmds.cargo.env } });
    // wasm-bindgen: the same flags, --keep-debug, the output here.
    const bg = [...cmds.bindgen.args];
    const input = bg.findLast((a) => a.endsWith('.wasm'));
    bg.splice(bg.indexOf(input), 1);
    const od = bg.indexOf('--out-dir');
    if (od >= 0) bg.splice(od, 2);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    await run('wasm-bindgen', [...bg, '--keep-debug', '--out-dir', outDir, input], { cwd: root, env: { ...env, ...cmds.bindgen.env } });
    const bgWasm = fs.readdirSync(outDir).find((f) => f.endsWith('.wasm'));
    // wasm-opt: the same flags (the feature flags included) but the names kept.
    const wo = [];
    for (let i = 0; i < cmds.opt.args.length; i++) {
      const a = cmds.opt.args[i];
      if (a === '-o') {
        i++;
        continue;
      }
      if (a.endsWith('.wasm') || ['--strip-debug', '--strip-producers', '--strip-dwarf', '-g', '--debuginfo'].includes(a)) continue;
      wo.push(a);
    }
    const optWasm = path.join(outDir, 'opt.wasm');
    await run('wasm-opt', [...wo, '--debuginfo', path.join(outDir, bgWasm), '-o', optWasm], {
      cwd: root,
      env: { ...env, ...cmds.opt.env },
    });
    const rows = JSON.parse(await run(twiggy, ['top', '-f', 'json', optWasm], { env }));
    const top = JSON.parse(await run(twiggy, ['top', '-n', '25', '-f', 'json', optWasm], { env })).filter(
      (r) => !/^\.\.\. and \d+ more|^Σ /.test(r.name),
    );
    const buckets = Object.fromEntries(
      [...BUCKETS.map(([n]) => n), 'other'].map((n) => [n, { bytes: 0, items: 0, top: 0, largest: null }]),
    );
    let names = 0;
    let nonCode = 0;
    for (const r of rows) {
      if (/^\.\.\. and \d+ more|^Σ /.test(r.name)) continue;
      if (r.name === '"function names" subsection') {
        names = r.shallow_size;
        continue;
      }
      const b = bucketOf(r.name);
      if (!b) {
        nonCode += r.shallow_size;
        continue;
      }
      const s = buckets[b];
      s.bytes += r.shallow_size;
      s.items++;
      if (!s.largest || r.shallow_size > s.largest.bytes) s.largest = { name: r.name, bytes: r.shallow_size };
    }
    for (const r of top) {
      const b = bucketOf(r.name);
      if (b) buckets[b].top += r.shallow_size;
    }
    return {
      buckets,
      code: Object.values(buckets).reduce((a, s) => a + s.bytes, 0),
      nonCode,
      names,
      fileBytes: fs.statSync(optWasm).size,
      top: top.map((r) => ({ name: r.name, bytes: r.shallow_size, bucket: bucketOf(r.name) })),
      commands: { cargo: cmds.cargo, wasmOpt: [...wo, '--debuginfo'] },
      seconds: (Date.now() - t0) / 1000,
    };
  } catch (e) {
    return { error: e.message };
  }
}
