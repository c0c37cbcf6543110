/**
 * Starts the real gateway on ephemeral ports in a temp data dir and hands the test both ends
 * (zwave-js integration-helper style).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayApp } from '../../gateway/app.js';
import { type GatewayConfigInput, parseConfig } from '../../gateway/config.js';
import { createLogger, type Logger } from '../../gateway/log.js';
import type { Role } from '../../gateway/roles.js';

export interface TestGateway {
  app: GatewayApp;
  url: string;
  dataDir: string;
  /** Creates a user with the role(s) and returns a fetch bound to its session. */
  as(roles: Role | Role[]): Promise<ApiClient>;
  stop(): Promise<void>;
}

/** Response bodies in tests are whatever JSON the route returns; assertions check the shape. */
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON in test assertions
type Json = any;

export interface ApiClient {
  token: string;
  username: string;
  get(path: string): Promise<{ status: number; body: Json }>;
  post(path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
}

let userSeq = 0;

/** `opts.log`: the gateway's logger (a test that reads the log brings its own). */
export async function startGateway(
  overrides: GatewayConfigInput = {},
  opts: { log?: Logger } = {},
): Promise<TestGateway> {
  const dataDir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), 'gw-test-')));
  const config = parseConfig({
    ...overrides,
    dataDir,
    logLevel: overrides.logLevel ?? 'silent',
    mqtt: { port: 0, host: '127.0.0.1', ...overrides.mqtt },
    http: { port: 0, host: '127.0.0.1', ...overrides.http },
    dock: { ports: [], ...overrides.dock },
  });
  const app = new GatewayApp({
    config,
    log: opts.log ?? createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
  });
  await app.start();
  const url = `http://127.0.0.1:${app.httpPort}`;
  return {
    app,
    url,
    dataDir,
    async as(roles) {
      const list = Array.isArray(roles) ? roles : [roles];
      const username = `u${process.pid}x${++userSeq}`;
      const password = `pw-${username}-secret`;
      await app.users.add({ username, displayName: `测试${userSeq}`, roles: list, password });
      return apiClient(url, username, password);
    },
    async stop() {
      await app.stop();
      if (!overrides.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function apiClient(url: string, username: string, password: string): Promise<ApiClient> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  const request = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: r.status, body: parsed as Json };
  };
  return {
    token,
    username,
    request,
    get: (p) => request('GET', p),
    post: (p, b) => request('POST', p, b ?? {}),
  };
}
