/**
 * HTTP API (JSON) and the dashboard's static files. Every route declares the roles that may call it
 * and validates its input with zod; failures come back as {error:{code,message}} (R24).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { matchedRoutes } from 'hono/route';
import { streamSSE } from 'hono/streaming';
import type { z } from 'zod';
import { GatewayError, httpStatusFor } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { Role } from '../roles.js';
import type { PublicUser, UserStore } from '../users.js';
import { bodyLimited, remoteAddress, requireJson, securityHeaders } from './http-guards.js';
import { visibleTo } from './live-filter.js';
import type { LoginGuard } from './login-guard.js';
import { LoginBody } from './schemas.js';
import { staticFiles } from './static-files.js';

export const SESSION_COOKIE = 'gw_session';
/** Live-stream events written but not yet flushed to one client before it is dropped. */
export const MAX_PENDING_SSE = 2000;

type Env = { Variables: { user: PublicUser } };
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Request<B, Q> {
  user: PublicUser;
  body: B;
  query: Q;
  params: Record<string, string>;
  c: Context<Env>;
}

export interface RouteSpec<B, Q> {
  method: Method;
  path: string;
  /** Roles that may call the route; 'any' = every signed-in user. */
  roles: readonly Role[] | 'any';
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
}

export type Handler<B, Q> = (req: Request<B, Q>) => unknown | Promise<unknown>;

export interface ApiOptions {
  users: UserStore;
  bus: EventBus;
  log: Logger;
  staticDir?: string;
  /** Refuses a login when its session could not be written safely (disk below the state reserve). */
  beforeLogin?: () => Promise<void>;
  /** Failed-login backoff and locks; none = unlimited (unit tests of routes only). */
  guard?: LoginGuard;
  /** Request bodies above this are refused (413) while they stream in. */
  maxBodyBytes?: number;
  /** Served over TLS: session cookies are marked Secure. */
  secure?: boolean;
  /** Each answered request, by its matched route pattern (the /metrics counters). */
  observeHttp?: (method: string, route: string, status: number, seconds: number) => void;
}

export class Api {
  readonly app = new Hono<Env>();
  readonly routes: { method: Method; path: string; roles: readonly Role[] | 'any' }[] = [];

  constructor(private readonly opts: ApiOptions) {
    const observe = opts.observeHttp;
    if (observe)
      this.app.use('*', async (c, next) => {
        const t0 = performance.now();
        await next();
        // The first route proper (not a `use` middleware) that matched: the handler that answered.
        const route = matchedRoutes(c).find((r) => r.method !== 'ALL')?.path ?? 'unmatched';
        observe(c.req.method, route, c.res.status, (performance.now() - t0) / 1000);
      });
    this.app.use('*', securityHeaders());
    this.app.use('*', bodyLimited(opts.maxBodyBytes ?? 1024 * 1024));
    this.app.onError((err, c) => {
      if (err instanceof GatewayError) {
        const retryAfterS = err.details?.retryAfterS;
        if (typeof retryAfterS === 'number') c.header('retry-after', String(retryAfterS)); // RFC 9110 §10.2.3
        return c.json(
          { error: { code: err.code, message: err.message, details: err.details } },
          httpStatusFor(err.code),
        );
      }
      opts.log.error({ err, path: c.req.path }, 'api handler failed');
      return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
    });
    this.#authRoutes();
    this.route({ method: 'get', path: '/api/events', roles: 'any' }, ({ c }) => this.#liveStream(c));
  }

  route<B = undefined, Q = undefined>(spec: RouteSpec<B, Q>, handler: Handler<B, Q>): void {
    this.routes.push({ method: spec.method, path: spec.path, roles: spec.roles });
    this.app[spec.method](spec.path, async (c) => {
      const user = await this.#authenticate(c);
      if (spec.roles !== 'any' && !user.roles.some((r) => (spec.roles as readonly Role[]).includes(r))) {
        this.opts.log.warn({ user: user.username, path: c.req.path }, 'role refused');
        throw new GatewayError('FORBIDDEN', `requires one of: ${(spec.roles as readonly Role[]).join(', ')}`);
      }
      const body = spec.body ? parseInput(spec.body, await readJson(c), 'body') : (undefined as B);
      const query = spec.query ? parseInput(spec.query, c.req.query(), 'query') : (undefined as Q);
      const out = await handler({ user, body, query, params: c.req.param() as Record<string, string>, c });
      if (out instanceof Response) return out;
      return c.json(out ?? { ok: true });
    });
  }

  async #authenticate(c: Context<Env>): Promise<PublicUser> {
    const header = c.req.header('authorization');
    const token = header?.startsWith('Bearer ') ? header.slice(7) : getCookie(c, SESSION_COOKIE);
    const user = token ? await this.opts.users.session(token) : undefined;
    if (!user) throw new GatewayError('UNAUTHENTICATED', 'sign in first');
    c.set('user', user);
    return user;
  }

