/**
 * The replay behind `gateway reindex` for accounts and registrations (admin/rebuild.ts), as pure
 * functions of audit entries: what the log last says wins, no password ever comes back, and a
 * registration logged without its credential's hash is marked for a new credential.
 */
import { describe, expect, it } from 'vitest';
import {
  replayInterruptions,
  replayPairings,
  replayRecorders,
  replayUsers,
} from '../../gateway/admin/rebuild.js';
import {
  replayAlerts,
  replayCameras,
  replayCases,
  replayExports,
  replayHearings,
  sessionOf,
} from '../../gateway/admin/replay-records.js';
import type { AuditEntry } from '../../gateway/store/schema.js';

let seq = 0;
const entry = (type: AuditEntry['type'], subject: string, details: Record<string, unknown>): AuditEntry => ({
  seq: ++seq,
  at: new Date(Date.UTC(2026, 11, 1, 0, seq)).toISOString(),
  type,
  actor: 'cli:ops.li',
  subject,
  details: details as AuditEntry['details'],
  prevHash: '0'.repeat(64),
  hash: '0'.repeat(64),
});

describe('rebuilding state from the audit log', () => {
  it('replays accounts without their passwords', () => {
    const users = replayUsers([
      entry('user-admin', 'user:zhang.wei', { action: 'add', displayName: '张伟', roles: ['officer'] }),
      entry('user-admin', 'user:zhang.wei', { action: 'roles', roles: ['officer', 'auditor'] }),
      entry('user-admin', 'user:zhang.wei', { action: 'password-reset' }),
      entry('user-admin', 'user:li.na', { action: 'add', displayName: '李娜', roles: ['principal'] }),
      entry('user-admin', 'user:li.na', { action: 'disable' }),
      entry('user-admin', 'user:nobody', { action: 'roles', roles: ['officer'] }),
    ]);
    expect([...users.keys()]).toEqual(['zhang.wei', 'li.na']);
    expect(users.get('zhang.wei')).toMatchObject({
      displayName: '张伟',
      roles: ['officer', 'auditor'],
      passwordHash: '',
      passwordLost: true,
    });
    expect(users.get('li.na')).toMatchObject({ disabled: true });
  });

  it('replays registrations with the credential hash the log carries, else marks them for rotation', () => {
    const recorders = replayRecorders([
      entry('recorder-admin', 'recorder:OLD0001', { action: 'register', model: 'X1' }),
      entry('recorder-admin', 'recorder:NEW0001', {
        action: 'register',
        unit: '一科',
        credentialHash: 'sha256$aa$bb',
      }),
      entry('recorder-admin', 'recorder:NEW0001', { action: 'update', unit: '二科', custodian: '王' }),
      entry('recorder-admin', 'recorder:NEW0001', {
        action: 'rotate-credential',
        issuedAt: '2026-12-02T00:00:00.000Z',
        credentialHash: 'sha256$cc$dd',
      }),
      entry('recorder-admin', 'recorder:OLD0002', { action: 'register' }),
      entry('recorder-admin', 'recorder:OLD0002', {
        action: 'rotate-credential',
        credentialHash: 'sha256$ee$ff',
      }),
    ]);
    expect(recorders.get('OLD0001')).toMatchObject({
      model: 'X1',
      credentialHash: '',
      credentialNeedsRotation: true,
    });
    expect(recorders.get('NEW0001')).toMatchObject({
      unit: '二科',
      custodian: '王',
      credentialHash: 'sha256$cc$dd',
      credentialIssuedAt: '2026-12-02T00:00:00.000Z',
      registeredBy: 'cli:ops.li',
    });
    expect(recorders.get('NEW0001')?.credentialNeedsRotation).toBeUndefined();
    expect(recorders.get('OLD0002')?.credentialNeedsRotation).toBeUndefined();
  });

  it('replays interruption records from their last journaled state', () => {
    const rec = (status: string, explanation: unknown) => ({
      id: '00abc-1',
      source: 'recorder',
      device: 'R1',
      roomId: null,
      officer: null,
      sessionId: 'S1',
      cause: 'battery',
      canContinue: false,
      start: 1000,
      end: 2000,
      resumed: false,
      resumeStatement: false,
      resumeStatementAt: null,
      status,
      explanation,
      history: [],
      review: null,
      closure: null,
      heldBy: null,
      alerts: [],
      openedAt: '2026-12-01T00:00:00.000Z',
      updatedAt: '2026-12-01T00:01:00.000Z',
    });
    const out = replayInterruptions([
      entry('interruption', 'interruption:00abc-1', { record: rec('open', null) }),
      entry('interruption', 'interruption:00abc-1', {
        record: { ...rec('open', null), cause: 'not-a-cause' },
      }),
      entry('interruption', 'interruption:other', { record: rec('open', null) }),
    ]);
    expect([...out.keys()]).toEqual(['00abc-1']);
    expect(out.get('00abc-1')).toMatchObject({ status: 'open', cause: 'battery' });
  });

  it('replays check-outs, closed by their check-in or a loss report', () => {
    const officer = { id: 'o1', name: '张伟', certNo: '45010001' };
    const readiness = {
      ok: true,
      batteryPct: 96,
      drawPctPerH: 9,
      drawSource: 'config',
      batteryHours: 10.7,
      freeBytes: 5e10,
      storageHours: 19.2,
      shortfalls: [],
      charging: false,
      totalBytes: 6.4e10,
      bytesPerHour: 2.6e9,
    };
    const paired = (id: string, serial: string) =>
      entry('pairing', `recorder:${serial}`, {
        assignmentId: id,
        officer,
        slot: '/dev/ttyACM0',
        shiftHours: 10,
        readiness,
        override: null,
        pairedAt: 1_000,
        batteryOut: { pct: 96, at: 1_000 },
      });
    const out = replayPairings([
      paired('a1', 'R1'),
      paired('a2', 'R2'),
      paired('a3', 'R3'),
      entry('check-in', 'recorder:R1', {
        assignmentId: 'a1',
        officer,
        trigger: 'dock',
        slot: '/dev/ttyACM1',
        pairedAt: '1970-01-01T00:00:01.000Z',
        clips: { verified: 3, quarantined: 0, total: 3 },
        shiftDrawPctPerH: 8.5,
      }),
      entry('recorder-lost', 'recorder:R3', { reason: '执法中遗失', assignmentId: 'a3', officer }),
    ]);
    expect(out.get('a1')).toMatchObject({
      serial: 'R1',
      officer,
      pairedAt: 1_000,
      checkedInBy: 'cli:ops.li',
      shiftDrawPctPerH: 8.5,
      checkIn: { trigger: 'dock', slot: '/dev/ttyACM1', clips: { verified: 3, quarantined: 0, total: 3 } },
    });
    expect(out.get('a2')).toMatchObject({
      serial: 'R2',
      checkedInAt: null,
      readiness: { shiftHours: 10, ok: true },
    });
    expect(out.get('a3')?.lost).toMatchObject({ by: 'cli:ops.li', reason: '执法中遗失' });
  });

  it('passes over entries that do not hold their record (logged before they did)', () => {
    const caseRec = {
      caseNo: 'A-1',
      key: 'a1',
      type: 'penalty',
      title: '甲',
      unit: '法制科',
      officers: [],
      parties: [],
      stage: 'investigation',
      stageHistory: [],
      activityDays: [],
      createdBy: 'li',
      createdAt: '2026-12-01T00:00:00.000Z',
      updatedBy: 'li',
      updatedAt: '2026-12-01T00:00:00.000Z',
      source: 'manual',
    };
    const { cases, links } = replayCases([
      entry('case-admin', 'case:OLD-1', { action: 'create', caseNo: 'OLD-1', type: 'penalty' }),
      entry('case-admin', 'case:A-1', {
        action: 'create',
        record: { ...caseRec, stage: 'application-acceptance' },
      }),
      entry('case-admin', 'case:A-1', { action: 'stage', record: caseRec }),
      entry('case-admin', 'session:S1', { action: 'link', linkId: 'L0', caseNo: 'A-1' }),
    ]);
    expect([...cases.keys()]).toEqual(['a1']);
    expect(cases.get('a1')?.stage).toBe('investigation');
    expect(links.size).toBe(0);

    expect(
      sessionOf(
        entry('recorder-session', 'session:S1', { serial: 'R1', record: { serial: 'R1', sessionId: 'S1' } }),
      ),
    ).toBeUndefined();
    expect(replayAlerts([entry('alert', 'alert:x', { action: 'ack' })]).size).toBe(0);
  });

  it('replays a hearing without its stop entry as recording, its segments from their ingest entries', () => {
    const hs = replayHearings([
      entry('hearing-start', 'hearing:hs-1', {
        roomId: 'R1',
        caseNo: 'A-1',
        activity: 'hearing',
        cameras: ['cam1'],
        startedAt: '2026-12-01T00:00:00.000Z',
      }),
      entry('ingest', 'clip:hs-1.cam1.00001.pre', ingest('hs-1', 0)),
      entry('ingest', 'clip:hs-1.cam1.00002', ingest('hs-1', 1)),
      entry('ingest', 'clip:other.cam1.00001', ingest('other', 0)),
    ]);
    expect([...hs.keys()]).toEqual(['hs-1']);
    const h = hs.get('hs-1');
    expect(h?.session).toMatchObject({ state: 'recording', startedAt: Date.UTC(2026, 11, 1), summary: null });
    expect(h?.segments.map((s) => [s.seq, s.leadIn ?? false, s.playable, s.durationS])).toEqual([
      [1, true, true, null],
      [2, false, true, null],
    ]);
  });

  it('replays discs with the clip list of their request, cameras until removed', () => {
    const rec = (state: string) => ({
      id: 'X1',
      state,
      requestedBy: { username: 'li', name: '李' },
      requestedAt: '2026-12-01T00:00:00.000Z',
      caseNo: 'A-1',
      purpose: '复核',
      recipient: { kind: 'court', name: '法院' },
      sensitivity: 'normal',
    });
    const ex = replayExports([
      entry('export-request', 'export:X1', { clipIds: ['c1', 'c2'], record: rec('requested') }),
      entry('export-refused', 'export:X1', { reason: '无', record: { ...rec('refused'), reason: '无' } }),
    ]);
    expect(ex.get('X1')).toMatchObject({ state: 'refused', reason: '无', clipIds: ['c1', 'c2'] });

    const add = (id: string) =>
      entry('camera-admin', `camera:${id}`, {
        action: 'add',
        name: id,
        xaddr: 'http://10.0.0.9/onvif/device_service',
        roomId: null,
        origin: 'manual',
        user: 'admin',
        urn: null,
        streamUri: null,
        addedAt: 1000,
      });
    const cams = replayCameras([
      add('c1'),
      add('c2'),
      entry('camera-admin', 'camera:c1', { action: 'assign-room', roomId: 'R1' }),
      entry('camera-admin', 'camera:c2', { action: 'remove' }),
    ]);
    expect([...cams.keys()]).toEqual(['c1']);
    expect(cams.get('c1')).toMatchObject({ roomId: 'R1', password: '', passwordLost: true, info: null });
  });
});

function ingest(sessionId: string, i: number): Record<string, unknown> {
  return {
    sha256: 'b'.repeat(64),
    bytes: 100,
    source: 'camera:cam1',
    sessionId,
    start: 1000 + i * 2000,
    end: 3000 + i * 2000,
  };
}
