/**
 * A recorder reported lost (R21, R22): its assignment is closed without a dock, the principal is
 * alerted, its clips' 24 h clock still names officer and recorder, the officer takes another one;
 * when it docks again it is found and uploads. Real gateway, socat PTY pairs, simulated recorders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { clipFacts } from '../../gateway/dock/ingest.js';
import type { ClipInfo } from '../../protocol/dock/index.js';
import type { ApiClient } from '../helpers/gateway.js';
import { type DockRig, dockRig, officerOf, until } from './rig.js';

let rig: DockRig;
let officer: ApiClient;
let manager: ApiClient;
let principal: ApiClient;

beforeAll(async () => {
  rig = await dockRig();
  officer = await rig.gw.as('officer');
  manager = await rig.gw.as('equipment-manager');
  principal = await rig.gw.as('principal');
});

afterAll(async () => {
  await rig?.close();
});

async function docked(serial: string) {
  await rig.register(serial);
  const { pair, slot } = await rig.plug();
  const { recorder } = await recorderWithClips({ serial, clipBytes: [], clipSeconds: 1 });
  const device = await rig.seat(recorder, pair);
  await rig.slotState(slot, 'ready');
  return { recorder, device, pair, slot };
}

describe('lost recorder', () => {
  it('closes the assignment without a dock, alerts the principal, keeps the 24 h clock naming officer and recorder, and un-marks it when it docks again', async () => {
    const me = officerOf(officer, '王警官');
    const first = await docked('LOST-1');
    const out = await officer.post('/api/pairings', { serial: 'LOST-1', officer: me });
    expect(out.status).toBe(200);
    await rig.takeOut(first.device, first.pair, first.slot);

    // In the field: one recording, announced to the gateway as MQTT segment-closed would.
    first.recorder.startSession({ activity: 'inspection', caseNo: 'CASE-LOST-1' });
    await new Promise((r) => setTimeout(r, 1_300));
    first.recorder.endSession();
    await first.recorder.settled();
    const made = first.recorder.clips().map((c) => ({ ...c }));
    expect(made.length).toBeGreaterThan(0);
    for (const c of made) {
      // The field announcement carries no officer: the 24 h clock finds them through the assignment.
      const { officer: _, ...facts } = clipFacts(c as unknown as ClipInfo, 'LOST-1');
      await rig.gw.app.store.announce(facts);
    }

    // An officer cannot report it; a reason is required; the keeper reports it.
    expect((await officer.post('/api/recorders/LOST-1/lost', { reason: 'x' })).status).toBe(403);
    expect((await manager.post('/api/recorders/LOST-1/lost', { reason: '  ' })).status).toBe(400);
    const r = await manager.post('/api/recorders/LOST-1/lost', { reason: '外勤途中遗失，已报警' });
    expect(r.status).toBe(200);
    expect(r.body.officer).toEqual(me);
    expect(r.body.pendingClips.map((c: { clipId: string }) => c.clipId).sort()).toEqual(
      made.map((c) => c.clipId).sort(),
    );
    expect((await manager.post('/api/recorders/LOST-1/lost', { reason: 'again' })).status).toBe(409);

    // The assignment is closed (with who and why); the officer has no recorder now.
    expect(rig.gw.app.pairing.activeFor('LOST-1')).toBeUndefined();
    const [asg] = await rig.gw.app.pairing.historyForRecorder('LOST-1', 1);
    expect(asg?.checkedInAt).not.toBeNull();
    expect(asg?.checkedInBy).toBe(manager.username);
    expect(asg?.lost).toMatchObject({ by: manager.username, reason: '外勤途中遗失，已报警' });
    const entries = await rig.gw.app.store.audit.bySubject('recorder:LOST-1');
    const lostEntry = entries.find((e) => e.type === 'recorder-lost');
    expect(lostEntry?.actor).toBe(manager.username);
    expect(lostEntry?.details).toMatchObject({ reason: '外勤途中遗失，已报警', assignmentId: asg?.id });

    // The principal is told at once.
    const alerts = await principal.get('/api/alerts?active=true');
    expect(alerts.status).toBe(200);
    const list = (alerts.body.alerts ?? alerts.body) as {
      rule: string;
      subject: string;
      notify: string[];
      message: string;
    }[];
    const alert = list.find((a) => a.rule === 'recorder-lost' && a.subject === 'recorder:LOST-1');
    expect(alert?.notify).toContain('principal');
    expect(alert?.message).toContain(me.certNo);

    // R22: past the deadline the overdue alert still names the officer and the recorder.
    const deadline = Math.max(...made.map((c) => c.end)) + 24 * 3_600_000;
    await rig.gw.app.clips.checkOverdue(deadline + 3_600_000);
    for (const c of made) {
      const overdue = rig.gw.app.alerts.activeFor('clip-overdue', `clip:${c.clipId}`);
      expect(overdue?.message).toContain('recorder LOST-1');
      expect(overdue?.message).toContain(me.certNo);
    }

    // The officer takes another recorder.
    await docked('LOST-2');
    const again = await officer.post('/api/pairings', { serial: 'LOST-2', officer: me });
    expect(again.status).toBe(200);

    // The lost recorder is found: docked again, un-marked, its clips uploaded, then unpaired.
    const { pair, slot } = await rig.plug();
    await rig.seat(first.recorder, pair);
    const info = await rig.slotState(slot, 'ready');
    expect(info.clips.every((c) => c.result === 'verified')).toBe(true);
    await until(() => rig.gw.app.pairing.lostRecord('LOST-1') === undefined);
    for (const c of made) {
      expect((await rig.gw.app.store.index.get(c.clipId))?.state).toBe('verified');
    }
    expect(first.recorder.clips()).toHaveLength(0);
    const types = (await rig.gw.app.store.audit.bySubject('recorder:LOST-1')).map((e) => e.type);
    expect(types).toContain('recorder-found');
    expect(types.indexOf('recorder-found')).toBeGreaterThan(types.indexOf('recorder-lost'));
    await until(() => rig.gw.app.alerts.activeFor('recorder-lost', 'recorder:LOST-1') === undefined);
    await until(() => first.recorder.officer === null);
    // LOST-2 stays with the officer.
    expect(rig.gw.app.pairing.activeForOfficer(me.id)?.serial).toBe('LOST-2');
  });

  it('refuses to report a recorder that sits in a dock, or one never checked out', async () => {
    await docked('LOST-DOCKED');
    const inDock = await manager.post('/api/recorders/LOST-DOCKED/lost', { reason: 'missing' });
    expect(inDock.status).toBe(409);
    expect(inDock.body.error.message).toMatch(/is in dock/);
    const never = await principal.post('/api/recorders/LOST-NEVER/lost', { reason: 'missing' });
    expect(never.status).toBe(404);
  });
});
