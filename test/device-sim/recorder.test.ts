import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../device-sim/clock.js';
import { SyntheticClipSource } from '../../device-sim/recorder/clip-source.js';
import { handleCommandPayload } from '../../device-sim/recorder/commands.js';
import { SimHardware } from '../../device-sim/recorder/hardware.js';
import { RecorderProfile, type RecorderProfileInput } from '../../device-sim/recorder/profile.js';
import { Recorder } from '../../device-sim/recorder/recorder.js';
import { SeededRng } from '../../device-sim/recorder/rng.js';
import { RecorderEvent, Telemetry } from '../../protocol/mqtt/messages.js';

const MIN = 60_000;
const officer = { id: 'O1', name: 'Wang Wei', certNo: 'ZF1' };

function makeRecorder(
  profileInput: RecorderProfileInput = {},
  clips = new SyntheticClipSource({ seed: 1 }),
  start = Date.UTC(2025, 2, 3, 0, 0, 0),
) {
  const clock = new VirtualClock(start);
  // A low bitrate keeps hashing cheap; the segment logic does not depend on it.
  const profile = RecorderProfile.parse({ storage: { bitrateBps: 8000 }, ...profileInput });
  const hw = new SimHardware({
    clock,
    profile,
    clips,
    rng: new SeededRng(1),
  });
  const rec = new Recorder({ serial: 'BC0001', hardware: hw, profile, instanceId: 't1' });
  const events: RecorderEvent[] = [];
  rec.on('event', (e) => events.push(e));
  rec.start();
  return { clock, hw, rec, events };
}

const ofType = <T extends RecorderEvent['type']>(events: RecorderEvent[], t: T) =>
  events.filter((e): e is Extract<RecorderEvent, { type: T }> => e.type === t);

