/**
 * The index (LevelDB) wiped after a day's work and `gateway reindex` run: cases and their links, a
 * hearing and its segments, evidence discs (ready and refused), the camera (without its password),
 * a recorder session and acknowledged alerts come back from the audit log; the API answers as
 * before (docs/STATE.md, "Rebuilt, or disposable"). The camera comes back `passwordLost` and
 * records again once an equipment manager gives its password.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOffline } from '../../gateway/admin/commands.js';
import { GatewayApp } from '../../gateway/app.js';
import { parseConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';
import type { RecorderEvent } from '../../protocol/mqtt/messages.js';
import { type ApiClient, apiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { type HearingRig, rigCameraConfig, startHearingRig, waitFor } from './rig.js';

const CASE = '桂广电罚〔2026〕31号';
const SERIAL = 'RBLD0001';
const SESSION = 'rb-s1';

let rig: HearingRig;
let gw2: TestGateway | undefined;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gw-rebuild-'));
  rig = await startHearingRig(1, { firstOctet: 141, dataDir });
});
afterAll(async () => {
  await gw2?.stop();
  await rig?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

let seq = 0;
const ev = (e: Record<string, unknown>) => ({ v: 1, id: `e${++seq}`, seq, ...e }) as unknown as RecorderEvent;

/** A client of the same account on the rebuilt gateway (rebuilt accounts have no password: reset). */
async function again(gw: TestGateway, c: ApiClient): Promise<ApiClient> {
  const password = `pw-${c.username}-secret`;
  await gw.app.users.resetPassword(c.username, password, 'cli:test');
  return apiClient(gw.url, c.username, password);
}

