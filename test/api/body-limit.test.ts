/**
 * Bounded HTTP bodies: a 200 MB login streamed at the gateway (no Content-Length, so nothing but
 * the bytes themselves can tell it is too big) is refused with 413 after the first megabyte, and
 * the gateway's RSS — a child process running `gateway run`, read from /proc/<pid>/status — stays
 * where it was. A declared Content-Length over the limit is refused before any body is read, on
 * every route, signed in or not.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildGateway, startChildGateway } from '../helpers/child-gateway.js';
import { waitFor } from '../helpers/wait.js';

const MB = 1024 * 1024;
let gw: ChildGateway;

beforeAll(async () => {
  gw = await startChildGateway({ http: { headersTimeoutS: 2, requestTimeoutS: 4 } });
}, 90_000);
afterAll(() => gw?.stop());

/**
 * Streams up to `total` bytes (chunked) and stops writing when the response arrives; resolves
 * with its status and how much had been written by then.
 */
function stream(path: string, total: number): Promise<{ status: number; written: number; body: string }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    chunk[0] = 0x22; // '"': a JSON string that never ends
    const req = request(
      {
        host: '127.0.0.1',
        port: gw.httpPort,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        answered = true;
        const at = written;
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, written: at, body });
        });
      },
    );
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const pump = () => {
      while (!answered && written < total) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('HTTP request bodies are bounded while they stream', () => {
  it('refuses a 200 MB streamed POST /api/login with 413 early, without the RSS growing', async () => {
    // Warm the paths once (code loaded, buffers allocated) before the baseline.
    expect((await stream('/api/login', 2 * MB)).status).toBe(413);
    const before = await gw.settledRss();
    const r = await stream('/api/login', 200 * MB);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    // The limit is 1 MB; what was written beyond it sat in socket buffers when the answer came.
    expect(r.written).toBeLessThan(32 * MB);
    const after = await gw.settledRss();
    console.log(
      `RSS before ${(before / MB).toFixed(1)} MB, after a 200 MB login ${(after / MB).toFixed(1)} MB; ` +
        `${(r.written / MB).toFixed(1)} MB written when 413 arrived`,
    );
    // A 1 MB buffer and the few MB read before the answer, not yet collected; never the 200 MB.
    expect(after - before).toBeLessThan(12 * MB);
  }, 60_000);

  it('refuses a declared Content-Length over the limit before reading, on any route', async () => {
    for (const path of ['/api/login', '/api/recorders', '/api/nope']) {
      const r = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'x'.repeat(2 * MB) }),
      });
      expect(r.status, path).toBe(413);
    }
  });

  it('still takes a body under the limit', async () => {
    const r = await fetch(`http://127.0.0.1:${gw.httpPort}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody', password: `${'x'.repeat(200)}` }),
    });
    expect(r.status).toBe(401);
  });

  it('cuts off clients that dribble their headers or body', async () => {
    const slow = (head: string, drip: string) => {
      const s = connect({ host: '127.0.0.1', port: gw.httpPort });
      let closed = false;
      s.on('error', () => {});
      s.once('close', () => {
        closed = true;
      });
      s.write(head);
      let i = 0;
      const timer = setInterval(() => {
        if (!s.destroyed) s.write(drip[i++ % drip.length] as string);
      }, 200);
      return { closed: () => closed, stop: () => clearInterval(timer) };
    };
    const headers = slow('POST /api/login HTTP/1.1\r\nHost: gw\r\n', 'X-Slow: aaaaaaaa\r\n');
    const body = slow(
      'POST /api/login HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n',
      ' ',
    );
    try {
      // 2 s for headers, 4 s for a whole request here; Node's defaults are 60 s and 300 s.
      await waitFor(() => headers.closed() && body.closed(), 'both slow clients to be cut off', 20_000, 100);
    } finally {
      headers.stop();
      body.stop();
    }
  }, 30_000);
});
