// The browser tests' server on 127.0.0.1 (ephemeral port): static files and
// one SSE endpoint.
//
//   /sse?tag=T       1st connection: `retry: 20`, id 1, `one`, named `two`, end.
//                    Later ones: `three last-event-id=<header>`, kept open.
//   /requests?tag=T  JSON: the headers of each /sse request with that tag
//   /<mount>/...     static files: mounts = { 'dist': '/abs/dir', ... }
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

export async function startServer(mounts) {
  const requests = new Map(); // tag -> [headers]
  const sockets = new Set();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/sse') {
      const tag = url.searchParams.get('tag') ?? '';
      const list = requests.get(tag) ?? [];
      requests.set(tag, list);
      list.push(req.headers);
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
      if (list.length === 1) {
        res.end('retry: 20\nid: 1\ndata: one\n\nevent: named\ndata: two\n\n');
      } else {
        res.write(`data: three last-event-id=${req.headers['last-event-id'] ?? ''}\n\n`);
      }
      return;
    }
    if (url.pathname === '/requests') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(requests.get(url.searchParams.get('tag')) ?? []));
      return;
    }
    const [, mount, ...rest] = url.pathname.split('/');
    const root = mounts[mount];
    let file = root && path.resolve(root, decodeURIComponent(rest.join('/')) || 'index.html');
    if (!root || !file.startsWith(path.resolve(root))) {
      res.writeHead(404).end();
      return;
    }
    try {
      if ((await fs.stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const body = await fs.readFile(file);
      res.writeHead(200, {
        'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    requests: (tag) => requests.get(tag) ?? [],
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
