/**
 * Check-out and check-in over real serial ports (#4 "Pairing at shift start"): the real gateway,
 * socat PTY pairs, the simulated recorder's dock side, the real store and audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { replayPairings } from '../../gateway/admin/rebuild.js';
import type { ApiClient } from '../helpers/gateway.js';
import { type DockRig, dockRig, officerOf, until } from './rig.js';

let rig: DockRig;

beforeAll(async () => {
  rig = await dockRig();
});

afterAll(async () => {
  await rig?.close();
});

/** A registered recorder with no clips, seated in a new dock and through its docking (ready). */
async function docked(serial: string, profile: Parameters<typeof recorderWithClips>[0]['profile'] = {}) {
  await rig.register(serial);
  const { pair, slot } = await rig.plug();
  const { recorder } = await recorderWithClips({ serial, clipBytes: [], clipSeconds: 1, profile });
  const device = await rig.seat(recorder, pair);
  await rig.slotState(slot, 'ready');
  return { recorder, device, pair, slot };
}

async function auditTypes(serial: string): Promise<string[]> {
  return (await rig.gw.app.store.audit.bySubject(`recorder:${serial}`)).map((e) => e.type);
}

describe('check-out (pairing at shift start)', () => {
  let officer: ApiClient;
  let lowBattery: Awaited<ReturnType<typeof docked>>;

  beforeAll(async () => {
    officer = await rig.gw.as('officer');
    lowBattery = await docked('PAIR-LOW', { battery: { initialPct: 40 } });
  });

  it('refuses a recorder whose battery would not last the shift, with the numbers', async () => {
    const docks = await officer.get('/api/pairings/docked');
    expect(docks.status).toBe(200);
    const row = docks.body.find((d: { serial: string }) => d.serial === 'PAIR-LOW');
    expect(row.ready).toBe(false);
    expect(row.shiftMs).toBe(10 * 3_600_000);
    expect(row.batteryLeftMs).toBeLessThan(row.shiftMs);
    expect(row.readiness.shortfalls[0]).toMatch(/^battery lasts 4\.\d h < shift 10 h/);

    const r = await officer.post('/api/pairings', { serial: 'PAIR-LOW', officer: officerOf(officer) });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('READINESS_SHORT');
    // 40 % at the configured 9 %/h lasts 4.4 h (the dock charges it a little meanwhile).
    expect(r.body.error.message).toMatch(/battery lasts 4\.\d h < shift 10 h \(4\d % at 9 %\/h, charging\)/);
    const numbers = r.body.error.details.readiness;
    expect(numbers.batteryHours).toBeGreaterThan(4.4);
    expect(numbers.batteryHours).toBeLessThan(5);
    expect(numbers.shiftHours).toBe(10);
    expect(numbers.drawPctPerH).toBe(9);
    // Nothing reached the recorder and nothing was logged as an assignment.
    expect(lowBattery.recorder.officer).toBeNull();
    expect(await auditTypes('PAIR-LOW')).not.toContain('pairing');
  });

  it('refuses a recorder whose free storage would not last the shift', async () => {
    const { recorder } = await docked('PAIR-FULL', { storage: { capacityBytes: 10e9 } });
    const r = await officer.post('/api/pairings', { serial: 'PAIR-FULL', officer: officerOf(officer) });
    expect(r.status).toBe(422);
    expect(r.body.error.message).toMatch(/storage lasts 3\.8 h < shift 10 h \(10\.0 GB free at 2\.6 GB\/h\)/);
    expect(recorder.officer).toBeNull();
  });

  it('proceeds with a reason when the caller overrides a short forecast, and audits the reason', async () => {
    const me = officerOf(officer, '李警官');
    const r = await officer.post('/api/pairings', {
      serial: 'PAIR-LOW',
      officer: me,
      override: { reason: '短时外勤，两小时内返回' },
    });
    expect(r.status).toBe(200);
    expect(r.body.warnings[0]).toMatch(
      /PAIR-LOW will not last the 10 h shift: battery lasts 4\.\d h < shift 10 h/,
    );
    expect(r.body.assignment.override).toEqual({ reason: '短时外勤，两小时内返回' });
    // PAIR went over the serial link: the recorder now carries the officer.
    expect(lowBattery.recorder.officer).toEqual(me);
    const entries = await rig.gw.app.store.audit.bySubject('recorder:PAIR-LOW');
    const pairing = entries.find((e) => e.type === 'pairing')!;
    expect(pairing.actor).toBe(officer.username);
    expect(pairing.details.override).toBe('短时外勤，两小时内返回');
    expect(pairing.details.officer).toEqual(me);
    expect((pairing.details.readiness as { ok: boolean; shortfalls: string[] }).ok).toBe(false);
    expect((pairing.details.readiness as { shortfalls: string[] }).shortfalls[0]).toMatch(/^battery lasts/);
    // The entry holds the whole assignment: `gateway reindex` rebuilds it as stored (hours rounded to 0.01).
    const stored = (await rig.gw.app.pairing.get(r.body.assignment.id))!;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    expect(replayPairings(entries).get(stored.id)).toEqual({
      ...stored,
      readiness: {
        ...stored.readiness,
        batteryHours: r2(stored.readiness.batteryHours),
        storageHours: r2(stored.readiness.storageHours),
      },
    });
    expect((await officer.get('/api/pairings')).body.map((a: { serial: string }) => a.serial)).toEqual([
      'PAIR-LOW',
    ]);
  });

  it('gives one recorder per officer and one officer per recorder', async () => {
    const { recorder } = await docked('PAIR-SECOND');
    const again = await officer.post('/api/pairings', { serial: 'PAIR-SECOND', officer: officerOf(officer) });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_PAIRED');
    expect(again.body.error.message).toMatch(/already has recorder PAIR-LOW/);
    expect(recorder.officer).toBeNull();

    const other = await rig.gw.as('officer');
    const taken = await other.post('/api/pairings', {
      serial: 'PAIR-LOW',
      officer: officerOf(other),
      override: { reason: 'x' },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('ALREADY_PAIRED');
    expect(taken.body.error.message).toMatch(/PAIR-LOW is checked out to 李警官/);

    // An officer pairs to themselves only.
    const forSomeoneElse = await other.post('/api/pairings', {
      serial: 'PAIR-SECOND',
      officer: officerOf(officer),
    });
    expect(forSomeoneElse.status).toBe(403);
    // And the other officer can take the free one.
    const ok = await other.post('/api/pairings', { serial: 'PAIR-SECOND', officer: officerOf(other) });
    expect(ok.status).toBe(200);
    expect(recorder.officer?.id).toBe(other.username);
  });

  it('checks in by hand: the holder or the equipment manager, nobody else', async () => {
    const holder = (await officer.get('/api/pairings')).body[0];
    expect(holder.serial).toBe('PAIR-LOW');
    const stranger = await rig.gw.as('officer');
    const refused = await stranger.post('/api/pairings/PAIR-LOW/check-in');
    expect(refused.status).toBe(403);
    const manager = await rig.gw.as('equipment-manager');
    const overview = await manager.get('/api/pairings');
    expect(overview.body.map((a: { serial: string }) => a.serial).sort()).toEqual([
      'PAIR-LOW',
      'PAIR-SECOND',
    ]);
    const done = await manager.post('/api/pairings/PAIR-LOW/check-in');
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      serial: 'PAIR-LOW',
      checkedInBy: manager.username,
      checkIn: { trigger: 'manual' },
    });
    expect(lowBattery.recorder.officer).toBeNull();
    expect((await officer.get('/api/pairings')).body).toEqual([]);
    const entry = (await rig.gw.app.store.audit.bySubject('recorder:PAIR-LOW')).at(-1)!;
    expect(entry).toMatchObject({
      type: 'check-in',
      actor: manager.username,
      details: { trigger: 'manual' },
    });
    const again = await manager.post('/api/pairings/PAIR-LOW/check-in');
    expect(again.status).toBe(404);
  });

  it('refuses a recorder that is not docked', async () => {
    const fresh = await rig.gw.as('officer');
    const r = await fresh.post('/api/pairings', { serial: 'NOT-HERE', officer: officerOf(fresh) });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('NOT_DOCKED');
  });
});

