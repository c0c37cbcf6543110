/**
 * R22 from the field: a clip closed on a recorder that is out (MQTT segment-closed over real TCP)
 * is known to the gateway at once as on-recorder with its deadline, so a recorder that never comes
 * back to a dock still raises the overdue alert.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRecorder, type RecorderClient, register } from '../broker/mqtt-helpers.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { until } from '../pairing/rig.js';

const H = 3_600_000;
let gw: TestGateway;
let rec: RecorderClient;
let legal: ApiClient;

beforeAll(async () => {
  gw = await startGateway({ dock: { overdueCheckS: 0.2 } });
  legal = await gw.as('legal-affairs');
  rec = await connectRecorder(gw, 'FIELD-1', await register(gw, 'FIELD-1'));
});

afterAll(async () => {
  await rec?.end();
  await gw?.stop();
});

describe('clips closed in the field', () => {
  it('are on-recorder with end + 24 h deadlines, and alert once overdue', async () => {
    const now = Date.now();
    const old = { start: now - 25 * H - 60_000, end: now - 25 * H };
    const fresh = { start: now - 60_000, end: now - 1000 };
    await rec.event({
      type: 'session-started',
      at: old.start,
      sessionId: 'FIELD-1-S1',
      activity: 'seizure',
      caseNo: 'KY-2026-9',
      officerId: 'o-77',
    });
    await rec.event({
      type: 'segment-closed',
      at: old.end,
      sessionId: 'FIELD-1-S1',
      clipId: 'FIELD-1-C1',
      ...old,
      bytes: 1000,
      sha256: 'a'.repeat(64),
    });
    await rec.event({
      type: 'segment-closed',
      at: fresh.end,
      sessionId: 'FIELD-1-S1',
      clipId: 'FIELD-1-C2',
      ...fresh,
      bytes: 2000,
      sha256: 'c'.repeat(64),
    });

    const clips = await until(async () => {
      const r = await legal.get('/api/clips?serial=FIELD-1');
      return r.body.length === 2 ? r.body : undefined;
    });
    expect(clips.map((c: { clipId: string; state: string }) => [c.clipId, c.state])).toEqual([
      ['FIELD-1-C1', 'overdue'],
      ['FIELD-1-C2', 'on-recorder'],
    ]);
    expect(clips[1]).toMatchObject({
      deadline: fresh.end + 24 * H,
      caseNo: 'KY-2026-9',
      activity: 'seizure',
      uploadedBytes: 0,
      progress: 0,
    });
    expect(clips[1].deadlineLeftMs).toBeGreaterThan(23 * H);

    const alert = await until(async () => {
      const r = await legal.get('/api/alerts?active=true');
      return r.body.find((a: { subject: string }) => a.subject === 'clip:FIELD-1-C1');
    });
    expect(alert.rule).toBe('clip-overdue');
    expect(alert.message).toContain('recorder FIELD-1');
    expect(alert.details.deadline).toBe(old.end + 24 * H);
    const active = (await legal.get('/api/alerts?active=true')).body.map(
      (a: { subject: string }) => a.subject,
    );
    expect(active).not.toContain('clip:FIELD-1-C2');
    const summary = await legal.get('/api/clips/summary?serial=FIELD-1');
    expect(summary.body).toMatchObject({ total: 2, byState: { overdue: 1, 'on-recorder': 1 } });
    const onRecorder = await legal.get('/api/clips?state=on-recorder');
    expect(onRecorder.body.map((c: { clipId: string }) => c.clipId)).toEqual(['FIELD-1-C2']);
  });
});
