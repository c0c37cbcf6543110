/**
 * The signed-in web front both composition roots build the same way (an office's gateway/app.ts,
 * central's gateway/central/app.ts): accounts, the failed-login guard and the API from one
 * `http` config, and serving it once the services run.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpConfig } from '../config.js';
import type { Db } from '../db.js';
import type { EventBus } from '../events.js';
import type { AuditSink } from '../integrity/admin-audit.js';
import type { Logger } from '../log.js';
import type { AuditLog } from '../store/audit-log.js';
import { UserStore } from '../users.js';
import { LoginGuard } from './login-guard.js';
import { Api, type ApiOptions, type HttpServer, listen } from './server.js';

/** The built dashboard (vite), served by both roots. */
export const DASHBOARD_DIST = resolve(fileURLToPath(new URL('../../dashboard/dist', import.meta.url)));

export interface WebFront {
  users: UserStore;
  guard: LoginGuard;
  api: Api;
}

export function buildWebFront(o: {
  http: HttpConfig;
  db: Db;
  bus: EventBus;
  log: Logger;
  /** Where sign-ins and user administration are audited (R24). */
  audit: () => AuditLog;
  api?: Pick<ApiOptions, 'beforeLogin' | 'observeHttp'>;
}): WebFront {
  const { http, db, bus, log } = o;
  const sink: AuditSink = (e) => o.audit().append(e);
  const users = new UserStore(db, http.sessionHours, http.sessionIdleMinutes, sink);
  const guard = new LoginGuard({ config: http.login, db, audit: o.audit, log: log.child({ svc: 'login' }) });
  const api = new Api({
    users,
    bus,
    log,
    staticDir: DASHBOARD_DIST,
    guard,
    maxBodyBytes: http.maxBodyBytes,
    secure: http.tls !== undefined,
    ...o.api,
  });
  return { users, guard, api };
}

/** Mounts the dashboard after every API route and listens (config port 0 = ephemeral). */
export function serveWebFront(api: Api, http: HttpConfig): Promise<HttpServer> {
  api.mountStatic();
  const { host, port, tls, headersTimeoutS, requestTimeoutS } = http;
  return listen(api.app, host, port, tls, {
    headersMs: headersTimeoutS * 1000,
    requestMs: requestTimeoutS * 1000,
  });
}