describe('a shift: check-out, clips carry the officer, docking uploads then unpairs (check-in)', () => {
  it('runs the whole shift over the serial link', async () => {
    const client = await rig.gw.as('officer');
    const legal = await rig.gw.as('legal-affairs');
    const manager = await rig.gw.as('equipment-manager');
    const me = officerOf(client, '王警官');
    const serial = 'PAIR-SHIFT';
    const { recorder, device, pair, slot } = await docked(serial);

    const out = await client.post('/api/pairings', { serial, officer: me });
    expect(out.status).toBe(200);
    expect(out.body.readiness.ok).toBe(true);
    expect(out.body.warnings).toEqual([]);
    expect(recorder.officer).toEqual(me);
    const pairedAt = out.body.assignment.pairedAt as number;

    // The officer takes it out and records in the field.
    await rig.takeOut(device, pair, slot);
    recorder.startSession({ activity: 'inspection', caseNo: 'JC-2026-031' });
    recorder.marker('notice-given');
    await until(() => recorder.clips().length >= 1);
    recorder.endSession();
    await recorder.settled();
    const made = recorder.clips().map((c) => ({ ...c }));
    expect(made.length).toBeGreaterThanOrEqual(1);
    for (const c of made) expect(c.officer).toEqual(me);
    const during = made[0]!.start;
    // Who had it then: the interruption service's officer lookup answers from the pairing.
    expect(await rig.gw.app.interruptions.officerFor('recorder', serial, during)).toEqual(me);

    // Back in a dock at shift end: uploads, then unpair.
    const back = await rig.plug();
    await rig.seat(recorder, back.pair);
    await until(
      async () => (await client.get('/api/pairings')).body.length === 0 && recorder.officer === null,
    );

    const stored = await legal.get(`/api/clips?officerId=${me.id}`);
    expect(stored.status).toBe(200);
    expect(stored.body.map((c: { clipId: string }) => c.clipId).sort()).toEqual(
      made.map((c) => c.clipId).sort(),
    );
    for (const c of stored.body) {
      expect(c.state).toBe('verified');
      expect(c.officer).toEqual(me);
      expect(c.caseNo).toBe('JC-2026-031');
    }
    expect(recorder.clips()).toHaveLength(0);

    // The audit log shows the order: pairing, the clips released, then the check-in.
    const log = (await rig.gw.app.store.audit.recent(500)).reverse();
    const seqOf = (pred: (e: (typeof log)[number]) => boolean) => log.filter(pred).map((e) => e.seq);
    const [pairSeq] = seqOf((e) => e.type === 'pairing' && e.subject === `recorder:${serial}`);
    const releases = seqOf((e) => e.type === 'release' && made.some((c) => e.subject === `clip:${c.clipId}`));
    const [checkInSeq] = seqOf((e) => e.type === 'check-in' && e.subject === `recorder:${serial}`);
    expect(releases).toHaveLength(made.length);
    expect(pairSeq).toBeLessThan(Math.min(...releases));
    expect(checkInSeq).toBeGreaterThan(Math.max(...releases));
    const checkIn = log.find((e) => e.seq === checkInSeq)!;
    expect(checkIn.details.trigger).toBe('dock');
    expect(checkIn.details.clips).toEqual({ verified: made.length, quarantined: 0, total: made.length });

    // History per recorder and per officer (R5, R21); nobody has it after the check-in.
    const history = await manager.get(`/api/pairings/recorders/${serial}`);
    expect(history.status).toBe(200);
    expect(history.body).toHaveLength(1);
    expect(history.body[0].officer).toEqual(me);
    expect(history.body[0].leftDockAt).toBeGreaterThanOrEqual(pairedAt);
    expect(history.body[0].checkedInAt).toBeGreaterThan(history.body[0].leftDockAt);
    expect(history.body[0].checkIn.trigger).toBe('dock');
    const mine = await client.get(`/api/pairings/officers/${me.id}`);
    expect(mine.body.map((a: { id: string }) => a.id)).toEqual([history.body[0].id]);
    const at = await manager.get(`/api/pairings/at?serial=${serial}&at=${during}`);
    expect(at.body.officer).toEqual(me);
    const after = history.body[0].checkedInAt + 1;
    expect(await rig.gw.app.interruptions.officerFor('recorder', serial, after)).toBeNull();
    expect(
      (await manager.get(`/api/pairings/at?serial=${serial}&at=${pairedAt - 1}`)).body.officer,
    ).toBeNull();

    // Free again: the same officer may take a recorder for the next shift.
    const docks = await client.get('/api/pairings/docked');
    const row = docks.body.find((d: { serial: string }) => d.serial === serial);
    expect(row.officer).toBeNull();
    expect(row.ready).toBe(true);
  });
});
