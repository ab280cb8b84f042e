// Packs the package as `npm publish` would, into a temp dir, and installs the
// tarball into a fresh temp project (offline: the package has no
// dependencies). Shared by tests/package/check.mjs and tests/vite-app/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../static.mjs';

const npm = (args, cwd) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });

/** Packs the repository (its dist/ as it is) into `dir`; returns the tarball's path. */
export function pack(dir) {
  const [{ filename }] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT));
  return path.join(dir, filename);
}

/**
 * Makes `dir` what a clean clone of this tree holds (the files git tracks, and the new ones it
 * does not ignore: no dist/), with this tree's node_modules (what `npm ci` installs) and
 * target/ (cargo's cache: the crate is compiled again, the standard library is not).
 */
export function checkout(dir) {
  const list = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  for (const file of list.split('\0').filter(Boolean)) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted, not committed yet
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, file));
  }
  for (const shared of ['node_modules', 'target']) fs.symlinkSync(path.join(ROOT, shared), path.join(dir, shared));
}

/**
 * Packs `project` as `npm publish` does, its scripts run (`prepack` builds dist/), into `dir`;
 * returns npm's manifest of the tarball (`files`, `size`...) and the tarball's path.
 */
export function packWithScripts(project, dir) {
  const out = npm(['pack', '--json', '--pack-destination', dir], project);
  // (The scripts' output comes first; the manifest is the JSON array that ends it.)
  const [manifest] = JSON.parse(out.slice(out.lastIndexOf('\n[\n') + 1));
  return { manifest, tarball: path.join(dir, manifest.filename) };
}

/** `npm publish --dry-run` in `project` (dist/ built): npm's manifest of what it would publish. */
export function publishDryRun(project) {
  const out = npm(['publish', '--dry-run', '--json', '--ignore-scripts'], project);
  return JSON.parse(out.slice(out.indexOf('{')))['eventsource-wasm'];
}

/**
 * Makes `dir` a project (package.json with `extra`) and installs `tarball`
 * into its own node_modules, offline.
 */
export function installInto(dir, tarball, extra = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name: 'consumer', private: true, version: '0.0.0', type: 'module', ...extra };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  npm(['install', '--offline', '--no-package-lock', '--ignore-scripts', tarball], dir);
  return path.join(dir, 'node_modules', 'eventsource-wasm');
}
