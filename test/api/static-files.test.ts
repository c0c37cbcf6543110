/**
 * The dashboard's files over real HTTP: hashed bundles cached for a year, index.html revalidated,
 * text compressed with brotli or gzip as the browser accepts, nothing outside the build served.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, type HttpServer, listen } from '../../gateway/api/server.js';
import { pickEncoding } from '../../gateway/api/static-files.js';
import { EventBus } from '../../gateway/events.js';
import { createLogger } from '../../gateway/log.js';

let dir: string;
let http: HttpServer;
const js = Array.from({ length: 4000 }, (_, i) => `export const v${i} = "value ${i}";`).join('\n');

/** Raw bytes and headers (node:http does not decompress, unlike fetch). */
function raw(path: string, acceptEncoding?: string) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((ok, fail) => {
    const req = get(
      {
        host: '127.0.0.1',
        port: http.port,
        path,
        headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', fail);
  });
}

beforeAll(async () => {
  const base = await mkdtemp(join(tmpdir(), 'static-'));
  dir = join(base, 'dist');
  await mkdir(join(dir, 'assets'), { recursive: true });
  await writeFile(join(dir, 'index.html'), `<!doctype html><title>x</title>${'<!-- pad -->'.repeat(100)}`);
  await writeFile(join(dir, 'assets', 'index-3f9a1c.js'), js);
  await writeFile(join(base, 'secret.txt'), 'outside the build');
  const api = new Api({
    users: undefined as never,
    bus: new EventBus(),
    log: createLogger({ level: 'silent' }),
    staticDir: dir,
  });
  api.mountStatic();
  http = await listen(api.app, '127.0.0.1', 0);
});
afterAll(async () => {
  await http?.close();
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('dashboard static files', () => {
  it('hashed bundles: brotli when accepted, cached for a year', async () => {
    const r = await raw('/assets/index-3f9a1c.js', 'gzip, deflate, br');
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers.vary).toContain('accept-encoding');
    expect(r.headers['content-type']).toMatch(/^text\/javascript/);
    expect(brotliDecompressSync(r.body).toString()).toBe(js);
    expect(r.body.length).toBeLessThan(js.length / 4);
  });

  it('gzip for a browser without brotli, plain for one without either', async () => {
    const g = await raw('/assets/index-3f9a1c.js', 'gzip');
    expect(g.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(g.body).toString()).toBe(js);
    const p = await raw('/assets/index-3f9a1c.js');
    expect(p.headers['content-encoding']).toBeUndefined();
    expect(p.body.toString()).toBe(js);
  });

  it('index.html (and every app route that falls back to it) is revalidated, not cached', async () => {
    for (const path of ['/', '/index.html', '/fleet/DK0001']) {
      const r = await raw(path, 'br');
      expect(r.status).toBe(200);
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(brotliDecompressSync(r.body).toString()).toContain('<title>x</title>');
    }
  });

  it('nothing outside the build is served', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const r = await raw(path);
      expect(r.body.toString()).not.toContain('outside the build');
    }
  });

  it('reads Accept-Encoding q-values', () => {
    expect(pickEncoding('br;q=0, gzip')).toBe('gzip');
    expect(pickEncoding('identity')).toBeUndefined();
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding(undefined)).toBeUndefined();
  });
});
