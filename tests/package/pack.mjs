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

/** The tarball's manifest from `npm pack --dry-run --json`. */
export function dryRun() {
  return JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT))[0];
}

/** Packs the repository into `dir`; returns the tarball's path. */
export function pack(dir) {
  const [{ filename }] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT));
  return path.join(dir, filename);
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
