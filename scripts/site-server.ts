/**
 * A small static file server for the workshop site (Node only): GET and HEAD of files under one folder, with
 * content types a browser needs (wasm must be `application/wasm` for streaming compilation), nothing outside the
 * folder, no directory listings. Enough for a room on a LAN; any static host serves the same folder.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.csv': 'text/csv; charset=utf-8', '.md': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml',
};

export interface SiteServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serve `dir` on `host`:`port` (port 0: a free one); resolves once listening. `isolated` sends the cross-origin
 * isolation headers (COOP/COEP) with which a browser lets tfjs's wasm backend use threads; static hosts such as
 * GitHub Pages cannot, so the page never needs them.
 */
export function serveSite(dir: string, options: { host?: string; port?: number; isolated?: boolean } = {}): Promise<SiteServer> {
  const isolation = options.isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
  const root = path.resolve(dir);
  if (!fs.existsSync(path.join(root, 'index.html'))) throw new Error(`${root} holds no index.html: build the site first (npm run build:site).`);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    const file = path.join(root, path.normalize(rel.endsWith('/') ? `${rel}index.html` : rel));
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end('outside the site');
      return;
    }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${rel}`);
        return;
      }
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': st.size, 'Cache-Control': 'no-cache', ...isolation });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const a = server.address() as AddressInfo;
      const host = a.address.includes(':') ? `[${a.address}]` : a.address;
      resolve({ url: `http://${host}:${a.port}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
