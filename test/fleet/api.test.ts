/** Fleet, interruption, alert and session routes over real HTTP and MQTT, with role refusals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ROLES, type Role } from '../../gateway/roles.js';
import { connectRecorder, mqttUrl, refusedCode } from '../broker/mqtt-helpers.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

let gw: TestGateway;
let manager: ApiClient;
const MIN = 60_000;

beforeAll(async () => {
  gw = await startGateway({ fleet: { historyBucketS: 60 } });
  manager = await gw.as('equipment-manager');
});
afterAll(() => gw.stop());

describe('recorders API', () => {
  it('registers a recorder and returns its credential once; it connects with it', async () => {
    const r = await manager.post('/api/recorders', { serial: 'API-1', model: 'BC-9', unit: '执法一处' });
    expect(r.status).toBe(200);
    expect(r.body.credential).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(r.body.recorder.credentialHash).toBeUndefined();
    expect((await manager.post('/api/recorders', { serial: 'API-1' })).status).toBe(409);
    expect((await manager.post('/api/recorders', { serial: 'bad serial!' })).status).toBe(400);
    const list = await manager.get('/api/recorders');
    const me = list.body.find((x: { serial: string }) => x.serial === 'API-1');
    expect(me).toMatchObject({ model: 'BC-9', unit: '执法一处', registeredBy: manager.username });
    expect(JSON.stringify(list.body)).not.toContain(r.body.credential);
    expect(JSON.stringify(list.body)).not.toContain('sha256$');
    const c = await connectRecorder(gw, 'API-1', r.body.credential);
    await c.end();
  });

  it('rotates a credential: the old one is refused at once', async () => {
    const { body } = await manager.post('/api/recorders', { serial: 'API-2' });
    const rotated = await manager.post('/api/recorders/API-2/credential');
    expect(rotated.status).toBe(200);
    expect(
      await refusedCode(mqttUrl(gw), { clientId: 'API-2', username: 'API-2', password: body.credential }),
    ).toBe(4);
    expect(
      await refusedCode(mqttUrl(gw), {
        clientId: 'API-2',
        username: 'API-2',
        password: rotated.body.credential,
      }),
    ).toBe(0);
    expect((await manager.post('/api/recorders/NOPE/credential')).status).toBe(404);
  });

  it('shows health, forecast, history and alerts from telemetry', async () => {
    const { body } = await manager.post('/api/recorders', { serial: 'API-3' });
    const c = await connectRecorder(gw, 'API-3', body.credential);
    const t0 = Date.now() - 30 * MIN;
    // Recording, draining 20 %/h, storage filling: 30 samples one minute apart.
    for (let i = 0; i <= 30; i++) {
      await c.telemetry({
        at: t0 + i * MIN,
        state: 'recording',
        battery: { pct: 30 - i / 3, voltageMv: 3700, charging: false, tempC: 30 },
        storage: { totalBytes: 64e9, freeBytes: 20e9 - i * 60e6 },
      });
    }
    await waitFor(() => gw.app.field.health.get('API-3')?.telemetry?.at === t0 + 30 * MIN, 'telemetry');
    const list = await manager.get('/api/recorders');
    const h = list.body.find((x: { serial: string }) => x.serial === 'API-3').health;
    expect(h.online).toBe(true);
    expect(h.forecast.batteryDrawPctPerH).toBeCloseTo(20, 0);
    expect(h.forecast.batteryS / 3600).toBeCloseTo(1, 1);
    expect(h.forecast.storageFillBytesPerS).toBeCloseTo(1e6, -4);
    expect(h.conditions).toEqual(expect.arrayContaining(['battery-low', 'battery-forecast']));

    await gw.app.field.health.flush();
    const detail = await manager.get('/api/recorders/API-3?hours=1');
    expect(detail.status).toBe(200);
    expect(detail.body.history.length).toBeGreaterThanOrEqual(30);
    expect(detail.body.history[0]).toMatchObject({ state: 'recording' });
    expect(detail.body.connected).toBe(true);

    const alerts = await manager.get('/api/alerts?active=true&subject=API-3');
    const low = alerts.body.find((a: { rule: string }) => a.rule === 'battery-low');
    expect(low).toMatchObject({ severity: 'warning', notify: ['equipment-manager'] });
    const ack = await manager.post(`/api/alerts/${low.id}/ack`);
    expect(ack.body.ack.by).toBe(manager.username);
    expect((await manager.post('/api/alerts/nope/ack')).status).toBe(404);
    await c.end();
  });

  it('keeps a maintenance log (R21)', async () => {
    await manager.post('/api/recorders', { serial: 'API-4' });
    const add = await manager.post('/api/recorders/API-4/maintenance', {
      kind: 'battery-replaced',
      text: '更换电池',
    });
    expect(add.status).toBe(200);
    await manager.post('/api/recorders/API-4/maintenance', {
      kind: 'inspection',
      text: 'lens cleaned',
      at: 1000,
    });
    expect(
      (await manager.post('/api/recorders/API-4/maintenance', { kind: 'smashed', text: 'x' })).status,
    ).toBe(400);
    expect((await manager.post('/api/recorders/NOPE/maintenance', { kind: 'other', text: 'x' })).status).toBe(
      404,
    );
    const list = await manager.get('/api/recorders/API-4/maintenance');
    expect(list.body.map((e: { kind: string }) => e.kind)).toEqual(['battery-replaced', 'inspection']);
    expect(list.body[0].by).toBe(manager.username);
  });

  it('refuses a command to a recorder that is not connected', async () => {
    await manager.post('/api/recorders', { serial: 'API-5' });
    const r = await manager.post('/api/recorders/API-5/commands', { cmd: 'locate', seconds: 5 });
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('RECORDER_OFFLINE');
    expect((await manager.post('/api/recorders/API-5/commands', { cmd: 'format' })).status).toBe(400);
  });

  it('lists sessions with flags', async () => {
    const { body } = await manager.post('/api/recorders', { serial: 'API-6' });
    const c = await connectRecorder(gw, 'API-6', body.credential);
    await c.event({ type: 'session-started', sessionId: 'S1', activity: 'hearing', at: 1_000_000 });
    await c.event({ type: 'session-ended', sessionId: 'S1', at: 2_000_000 });
    await gw.app.field.ingest.idle();
    const flagged = await manager.get('/api/sessions?flagged=true&serial=API-6');
    expect(flagged.body).toMatchObject([{ sessionId: 'S1', flags: [{ flag: 'no-notice' }] }]);
    expect((await manager.get('/api/sessions/API-6/S1')).body.requirement).toBe('continuous');
    expect((await manager.get('/api/sessions?flagged=maybe')).status).toBe(400);
    await c.end();
  });
});

describe('roles', () => {
  const clients = new Map<Role, ApiClient>();
  beforeAll(async () => {
    for (const r of ALL_ROLES) clients.set(r, await gw.as(r));
    await manager.post('/api/recorders', { serial: 'ROLE-1' });
  });

  const refused: [Role, string, string, unknown?][] = [
    ['officer', 'GET', '/api/recorders'],
    ['officer', 'GET', '/api/alerts'],
    ['officer', 'GET', '/api/sessions'],
    ['officer', 'POST', '/api/interruptions/x/close', {}],
    ['hearing-staff', 'GET', '/api/recorders'],
    ['hearing-staff', 'GET', '/api/sessions'],
    ['hearing-staff', 'POST', '/api/recorders', { serial: 'HS-1' }],
    ['auditor', 'POST', '/api/recorders', { serial: 'AU-1' }],
    ['auditor', 'POST', '/api/recorders/ROLE-1/maintenance', { kind: 'other', text: 'x' }],
    ['auditor', 'POST', '/api/interruptions/x/explain', { text: 'x' }],
    ['auditor', 'POST', '/api/alerts/x/ack', {}],
    ['legal-affairs', 'POST', '/api/recorders', { serial: 'LA-1' }],
    ['legal-affairs', 'POST', '/api/recorders/ROLE-1/commands', { cmd: 'locate', seconds: 1 }],
    ['principal', 'PATCH', '/api/recorders/ROLE-1', { unit: 'x' }],
    ['principal', 'POST', '/api/recorders/ROLE-1/credential', {}],
    ['equipment-manager', 'POST', '/api/interruptions/x/close', {}],
  ];
  it.each(refused)('%s: %s %s is refused', async (role, method, path, body) => {
    const r = await clients.get(role)!.request(method, path, body);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('FORBIDDEN');
  });

  const allowed: [Role, string, string, number][] = [
    ['officer', 'GET', '/api/interruptions', 200],
    ['hearing-staff', 'GET', '/api/alerts', 200],
    ['auditor', 'GET', '/api/recorders', 200],
    ['auditor', 'GET', '/api/sessions', 200],
    ['legal-affairs', 'GET', '/api/recorders/ROLE-1', 200],
    ['principal', 'POST', '/api/interruptions/x/close', 404],
    ['equipment-manager', 'PATCH', '/api/recorders/ROLE-1', 200],
  ];
  it.each(allowed)('%s: %s %s passes the role check', async (role, method, path, status) => {
    const r = await clients.get(role)!.request(method, path, method === 'GET' ? undefined : { unit: '二处' });
    expect(r.status).toBe(status);
  });

  it('refuses every route to anonymous callers', async () => {
    const mine = gw.app.api.routes.filter((r) =>
      /^\/api\/(recorders|interruptions|alerts|sessions)/.test(r.path),
    );
    expect(mine.length).toBeGreaterThanOrEqual(14);
    for (const r of mine) {
      const path = r.path.replace(':serial', 'ROLE-1').replace(':id', 'x').replace(':sessionId', 's');
      const res = await fetch(`${gw.url}${path}`, { method: r.method.toUpperCase() });
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
    }
  });
});