  #authRoutes(): void {
    const cookie = `HttpOnly; SameSite=Strict; Path=/${this.opts.secure ? '; Secure' : ''}`;
    this.app.post('/api/login', async (c) => {
      // JSON only: a cross-site HTML form can send text/plain or form bodies, never application/json.
      requireJson(c);
      const body = parseInput(LoginBody, await readJson(c), 'body');
      const address = remoteAddress(c);
      const guard = this.opts.guard;
      await guard?.check(body.username, address);
      await this.opts.beforeLogin?.();
      const s = await this.opts.users.login(body.username, body.password).catch(async (e) => {
        this.opts.log.warn({ address }, 'login refused');
        if (guard && e instanceof GatewayError && e.code === 'BAD_CREDENTIALS') {
          const known = (await this.opts.users.get(body.username).catch(() => undefined)) !== undefined;
          await guard.failed(body.username, address, known);
        }
        throw e;
      });
      guard?.succeeded(body.username);
      const maxAge = Math.floor((s.expiresAt - Date.now()) / 1000);
      c.header('set-cookie', `${SESSION_COOKIE}=${s.token}; ${cookie}; Max-Age=${maxAge}`);
      return c.json({ token: s.token, user: s.user, expiresAt: new Date(s.expiresAt).toISOString() });
    });
    this.app.post('/api/logout', async (c) => {
      const token = getCookie(c, SESSION_COOKIE) ?? c.req.header('authorization')?.slice(7);
      if (token) await this.opts.users.logout(token);
      c.header('set-cookie', `${SESSION_COOKIE}=; ${cookie}; Max-Age=0`);
      return c.json({ ok: true });
    });
    this.route({ method: 'get', path: '/api/me', roles: 'any' }, ({ user }) => user);
  }

  /** Server-sent events: every bus event as `event: <name>` with a JSON data line. */
  #liveStream(c: Context<Env>): Response {
    return streamSSE(c, async (stream) => {
      let id = 0;
      /** Frames queued or being written. */
      let pending = 0;
      // Frames of one turn of the event loop go out in one write: at 5000 recorders the bus emits
      // ~1000 events a second, and a write (a writev syscall) per frame cost the gateway ~10 % of
      // its CPU time per open dashboard (bench/telemetry.ts profile).
      let queued: string[] = [];
      const flush = () => {
        const n = queued.length;
        const text = queued.join('');
        queued = [];
        void stream.write(text).finally(() => {
          pending -= n;
        });
      };
      const roles = c.get('user').roles;
      const off = this.opts.bus.onAny((name, payload) => {
        if (!visibleTo(roles, name, payload)) return;
        // A client that cannot keep up is cut off rather than buffered without bound; EventSource
        // reconnects and the dashboard refetches what it shows.
        if (pending >= MAX_PENDING_SSE) {
          this.opts.log.warn(
            { user: c.get('user')?.username, pending },
            'live stream client too slow, closing',
          );
          off();
          stream.abort();
          (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.destroy();
          return;
        }
        pending++;
        // The SSE frame writeSSE would build: JSON has no raw line breaks, event names are ours.
        if (queued.push(`event: ${name}\ndata: ${JSON.stringify(payload)}\nid: ${++id}\n\n`) === 1) {
          setImmediate(flush);
        }
      });
      stream.onAbort(off);
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ at: new Date().toISOString() }) });
      while (!stream.aborted) {
        await stream.sleep(15_000);
        if (!stream.aborted) await stream.writeSSE({ event: 'ping', data: '{}' });
      }
      off();
    });
  }

  /** Mount the built dashboard (single-page app) after all API routes. */
  mountStatic(): void {
    const dir = this.opts.staticDir;
    if (!dir || !existsSync(join(dir, 'index.html'))) return;
    const files = staticFiles(resolve(dir));
    this.app.use('/*', files.middleware);
    this.app.get('*', async (c) => {
      if (c.req.path.startsWith('/api/')) throw new GatewayError('NOT_FOUND', `no route ${c.req.path}`);
      const index = await files.send(c, '/index.html');
      if (!index) throw new GatewayError('NOT_FOUND', 'no dashboard');
      return index;
    });
  }
}

function parseInput<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const r = schema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${where}.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new GatewayError('BAD_REQUEST', msg);
  }
  return r.data;
}

/** The body, already bounded by bodyLimited before any of it was buffered. */
async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError('BAD_REQUEST', 'body is not valid JSON');
  }
}

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export async function listen(
  app: Hono<Env>,
  host: string,
  port: number,
  tls?: { certFile: string; keyFile: string },
  timeouts: { headersMs: number; requestMs: number } = { headersMs: 10_000, requestMs: 30_000 },
): Promise<HttpServer> {
  // Slow clients (headers or a body dribbled a byte at a time) are cut off; Node checks every
  // connectionsCheckingInterval, so it is kept well below the timeouts.
  const limits = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    connectionsCheckingInterval: Math.min(1000, timeouts.headersMs / 2),
  };
  const serverOptions = tls
    ? { ...limits, cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) }
    : limits;
  const server: ServerType = await new Promise((res, rej) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port,
        serverOptions,
        ...(tls ? { createServer: createHttpsServer } : {}),
      },
      () => res(s),
    );
    s.once('error', rej);
  });
  const addr = server.address() as AddressInfo;
  return {
    port: addr.port,
    close: () =>
      new Promise<void>((res) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => res());
      }),
  };
}
