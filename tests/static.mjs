// The repository's files as the test servers serve them (pages, page scripts, dist/): one
// place for the root, the MIME types and the check that a path stays inside the root.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * The file a URL path names below the repository root (or below `root`): `{ status: 200,
 * data, type }`, or `{ status }` alone: 400 for a path that does not decode, 403 for one
 * that leaves the root, 404 for no such file.
 */
export async function readStatic(pathname, root = ROOT) {
  let rel;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return { status: 400 };
  }
  const file = path.resolve(root, `.${path.posix.normalize(rel)}`);
  if (!file.startsWith(root + path.sep)) return { status: 403 };
  try {
    return { status: 200, data: await fs.readFile(file), type: MIME[path.extname(file)] ?? 'application/octet-stream' };
  } catch {
    return { status: 404 };
  }
}