describe('recorder firmware model', () => {
  it('records a 10-hour session as 120 contiguous 5-minute segments, on a virtual clock', async () => {
    const { clock, rec, events } = makeRecorder({ clock: { offsetMs: 1500, driftPpm: 20 } });
    rec.pair(officer);
    rec.startSession({ activity: 'on-site-enforcement', caseNo: 'ZF-1' });
    rec.marker('notice-given');
    await clock.runFor(2 * MIN, 30_000);
    rec.marker('statement');
    await clock.runFor(10 * 60 * MIN - 2 * MIN, 60_000);
    rec.endSession();
    await rec.settled();

    const segs = ofType(events, 'segment-closed');
    expect(segs).toHaveLength(120);
    for (let i = 1; i < segs.length; i++) expect(segs[i]!.start).toBe(segs[i - 1]!.end);
    // Device time: 1.5 s ahead, 20 ppm fast -> each 300 s segment lasts 300.006 s by the device clock.
    expect(segs[0]!.end - segs[0]!.start).toBe(300_006);
    expect(segs[0]!.start).toBe(clock.now() - 10 * 60 * MIN + 1500);
    expect(events.map((e) => e.type).slice(0, 3)).toEqual(['session-started', 'recording-started', 'marker']);
    expect(ofType(events, 'recording-stopped')).toMatchObject([{ cause: 'normal', canContinue: true }]);
    expect(events.at(-1)?.type).toBe('session-ended');

    // Every event is valid on the wire, unique by id, seq strictly increasing in log order.
    for (const e of events) expect(RecorderEvent.safeParse(e).success, JSON.stringify(e)).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const bySeq = [...events].sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < bySeq.length; i++) {
      expect(bySeq[i]!.seq).toBeGreaterThan(bySeq[i - 1]!.seq);
      expect(bySeq[i]!.at).toBeGreaterThanOrEqual(bySeq[i - 1]!.at);
    }

    // Clip metadata: officer, markers in the segment they were made in, bytes/hash as reported.
    const clips = rec.clips();
    expect(clips).toHaveLength(120);
    expect(clips[0]).toMatchObject({ officer, activity: 'on-site-enforcement', caseNo: 'ZF-1' });
    expect(clips[0]!.markers.map((m) => m.marker)).toEqual(['notice-given', 'statement']);
    expect(clips[1]!.markers).toEqual([]);
    expect(clips[5]).toMatchObject({ bytes: segs[5]!.bytes, sha256: segs[5]!.sha256 });
    expect(clips[5]!.bytes).toBe(300_000);
    // A battery this size lasts a 10-hour shift of recording.
    expect(rec.state).toBe('idle');
  });

  it('stops for an obstruction and resumes with a resume statement (R19)', async () => {
    const { clock, rec, events } = makeRecorder();
    rec.startSession({ activity: 'inspection' });
    await clock.runFor(7 * MIN, 30_000);
    rec.stopRecording('obstruction');
    expect(rec.state).toBe('idle');
    await clock.runFor(3 * MIN, 30_000);
    rec.resume();
    await clock.runFor(MIN, 30_000);
    rec.stopRecording('weather');
    rec.resume({ statement: false });
    await rec.settled();
    const tail = events.filter((e) => e.type !== 'segment-closed').map((e) => e.type);
    expect(tail).toEqual([
      'session-started',
      'recording-started',
      'recording-stopped',
      'recording-started',
      'marker',
      'recording-stopped',
      'recording-started',
    ]);
    expect(ofType(events, 'recording-stopped')).toMatchObject([
      { cause: 'obstruction', canContinue: true },
      { cause: 'weather', canContinue: true },
    ]);
    expect(ofType(events, 'marker')).toMatchObject([{ marker: 'resume-statement' }]);
    // The stop closed the segment in progress: 5 min + 2 min, then a new one after the resume.
    const segs = ofType(events, 'segment-closed');
    expect(segs.map((s) => s.end - s.start)).toEqual([5 * MIN, 2 * MIN, MIN]);
  });

  it('shuts down on an exhausted battery with canContinue false, and the dock ends the session', async () => {
    const { clock, rec, hw, events } = makeRecorder();
    const power: boolean[] = [];
    rec.on('power', (p) => power.push(p));
    rec.startSession({ activity: 'seizure' });
    hw.drainBattery(10 * MIN, 'recording');
    const forecast = hw.batteryForecastMs('recording');
    expect(forecast).toBeGreaterThan(9 * MIN);
    expect(forecast).toBeLessThanOrEqual(10 * MIN);
    await clock.runFor(15 * MIN, 10_000);
    expect(rec.state).toBe('off');
    expect(power).toEqual([false]);
    const stop = ofType(events, 'recording-stopped');
    expect(stop).toMatchObject([{ cause: 'battery', canContinue: false }]);
    // Stopped in order at the critical level, within one poll of the forecast.
    expect(stop[0]!.at - events[0]!.at).toBeGreaterThan(9 * MIN);
    expect(stop[0]!.at - events[0]!.at).toBeLessThan(10 * MIN);
    expect(() => rec.powerOn()).toThrow(/battery empty/);
    rec.dock();
    expect(rec.state).toBe('docked');
    expect(power).toEqual([false, true]);
    expect(rec.telemetry().battery.charging).toBe(true);
    await clock.runFor(30 * MIN, 60_000);
    expect(rec.telemetry().battery.pct).toBeGreaterThan(30);
    expect(events.at(-1)).toMatchObject({ type: 'session-ended' });
  });

  it('stops with cause storage when the medium fills, and with cause fault on a device fault', async () => {
    const a = makeRecorder();
    a.rec.startSession();
    a.hw.fillStorage(2 * MIN);
    await a.clock.runFor(5 * MIN, 10_000);
    expect(ofType(a.events, 'recording-stopped')).toMatchObject([{ cause: 'storage', canContinue: false }]);
    expect(() => a.rec.resume()).toThrow(/storage full/);
    await a.rec.settled();
    const seg = ofType(a.events, 'segment-closed')[0]!;
    expect(a.rec.telemetry().storage.freeBytes).toBe(0);
    // Releasing the clip (after the gateway verified it, R22) frees its space.
    await a.rec.releaseClip(seg.clipId);
    expect(a.rec.telemetry().storage.freeBytes).toBe(seg.bytes);

    const b = makeRecorder();
    b.rec.startSession();
    await b.clock.runFor(MIN, 10_000);
    b.rec.raiseFault('E_SENSOR', 'image sensor not responding');
    expect(b.rec.state).toBe('fault');
    b.rec.clearFault();
    await b.rec.settled();
    expect(b.events.filter((e) => e.type !== 'segment-closed').map((e) => e.type)).toEqual([
      'session-started',
      'recording-started',
      'fault-raised',
      'recording-stopped',
      'fault-cleared',
    ]);
    expect(ofType(b.events, 'recording-stopped')).toMatchObject([{ cause: 'fault', canContinue: false }]);
  });

  it('fills storage at the bitrate even when the clip content is a smaller stand-in', async () => {
    const { clock, rec, events } = makeRecorder(
      { storage: { capacityBytes: 10_000_000, bitrateBps: 8000 } },
      new SyntheticClipSource({ seed: 1, maxBytes: 1000 }),
    );
    rec.startSession();
    await clock.runFor(5 * MIN, 10_000);
    rec.endSession();
    await rec.settled();
    const seg = ofType(events, 'segment-closed')[0]!;
    expect(seg.bytes).toBe(1000);
    expect((await rec.readClip(seg.clipId, 0, 5000)).length).toBe(1000);
    expect(rec.telemetry().storage.freeBytes).toBe(10_000_000 - 300_000);
    await rec.releaseClip(seg.clipId);
    expect(rec.telemetry().storage.freeBytes).toBe(10_000_000);
  });

  it('reports a clip that cannot be written as a fault, in its place in the event order', async () => {
    const failing = new SyntheticClipSource({ seed: 1 });
    failing.produce = async () => {
      throw new Error('flash write error');
    };
    const { clock, rec, events } = makeRecorder({}, failing);
    rec.startSession();
    await clock.runFor(MIN, 10_000);
    rec.endSession();
    await rec.settled();
    await new Promise((r) => setImmediate(r));
    // The fault is logged when the write fails, but keeps the seq of the segment's end.
    const bySeq = [...events].sort((a, b) => a.seq - b.seq);
    expect(bySeq.map((e) => e.type)).toEqual([
      'session-started',
      'recording-started',
      'fault-raised',
      'recording-stopped',
      'session-ended',
    ]);
    expect(bySeq[2]).toMatchObject({
      code: 'CLIP_WRITE',
      message: expect.stringContaining('flash write error'),
    });
    expect(rec.outbox.take(10).map((e) => e.type)).toEqual(bySeq.map((e) => e.type));
    expect(rec.clips()).toEqual([]);
  });

  it('refuses actions that make no sense in the present state, with a typed error', () => {
    const { rec } = makeRecorder();
    expect(() => rec.resume()).toThrow(expect.objectContaining({ code: 'NO_SESSION' }));
    expect(() => rec.marker('statement')).toThrow(expect.objectContaining({ code: 'NO_SESSION' }));
    rec.startSession();
    expect(() => rec.startSession()).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
    expect(() => rec.resume()).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
    expect(() => rec.undock()).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
  });

  it('keeps a bounded outbox while offline, dropping the oldest', () => {
    const { rec } = makeRecorder({ outboxCapacity: 5 });
    rec.startSession();
    for (let i = 0; i < 8; i++) rec.marker('statement', `n${i}`);
    const st = rec.outbox.stats();
    expect(st.queued).toBe(5);
    expect(st.dropped).toBe(5);
    const sent = rec.outbox.take(10);
    expect(sent.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9]);
    rec.outbox.ack(sent[0]!.id);
    rec.outbox.requeueInFlight();
    expect(rec.outbox.take(10).map((e) => e.seq)).toEqual([6, 7, 8, 9]);
  });

  it('answers commands: time-sync, config with officer, and a bad command with its tid', () => {
    const { rec, clock } = makeRecorder({ clock: { offsetMs: -4000 } });
    const enc = (x: unknown) => Buffer.from(JSON.stringify(x));
    const before = rec.deviceNow();
    const r = handleCommandPayload(
      rec,
      enc({ v: 1, tid: 'T1', sentAt: clock.now(), cmd: 'time-sync', gatewayTime: clock.now() }),
    );
    expect(r.response).toMatchObject({ tid: 'T1', ok: true, deviceTime: before, at: clock.now() });
    expect(rec.deviceNow()).toBe(clock.now());
    handleCommandPayload(
      rec,
      enc({ v: 1, tid: 'T2', sentAt: 0, cmd: 'config', segmentSeconds: 60, telemetryIntervalS: 5, officer }),
    );
    expect(rec.officer).toEqual(officer);
    expect(rec.segmentSeconds).toBe(60);
    const bad = handleCommandPayload(rec, enc({ v: 1, tid: 'T3', sentAt: 0, cmd: 'self-destruct' }));
    expect(bad.response).toMatchObject({ tid: 'T3', ok: false, error: { code: 'BAD_PAYLOAD' } });
    expect(handleCommandPayload(rec, enc('nonsense')).response).toBeNull();
    expect(Telemetry.safeParse(rec.telemetry()).success).toBe(true);
  });
});
