/**
 * `/healthz` and `/metrics`, outside the signed-in API.
 * - `/healthz` answers anyone with `{"status":"ok"}` (200) or `{"status":"degraded"}` (503) and
 *   nothing more: which part is unwell is for the dashboard and the metrics, not the network.
 *   Degraded = a critical alert is open (R19 interruption, R25 integrity failure, disk reserve).
 * - `/metrics` serves Prometheus text to loopback clients (a local node_exporter-style scraper or
 *   an SSH tunnel), and to others only with `Authorization: Bearer <token>` where the token is the
 *   content of `observability.metricsTokenFile`; without that file, only loopback.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Hono } from 'hono';
import { remoteAddress } from '../api/http-guards.js';
import type { AlertSeverity } from '../events.js';
import type { GatewayMetrics } from './metrics.js';

export interface ObservabilityRouteOptions {
  metrics: GatewayMetrics;
  /** File holding the bearer token for remote scrapers (read at each scrape: rotation needs no restart). */
  tokenFile?: string;
  activeAlerts: () => Promise<{ severity: AlertSeverity }[]>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;

async function tokenMatches(header: string | undefined, file: string | undefined): Promise<boolean> {
  if (!file || !header?.startsWith('Bearer ')) return false;
  const want = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (want.length < 16) return false;
  const a = Buffer.from(header.slice(7).trim());
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

// biome-ignore lint/suspicious/noExplicitAny: the Api's Hono env is private to it
export function observabilityRoutes(app: Hono<any>, o: ObservabilityRouteOptions): void {
  app.get('/healthz', async (c) => {
    c.header('cache-control', 'no-store');
    const degraded = (await o.activeAlerts().catch(() => [{ severity: 'critical' as const }])).some(
      (a) => a.severity === 'critical',
    );
    return c.json({ status: degraded ? 'degraded' : 'ok' }, degraded ? 503 : 200);
  });
  app.get('/metrics', async (c) => {
    c.header('cache-control', 'no-store');
    const local = LOOPBACK.test(remoteAddress(c));
    if (!local && !(await tokenMatches(c.req.header('authorization'), o.tokenFile))) {
      c.header('www-authenticate', 'Bearer realm="metrics"');
      return c.json({ error: { code: 'UNAUTHENTICATED', message: 'metrics need a bearer token' } }, 401);
    }
    const body = await o.metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': o.metrics.registry.contentType });
  });
}
