/**
 * Sessions from recorder events over real MQTT (plain mqtt.js recorders): R16 notice flag, R18 gap
 * flag and gap interruption, R19 records from stops and contact loss, duplicates and late events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StopCause } from '../../protocol/common.js';
import { connectRecorder, type RecorderClient, register } from '../broker/mqtt-helpers.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

let gw: TestGateway;
const MIN = 60_000;
const T0 = Date.now() - 3 * 3600_000;
const hash = 'a'.repeat(64);

beforeAll(async () => {
  gw = await startGateway({ interruptions: { gapToleranceS: 5 } });
});
afterAll(() => gw.stop());

async function recorder(serial: string): Promise<RecorderClient> {
  return connectRecorder(gw, serial, await register(gw, serial));
}

const session = async (serial: string, id: string) => {
  await gw.app.field.ingest.idle();
  return gw.app.field.sessions.get(serial, id);
};

function segment(sessionId: string, clipId: string, start: number, end: number) {
  return {
    type: 'segment-closed' as const,
    sessionId,
    clipId,
    start,
    end,
    at: end,
    bytes: 1000,
    sha256: hash,
  };
}

function stopped(sessionId: string, cause: StopCause, at: number) {
  return { type: 'recording-stopped' as const, sessionId, cause, canContinue: true, at };
}

describe('recorder sessions', () => {
  it('are found by start time and by officer through their own keys, not a scan of all (R7, my recordings)', async () => {
    const r = await recorder('SES-IX');
    try {
      for (const [id, at, officerId] of [
        ['S-x1', T0 - 2 * 24 * 3600_000, 'zf-ix'],
        ['S-x2', T0, 'zf-ix'],
        ['S-x3', T0 + MIN, 'zf-other'],
      ] as const) {
        await r.event({ type: 'session-started', sessionId: id, officerId, activity: 'inspection', at });
        await r.event({ type: 'session-ended', sessionId: id, at: at + 30_000 });
      }
      await gw.app.field.ingest.idle();
      const ids = (xs: { sessionId: string; serial: string }[]) =>
        xs.filter((x) => x.serial === 'SES-IX').map((x) => x.sessionId);
      const sessions = gw.app.field.sessions;
      expect(ids(await sessions.startedIn(T0, T0 + 2 * MIN)).sort()).toEqual(['S-x2', 'S-x3']);
      expect(ids(await sessions.startedIn(T0 + MIN + 1, T0 + 2 * MIN))).toEqual([]);
      expect(ids(await sessions.ofOfficer('zf-ix', T0 - 3 * 24 * 3600_000))).toEqual(['S-x2', 'S-x1']);
      expect(ids(await sessions.ofOfficer('zf-ix', T0 - 1))).toEqual(['S-x2']);
    } finally {
      await r.end();
    }
  });

  it('flags a session without notice-given (R16) and not one with it', async () => {
    const r = await recorder('SES-16');
    try {
      await r.event({ type: 'session-started', sessionId: 'S-a', activity: 'inspection', at: T0 });
      await r.event({ type: 'recording-started', sessionId: 'S-a', at: T0 + 1000 });
      await r.event(stopped('S-a', 'normal', T0 + MIN));
      await r.event({ type: 'session-ended', sessionId: 'S-a', at: T0 + MIN + 1000 });

      await r.event({ type: 'session-started', sessionId: 'S-b', activity: 'inspection', at: T0 + 2 * MIN });
      await r.event({ type: 'marker', marker: 'notice-given', sessionId: 'S-b', at: T0 + 2 * MIN + 500 });
      await r.event({ type: 'session-ended', sessionId: 'S-b', at: T0 + 3 * MIN });

      expect((await session('SES-16', 'S-a'))!.flags.map((f) => [f.flag, f.requirement])).toEqual([
        ['no-notice', 'R16'],
      ]);
      expect(await session('SES-16', 'S-b')).toMatchObject({ noticeGiven: true, flags: [] });
      const flagged = await gw.app.field.sessions.list({ serial: 'SES-16', flag: 'no-notice' });
      expect(flagged.map((s) => s.sessionId)).toEqual(['S-a']);
    } finally {
      await r.end();
    }
  });

  it('flags a gap between segments above the tolerance (R18) and opens a gap interruption where continuous recording is required', async () => {
    const r = await recorder('SES-18');
    try {
      // seizure: continuous on the default recording list.
      await r.event({ type: 'session-started', sessionId: 'S-c', activity: 'seizure', at: T0 });
      await r.event({ type: 'marker', marker: 'notice-given', sessionId: 'S-c', at: T0 + 100 });
      await r.event(segment('S-c', 'c1', T0, T0 + 5 * MIN));
      await r.event(segment('S-c', 'c2', T0 + 5 * MIN + 2000, T0 + 10 * MIN)); // 2 s: within tolerance
      await r.event(segment('S-c', 'c3', T0 + 11 * MIN, T0 + 15 * MIN)); // 60 s gap
      await r.event({ type: 'session-ended', sessionId: 'S-c', at: T0 + 15 * MIN });
      // evidence-collection: as-needed, so a gap is allowed.
      await r.event({
        type: 'session-started',
        sessionId: 'S-d',
        activity: 'evidence-collection',
        at: T0 + 20 * MIN,
      });
      await r.event({ type: 'marker', marker: 'notice-given', sessionId: 'S-d', at: T0 + 20 * MIN });
      await r.event(segment('S-d', 'd1', T0 + 20 * MIN, T0 + 21 * MIN));
      await r.event(segment('S-d', 'd2', T0 + 30 * MIN, T0 + 31 * MIN));
      await r.event({ type: 'session-ended', sessionId: 'S-d', at: T0 + 31 * MIN });

      const c = (await session('SES-18', 'S-c'))!;
      expect(c.segments).toBe(3);
      expect(c.flags).toMatchObject([{ flag: 'gap', requirement: 'R18', details: { gapS: 60 } }]);
      const gaps = await gw.app.interruptions.list({ device: 'SES-18', cause: 'gap' });
      expect(gaps).toHaveLength(1);
      expect(gaps[0]).toMatchObject({
        sessionId: 'S-c',
        start: T0 + 10 * MIN,
        end: T0 + 11 * MIN,
        status: 'open',
      });
      expect((await session('SES-18', 'S-d'))!.flags).toEqual([]);
    } finally {
      await r.end();
    }
  });

  it('records a stop with its cause, resume and resume statement, and does not double-count the gap it leaves (R19)', async () => {
    const r = await recorder('SES-19');
    try {
      await r.event({ type: 'session-started', sessionId: 'S-e', activity: 'seizure', at: T0 });
      await r.event({ type: 'marker', marker: 'notice-given', sessionId: 'S-e', at: T0 + 10 });
      await r.event({ type: 'recording-started', sessionId: 'S-e', at: T0 + 20 });
      await r.event(segment('S-e', 'e1', T0 + 20, T0 + 4 * MIN));
      await r.event(stopped('S-e', 'obstruction', T0 + 4 * MIN));
      await r.event({ type: 'recording-started', sessionId: 'S-e', at: T0 + 6 * MIN });
      await r.event({
        type: 'marker',
        marker: 'resume-statement',
        sessionId: 'S-e',
        at: T0 + 6 * MIN + 3000,
      });
      await r.event(segment('S-e', 'e2', T0 + 6 * MIN, T0 + 9 * MIN));
      await r.event(stopped('S-e', 'normal', T0 + 9 * MIN));
      await r.event({ type: 'session-ended', sessionId: 'S-e', at: T0 + 9 * MIN });
      await gw.app.field.ingest.idle();

      const list = await gw.app.interruptions.list({ device: 'SES-19' });
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({
        cause: 'obstruction',
        sessionId: 'S-e',
        start: T0 + 4 * MIN,
        end: T0 + 6 * MIN,
        resumed: true,
        resumeStatement: true,
        resumeStatementAt: T0 + 6 * MIN + 3000,
      });
      const s = (await session('SES-19', 'S-e'))!;
      expect(s.flags.map((f) => f.flag).sort()).toEqual(['gap', 'interrupted']);
      expect(s.flags.find((f) => f.flag === 'gap')!.details).toMatchObject({ interruptionId: list[0]!.id });
    } finally {
      await r.end();
    }
  });

  it('ignores duplicate events by (serial, id) and keeps late events at their device times', async () => {
    const r = await recorder('SES-DUP');
    try {
      const before = gw.app.field.ingest.stats().duplicates;
      await r.event({
        id: 'x-1',
        seq: 1,
        type: 'session-started',
        sessionId: 'S-f',
        activity: 'seizure',
        at: T0,
      });
      await r.event({ id: 'x-2', seq: 2, type: 'recording-started', sessionId: 'S-f', at: T0 + 10 });
      const stop = { id: 'x-3', seq: 3, ...stopped('S-f', 'weather', T0 + MIN) };
      await r.event(stop);
      // Resent after a lost acknowledgement: same ids.
      await r.event(stop);
      await r.event({ id: 'x-2', seq: 2, type: 'recording-started', sessionId: 'S-f', at: T0 + 10 });
      await gw.app.field.ingest.idle();
      expect(gw.app.field.ingest.stats().duplicates - before).toBe(2);
      const list = await gw.app.interruptions.list({ device: 'SES-DUP' });
      expect(list).toHaveLength(1);
      // Ongoing: the duplicate recording-started did not resume it.
      expect(list[0]).toMatchObject({ cause: 'weather', start: T0 + MIN, end: null });
      // The same id from another recorder is a different event.
      const other = await recorder('SES-DUP2');
      await other.event({ id: 'x-1', seq: 1, type: 'session-started', sessionId: 'S-g', at: T0 });
      expect(await session('SES-DUP2', 'S-g')).toBeDefined();
      await other.end();
    } finally {
      await r.end();
    }
  });

  it('opens a contact-lost interruption when a recording recorder drops off, and ends it when it is back', async () => {
    const serial = 'SES-NET';
    const pw = await register(gw, serial);
    const r = await connectRecorder(gw, serial, pw);
    const now = Date.now();
    await r.event({ type: 'session-started', sessionId: 'S-h', activity: 'seizure', at: now });
    await r.event({ type: 'recording-started', sessionId: 'S-h', at: now + 10 });
    await r.telemetry({ state: 'recording', at: now + 20 });
    await gw.app.field.ingest.idle();
    // The radio goes: no DISCONNECT, so the last will fires.
    (r.client as unknown as { stream: { destroy(): void } }).stream.destroy();
    const lost = await waitFor(async () => {
      await gw.app.field.ingest.idle();
      return (await gw.app.interruptions.list({ device: serial, cause: 'contact-lost' }))[0];
    }, 'contact-lost interruption');
    expect(lost).toMatchObject({ sessionId: 'S-h', start: now + 20, end: null });
    await r.end();
    const back = await connectRecorder(gw, serial, pw);
    // It ends at the device's time of its first live message after reconnecting.
    await back.telemetry({ state: 'recording', at: now + 5 * MIN });
    await waitFor(async () => {
      await gw.app.field.ingest.idle();
      return (await gw.app.interruptions.get(lost.id))?.end !== null;
    }, 'contact-lost ended');
    expect(await gw.app.interruptions.get(lost.id)).toMatchObject({ resumed: true, end: now + 5 * MIN });
    await back.end();
  });
});
