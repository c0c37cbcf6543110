/**
 * HTTPS from config with a certificate from `gateway cert self-signed` (the real CLI): the key is
 * owner-only, the session cookie is Secure, every response carries the security headers, the
 * built dashboard runs in Chromium under the CSP with no violation, sessions end when idle and
 * ended sessions are pruned on a timer.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../dashboard/browser.js';
import { ensureDashboardBuilt } from '../dashboard/build.js';
import { REPO } from '../helpers/child-gateway.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
let ca: Buffer;
let gw: TestGateway;
const IDLE_S = 3;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function https(method: string, path: string, opts: { body?: string; token?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: gw.app.httpPort,
        path,
        method,
        ca,
        headers: {
          ...(opts.body ? { 'content-type': 'application/json' } : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function signIn(username: string, password: string): Promise<Reply & { token: string }> {
  const r = await https('POST', '/api/login', { body: JSON.stringify({ username, password }) });
  return { ...r, token: JSON.parse(r.body).token };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw-https-'));
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'gateway/main.ts',
        'cert',
        'self-signed',
        '--out',
        dir,
        '--host',
        'localhost',
        '127.0.0.1',
      ],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`cert: ${code} ${err}`))));
  });
  const tls = JSON.parse(out).http.tls as { certFile: string; keyFile: string };
  ca = await readFile(tls.certFile);
  await ensureDashboardBuilt();
  gw = await startGateway({ http: { tls, sessionIdleMinutes: IDLE_S / 60, sessionPruneS: 0.5 } });
  await gw.app.users.add({
    username: 'sun.li',
    displayName: '孙丽',
    roles: ['legal-affairs'],
    password: 'right-password',
  });
}, 180_000);
afterAll(async () => {
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('gateway cert self-signed', () => {
  it('writes the key owner-only', async () => {
    expect((await stat(join(dir, 'key.pem'))).mode & 0o777).toBe(0o600);
    expect(ca.toString()).toMatch(/BEGIN CERTIFICATE/);
  });
});

describe('HTTPS', () => {
  it('serves the API over TLS only, with a Secure session cookie', async () => {
    const r = await signIn('sun.li', 'right-password');
    expect(r.status).toBe(200);
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(/gw_session=[^;]+;.*HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/; Secure/);
    // Plain HTTP on the same port gets no API.
    const plain = await new Promise<number | string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: gw.app.httpPort, path: '/api/me' }, (res) =>
        resolve(res.statusCode ?? 0),
      );
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      req.end();
    });
    expect(plain).not.toBe(401);
    expect(plain).not.toBe(200);
  });

  it('puts the security headers on every response', async () => {
    const { token } = await signIn('sun.li', 'right-password');
    const replies: [string, Reply][] = [
      [
        'login',
        await https('POST', '/api/login', { body: JSON.stringify({ username: 'x1', password: 'y' }) }),
      ],
      ['me', await https('GET', '/api/me', { token })],
      ['unauthenticated', await https('GET', '/api/me')],
      ['unknown api route', await https('GET', '/api/nope', { token })],
      ['too large', await https('POST', '/api/login', { body: JSON.stringify({ p: 'x'.repeat(2 << 20) }) })],
      ['dashboard', await https('GET', '/')],
      ['dashboard route', await https('GET', '/clips')],
    ];
    for (const [what, r] of replies) {
      const csp = String(r.headers['content-security-policy']);
      expect(csp, what).toMatch(/frame-ancestors 'none'/);
      expect(csp, what).toMatch(/script-src 'self'/);
      expect(r.headers['x-content-type-options'], what).toBe('nosniff');
      expect(r.headers['referrer-policy'], what).toBe('no-referrer');
      expect(r.headers['strict-transport-security'], what).toMatch(/max-age=/);
    }
    expect(replies.find(([w]) => w === 'dashboard')?.[1].status).toBe(200);
  });

  it('runs the built dashboard under the CSP without a violation', async () => {
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({
        baseURL: `https://localhost:${gw.app.httpPort}`,
        ignoreHTTPSErrors: true,
        locale: 'zh-CN',
      });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      await page.addInitScript(() =>
        document.addEventListener('securitypolicyviolation', (e) =>
          console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`),
        ),
      );
      await page.goto('/');
      await page.getByTestId('login-username').fill('sun.li');
      await page.getByTestId('login-password').fill('right-password');
      await page.getByTestId('login-submit').click();
      await page.getByTestId('app-title').waitFor();
      for (const path of ['/alerts', '/clips', '/audit']) {
        await page.goto(path);
        await page.getByTestId('app-title').waitFor();
      }
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});

describe('sessions', () => {
  it('end after the idle timeout, not while in use', async () => {
    const { token } = await signIn('sun.li', 'right-password');
    // In use for longer than the idle timeout: still signed in.
    const until = Date.now() + (IDLE_S + 1) * 1000;
    while (Date.now() < until) {
      expect((await https('GET', '/api/me', { token })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Left alone: it ends.
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    await waitFor(
      async () => (await https('GET', '/api/me', { token })).status === 401,
      'the idle session to end',
    );
  }, 30_000);

  it('are pruned from the index on a timer once ended', async () => {
    for (let i = 0; i < 3; i++) await gw.app.users.login('sun.li', 'right-password');
    expect(await gw.app.users.sessionCount()).toBeGreaterThanOrEqual(3);
    // Nothing touches them: only the pruner can remove them.
    await waitFor(
      async () => (await gw.app.users.sessionCount()) === 0,
      'ended sessions to be pruned',
      20_000,
      200,
    );
  }, 30_000);
});
