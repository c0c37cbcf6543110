/**
 * /healthz (anyone; ok or degraded, nothing more) and /metrics (Prometheus text; loopback, or a
 * bearer token from a file for remote scrapers), over real HTTP.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const TOKEN = 'metrics-token-0123456789abcdef';
let gw: TestGateway;
let dir: string;
/** This host's first non-loopback IPv4 address: requests from it are not loopback. */
const lan = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metrics-'));
  await writeFile(join(dir, 'token'), `${TOKEN}\n`);
  gw = await startGateway({
    http: { host: '0.0.0.0' },
    observability: { metricsTokenFile: join(dir, 'token') },
  });
});
afterAll(async () => {
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Value of one sample line `name{labels} value`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/healthz', () => {
  it('ok, then degraded while a critical alert is open, with no details', async () => {
    const ok = await fetch(`${gw.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok' });
    await gw.app.alerts.raise({
      rule: 'interruption-cannot-continue',
      subject: 'int-x',
      severity: 'critical',
      message: 'x',
      notify: ['principal'],
    });
    const bad = await fetch(`${gw.url}/healthz`);
    expect(bad.status).toBe(503);
    expect(await bad.json()).toEqual({ status: 'degraded' });
    await gw.app.alerts.clear('interruption-cannot-continue', 'int-x');
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});

describe('/metrics', () => {
  it('serves the Prometheus exposition to loopback without a token', async () => {
    await gw.app.alerts.raise({
      rule: 'battery-low',
      subject: 'R1',
      severity: 'warning',
      message: 'x',
      notify: [],
    });
    gw.app.bus.emit('hearing.segment', { sessionId: 's', clipId: 'c', bytes: 12345 });
    gw.app.bus.emit('ingest.progress', { clipId: 'k', serial: 'R1', bytesDone: 1000, bytes: 3000 });
    gw.app.bus.emit('ingest.progress', { clipId: 'k', serial: 'R1', bytesDone: 3000, bytes: 3000 });
    await gw.app.custody.issueCheckpoint('test', 'test');
    await fetch(`${gw.url}/healthz`);
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'gateway_alerts_open{severity="warning"}')).toBe(1);
    expect(sample(text, 'gateway_alerts_open{severity="critical"}')).toBe(0);
    expect(sample(text, 'gateway_ingest_bytes_total{source="camera"}')).toBe(12345);
    expect(sample(text, 'gateway_ingest_bytes_total{source="recorder"}')).toBe(3000);
    expect(sample(text, 'gateway_disk_free_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'gateway_recorders_online')).toBe(0);
    expect(sample(text, 'gateway_queue_depth{queue="notify-outbox"}')).toBe(0);
    // No sweep has run yet; a checkpoint is issued first (below) and its age read.
    expect(sample(text, 'gateway_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'gateway_integrity_sweep_age_seconds')).toBeNaN();
    expect(
      sample(text, 'gateway_http_requests_total{method="GET",route="/healthz",status="200"}'),
    ).toBeGreaterThan(0);
  });

  it.skipIf(!lan)('refuses other addresses without the bearer token, serves them with it', async () => {
    const url = `http://${lan}:${gw.app.httpPort}/metrics`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(
      (await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789abcd' } })).status,
    ).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('gateway_disk_free_bytes');
    // /healthz stays open to everyone.
    expect((await fetch(`http://${lan}:${gw.app.httpPort}/healthz`)).status).toBe(200);
  });
});
