/**
 * The dashboard's built files, compressed and cached. Vite names every bundle after its content
 * (`/assets/index-3f9a1c.js`), so those are cacheable for a year (`immutable`); everything else
 * (index.html, which names the bundles) is revalidated on each load. Text files are sent brotli- or
 * gzip-compressed when the browser accepts it, each compressed once and kept in memory (the build
 * is a few MB and does not change while the gateway runs).
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Context, MiddlewareHandler } from 'hono';

const br = promisify(brotliCompress);
const gz = promisify(gzip);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.txt', '.map']);
/** Files above this are sent as they are, uncached (the build has none). */
const MAX_CACHED = 16 * 1024 * 1024;
export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

interface Entry {
  raw: Buffer;
  br?: Promise<Buffer>;
  gzip?: Promise<Buffer>;
}

/** The best encoding the client accepts (RFC 9110 §12.5.3): br, then gzip, else none. */
export function pickEncoding(accept: string | undefined): 'br' | 'gzip' | undefined {
  const q = new Map<string, number>();
  for (const part of (accept ?? '').toLowerCase().split(',')) {
    const [name = '', ...params] = part.trim().split(';');
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    q.set(name.trim(), qp ? Number(qp.slice(2)) || 0 : 1);
  }
  const ok = (n: string) => (q.get(n) ?? q.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return undefined;
}

export function staticFiles(rootDir: string): {
  middleware: MiddlewareHandler;
  send: (c: Context, rel: string) => Promise<Response | undefined>;
} {
  const root = resolve(rootDir);
  const cache = new Map<string, Entry>();

  async function send(c: Context, rel: string): Promise<Response | undefined> {
    const file = resolve(root, `.${rel}`);
    if (file !== root && !file.startsWith(root + sep)) return undefined;
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return undefined;
    const ext = extname(file).toLowerCase();
    let entry = cache.get(file);
    if (!entry) {
      const raw = await readFile(file);
      entry = { raw };
      if (st.size <= MAX_CACHED) cache.set(file, entry);
    }
    const headers: Record<string, string> = {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': rel.startsWith('/assets/') ? IMMUTABLE : REVALIDATE,
      vary: 'accept-encoding',
    };
    let body = entry.raw;
    const enc =
      COMPRESSIBLE.has(ext) && entry.raw.length > 512
        ? pickEncoding(c.req.header('accept-encoding'))
        : undefined;
    if (enc === 'br') {
      entry.br ??= br(entry.raw, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: entry.raw.length },
      });
      body = await entry.br;
      headers['content-encoding'] = 'br';
    } else if (enc === 'gzip') {
      entry.gzip ??= gz(entry.raw, { level: 9 });
      body = await entry.gzip;
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    return c.body(new Uint8Array(body), 200, headers);
  }

  const middleware: MiddlewareHandler = async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    let rel: string;
    try {
      rel = decodeURIComponent(c.req.path);
    } catch {
      return next();
    }
    if (rel.startsWith('/api/') || rel.endsWith('/') || rel.includes('\0')) return next();
    return (await send(c, rel)) ?? next();
  };
  return { middleware, send };
}