describe('rebuilding records from the audit log', () => {
  it('brings every kind back as the API showed it before the index was lost', async () => {
    const { staff, manager, principal } = rig;
    const app = rig.gw.app;
    const legal = await rig.gw.as('legal-affairs');

    // A case, moved on a stage; a hearing for it (linked as it starts), stopped.
    expect(
      (await legal.post('/api/cases', { caseNo: CASE, type: 'penalty', title: '擅自播出', unit: '法制科' }))
        .status,
    ).toBe(200);
    expect(
      (
        await legal.post(`/api/cases/${encodeURIComponent(CASE)}/stage`, {
          stage: 'investigation',
          note: '立案',
        })
      ).status,
    ).toBe(200);
    const started = await staff.post('/api/hearings', { roomId: 'R1', caseNo: CASE, note: '听证一' });
    expect(started.status).toBe(200);
    const hearing = started.body.id as string;
    await waitFor(
      async () => (await staff.get(`/api/hearings/${hearing}`)).body.live.segments >= 2 || undefined,
      'two segments',
    );
    expect((await staff.post(`/api/hearings/${hearing}/stop`)).status).toBe(200);

    // A recorder session with a gap (R18) and no notice (R16), tagged with the case.
    const t0 = Date.UTC(2026, 11, 7, 1, 0, 0);
    await app.field.sessions.event(SERIAL, ev({ type: 'session-started', at: t0, sessionId: SESSION }));
    await app.field.sessions.event(SERIAL, ev({ type: 'recording-started', at: t0, sessionId: SESSION }));
    for (const [i, start] of [t0, t0 + 60_000, t0 + 600_000].entries()) {
      await app.field.sessions.event(
        SERIAL,
        ev({
          type: 'segment-closed',
          at: start + 60_000,
          sessionId: SESSION,
          clipId: `${SESSION}-c${i}`,
          start,
          end: start + 60_000,
          bytes: 1000 + i,
          sha256: 'a'.repeat(64),
        }),
      );
    }
    await app.field.sessions.event(
      SERIAL,
      ev({ type: 'marker', at: t0 + 5_000, sessionId: SESSION, marker: 'statement' }),
    );
    await app.field.sessions.event(
      SERIAL,
      ev({ type: 'session-ended', at: t0 + 700_000, sessionId: SESSION }),
    );
    const tagged = await legal.post(`/api/cases/${encodeURIComponent(CASE)}/links`, {
      targets: [{ kind: 'recorder-session', serial: SERIAL, sessionId: SESSION }],
      stage: 'investigation',
      note: '现场检查',
    });
    expect(tagged.status, JSON.stringify(tagged.body)).toBe(200);

    // Two discs: one built, one refused.
    const asked = await legal.post('/api/exports', {
      hearingIds: [hearing],
      caseNo: CASE,
      purpose: '报送上级机关复核',
      recipient: { kind: 'superior', name: '省广播电视局' },
    });
    expect(asked.status).toBe(200);
    await principal.post(`/api/exports/${asked.body.id}/approve`, { note: '同意' });
    await app.exports.settled(asked.body.id);
    const refused = await legal.post('/api/exports', {
      hearingIds: [hearing],
      caseNo: CASE,
      purpose: '当事人申请',
      recipient: { kind: 'party', name: '某公司' },
    });
    await principal.post(`/api/exports/${refused.body.id}/refuse`, { reason: '无法定理由' });

    // Alerts: one acknowledged and still active, one acknowledged then cleared.
    const kept = await app.alerts.raise({
      rule: 'rebuild-test',
      subject: 'kept',
      severity: 'critical',
      message: '甲',
      notify: ['principal'],
    });
    const gone = await app.alerts.raise({
      rule: 'rebuild-test',
      subject: 'gone',
      severity: 'warning',
      message: '乙',
    });
    expect((await principal.post(`/api/alerts/${kept.id}/ack`)).status).toBe(200);
    expect((await principal.post(`/api/alerts/${gone.id}/ack`)).status).toBe(200);
    await app.alerts.clear('rebuild-test', 'gone');

    const c = encodeURIComponent(CASE);
    const read = async (l: ApiClient, s: ApiClient, m: ApiClient, p: ApiClient) => ({
      case: (await l.get(`/api/cases/${c}`)).body,
      links: (await l.get(`/api/cases/${c}/links`)).body,
      hearing: (await s.get(`/api/hearings/${hearing}`)).body,
      segments: (await s.get(`/api/hearings/${hearing}/segments`)).body,
      exports: [
        (await l.get(`/api/exports/${asked.body.id}`)).body,
        (await l.get(`/api/exports/${refused.body.id}`)).body,
      ],
      session: (await m.get(`/api/sessions/${SERIAL}/${SESSION}`)).body,
      alerts: (
        (await p.get('/api/alerts?rule=rebuild-test')).body as {
          id: string;
          active: boolean;
          ack?: unknown;
        }[]
      ).sort((a, b) => (a.id < b.id ? -1 : 1)),
      camera: (await m.get('/api/cameras/cam1')).body,
    });
    const before = await read(legal, staff, manager, principal);
    expect(before.exports.map((e: { state: string }) => e.state)).toEqual(['ready', 'refused']);
    expect(before.session.flags.map((f: { flag: string }) => f.flag).sort()).toEqual(['gap', 'no-notice']);
    expect(before.segments.length).toBeGreaterThanOrEqual(2);
    expect(before.links.length).toBe(2);
    expect(before.case).toMatchObject({ caseNo: CASE, stage: 'investigation' });
    expect(before.hearing).toMatchObject({ id: hearing, state: 'stopped', stoppedBy: staff.username });

    // The index lost, then rebuilt offline.
    await rig.gw.stop();
    await rm(join(dataDir, 'index'), { recursive: true, force: true });
    const config = parseConfig({ dataDir, dock: { ports: [] }, cameras: rigCameraConfig(1) });
    const rebuilt = (await runOffline(
      config,
      async () => {
        const a = new GatewayApp({ config, log: createLogger({ level: 'silent' }) });
        await a.open();
        return a;
      },
      { command: 'reindex', by: 'ops.li' },
    )) as { state: Record<string, { restored: string[] }> };

    gw2 = await startGateway({ dataDir, cameras: rigCameraConfig(1) });
    const after = await read(
      await again(gw2, legal),
      await again(gw2, staff),
      await again(gw2, manager),
      await again(gw2, principal),
    );
    expect(after.case).toEqual(before.case);
    expect(after.links).toEqual(before.links);
    expect(after.hearing).toEqual(before.hearing);
    expect(after.segments).toEqual(before.segments);
    expect(after.exports).toEqual(before.exports);
    expect(after.session).toEqual(before.session);
    expect(after.alerts).toEqual(before.alerts);
    expect(after.alerts.map((a) => a.active)).toEqual([true, false]);

    // The camera: all but its password and what the camera says of itself; tried again once given.
    const { info: _i, health: _h, state: _s, snapshotAt: _a, preroll: _p, ...registered } = before.camera;
    expect(after.camera).toMatchObject({
      ...registered,
      passwordLost: true,
      info: null,
      state: 'auth-failed',
    });
    const m2 = await again(gw2, manager);
    expect((await m2.request('PUT', '/api/cameras/cam1/password', { password: 'wrong-pw' })).status).toBe(
      422,
    );
    const given = await m2.request('PUT', '/api/cameras/cam1/password', { password: 'Hear1ng-pw' });
    expect(given.status, JSON.stringify(given.body)).toBe(200);
    expect(given.body).toMatchObject({ state: 'online', info: { streamUri: before.camera.info.streamUri } });
    expect(given.body.passwordLost).toBeUndefined();
    // And the rebuild's own report (also in its `reindex` audit entry) says what came back.
    expect(rebuilt.state).toMatchObject({
      hearings: { restored: [hearing], segments: before.segments.length },
      cameras: { restored: ['cam1'], passwordLost: ['cam1'] },
      sessions: { restored: 1, updated: 0 },
    });
  }, 120_000);
});
