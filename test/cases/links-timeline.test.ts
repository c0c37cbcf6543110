/**
 * Recordings tagged with a case (R9–R13) and the case timeline, over real HTTP and MQTT:
 * officers tag only their own ended sessions, in bulk and all-or-nothing; a tag is a record of its
 * own (the clip's facts unchanged, R25) and audited; the timeline puts a recorder's session where
 * it happened on the gateway's clock when a dock sync measured its clock running fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClockSample } from '../../gateway/dock/time-sync.js';
import { connectRecorder, type RecorderClient, register } from '../broker/mqtt-helpers.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

const MIN = 60_000;
const SHA = 'a'.repeat(64);
let gw: TestGateway;
let legal: ApiClient;
let alice: ApiClient;
let bob: ApiClient;
let fast: RecorderClient;
let ok: RecorderClient;
/** Gateway time the field work happened around. */
const T0 = Date.now() - 3 * 3600_000;
const CASE = '广电罚〔2026〕31号';
const path = `/api/cases/${encodeURIComponent(CASE)}`;

async function session(
  r: RecorderClient,
  id: string,
  officerId: string,
  at: number,
  opts: { gapAt?: number } = {},
) {
  await r.event({ type: 'session-started', sessionId: id, officerId, activity: 'inspection', at });
  await r.event({ type: 'marker', sessionId: id, marker: 'notice-given', at: at + 1000 });
  await r.event({ type: 'recording-started', sessionId: id, at: at + 1000 });
  await r.event({
    type: 'segment-closed',
    sessionId: id,
    clipId: `${id}-c1`,
    start: at + 1000,
    end: at + 2 * MIN,
    bytes: 1000,
    sha256: SHA,
    at: at + 2 * MIN,
  });
  if (opts.gapAt) {
    await r.event({
      type: 'recording-stopped',
      sessionId: id,
      cause: 'weather',
      canContinue: true,
      at: opts.gapAt,
    });
    await r.event({ type: 'recording-started', sessionId: id, at: opts.gapAt + MIN });
  }
  await r.event({
    type: 'segment-closed',
    sessionId: id,
    clipId: `${id}-c2`,
    start: at + 2 * MIN,
    end: at + 4 * MIN,
    bytes: 1000,
    sha256: SHA,
    at: at + 4 * MIN,
  });
  await r.event({ type: 'session-ended', sessionId: id, at: at + 4 * MIN + 1000 });
  await waitFor(async () => (await gw.app.field.sessions.get(r.serial, id))?.endedAt, `session ${id} ended`);
  await waitFor(async () => (await gw.app.store.index.listBySession(id)).length === 2, `clips of ${id}`);
}

beforeAll(async () => {
  gw = await startGateway();
  legal = await gw.as('legal-affairs');
  alice = await gw.as('officer');
  bob = await gw.as('officer');
  fast = await connectRecorder(gw, 'BC-FAST', await register(gw, 'BC-FAST'));
  ok = await connectRecorder(gw, 'BC-OK', await register(gw, 'BC-OK'));
  // BC-FAST's clock runs 10 min ahead: the dock sync after the shift measured it (PROTOCOL.md §3.9.2).
  const sample: ClockSample = {
    serial: 'BC-FAST',
    at: T0 + 60 * MIN,
    offsetMs: 10 * MIN,
    rttMs: 4,
    adjustMs: -10 * MIN,
    residualMs: 0,
    driftPpm: null,
  };
  await gw.app.db
    .sublevel<string, ClockSample>('dock-clock', { valueEncoding: 'json' })
    .put(`BC-FAST!${String(sample.at).padStart(16, '0')}`, sample);
  // Alice's session on the fast recorder really began at T0 - 5 min (its clock said T0 + 5 min);
  // Bob's on a true clock at T0.
  await session(fast, 'S-ALICE', alice.username, T0 + 5 * MIN, { gapAt: T0 + 5 * MIN + 150_000 });
  await session(ok, 'S-BOB', bob.username, T0);
  await legal.post('/api/cases', {
    caseNo: CASE,
    type: 'penalty',
    title: '擅自从事广播电视节目传送业务案',
    unit: '执法支队',
    officers: [alice.username, bob.username],
    parties: ['王五'],
  });
});

afterAll(async () => {
  await fast?.end();
  await ok?.end();
  await gw?.stop();
});

const target = (serial: string, sessionId: string) => ({ kind: 'recorder-session', serial, sessionId });

describe('tagging recordings with a case', () => {
  it('officers tag only their own sessions, all or nothing; legal affairs any', async () => {
    const mixed = await alice.post(`${path}/links`, {
      targets: [target('BC-FAST', 'S-ALICE'), target('BC-OK', 'S-BOB')],
      stage: 'investigation',
      activity: 'inspection',
    });
    expect(mixed.status).toBe(403);
    expect(mixed.body.error.details).toMatchObject({ reason: 'NOT_YOURS' });
    // Nothing of the refused bulk was kept.
    expect((await legal.get(`${path}/links`)).body).toEqual([]);

    const mine = await alice.post(`${path}/links`, {
      targets: [target('BC-FAST', 'S-ALICE')],
      stage: 'investigation',
      activity: 'inspection',
      note: '现场检查',
    });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject([
      { caseNo: CASE, by: alice.username, stage: 'investigation', supersedes: null },
    ]);

    // Hearing staff cannot tag a recorder session; an outsider officer cannot tag on the case.
    const staff = await gw.as('hearing-staff');
    expect(
      (
        await staff.post(`${path}/links`, {
          targets: [target('BC-OK', 'S-BOB')],
          stage: 'investigation',
          activity: 'inquiry',
        })
      ).status,
    ).toBe(403);

    const byLegal = await legal.post(`${path}/links`, {
      targets: [target('BC-OK', 'S-BOB')],
      stage: 'investigation',
      activity: 'evidence-collection',
    });
    expect(byLegal.status).toBe(200);

    // Retagging keeps the old link as history.
    const re = await alice.post(`${path}/links`, {
      targets: [target('BC-FAST', 'S-ALICE')],
      stage: 'investigation',
      activity: 'evidence-collection',
    });
    expect(re.body[0].supersedes).toBe(mine.body[0].id);
    const links = (await legal.get(`${path}/links`)).body as { id: string }[];
    expect(links.map((l) => l.id).sort()).toEqual([re.body[0].id, byLegal.body[0].id].sort());
    expect(await gw.app.cases.history(target('BC-FAST', 'S-ALICE') as never)).toHaveLength(2);

    // caseOf a clip goes through its session's link; the clip's own facts are as recorded (R25).
    expect(await gw.app.cases.caseOf('S-ALICE-c1')).toMatchObject({
      caseNo: CASE,
      activity: 'evidence-collection',
      via: 'link',
    });
    const clip = await gw.app.store.index.get('S-ALICE-c1');
    expect(clip?.caseNo).toBeUndefined();
    expect(clip?.activity).toBe('inspection');

    const audit = (await legal.get('/api/audit?type=case-admin&limit=100')).body as {
      subject: string;
      details: { action: string };
    }[];
    expect(
      audit
        .filter((e) => e.details.action === 'link')
        .map((e) => e.subject)
        .sort(),
    ).toEqual(['session:S-ALICE', 'session:S-ALICE', 'session:S-BOB'].sort());
  });

  it('lists my recordings: sessions to tag and interruptions to explain', async () => {
    const mine = (await alice.get('/api/my/recordings')).body;
    expect(mine.recordings.map((r: { target: { sessionId: string } }) => r.target.sessionId)).toEqual([
      'S-ALICE',
    ]);
    expect(mine.recordings[0].case).toMatchObject({ caseNo: CASE });
    expect(
      mine.interruptions.map((r: { cause: string; toExplain: boolean }) => [r.cause, r.toExplain]),
    ).toEqual([['weather', true]]);
    expect(mine.cases.map((c: { caseNo: string }) => c.caseNo)).toEqual([CASE]);
  });

  it('orders the timeline on the gateway clock across the fast recorder', async () => {
    const tl = (await alice.get(`${path}/timeline`)).body;
    const kinds = tl.items.map((i: { kind: string; sessionId?: string; cause?: string }) =>
      i.kind === 'session' ? i.sessionId : i.kind === 'interruption' ? i.cause : i.kind,
    );
    // Alice's session (really T0-5m) and its interruption (T0-2.5m) come before Bob's (T0).
    expect(kinds).toEqual(['S-ALICE', 'weather', 'S-BOB', 'stage']);
    const alicesSession = tl.items[0];
    expect(alicesSession).toMatchObject({
      kind: 'session',
      clockOffsetMs: 10 * MIN,
      deviceStart: T0 + 5 * MIN,
      at: T0 - 5 * MIN,
      clips: { count: 2 },
      link: { by: alice.username, via: 'link' },
    });
    // One item per session: two segments counted inside it; the weather gap shows in its coverage.
    expect(tl.items.filter((i: { kind: string }) => i.kind === 'session')).toHaveLength(2);
    expect(alicesSession.coverage.ratio).toBeGreaterThan(0.9);
    expect(tl.items[1]).toMatchObject({
      kind: 'interruption',
      at: T0 - 5 * MIN + 150_000,
      heldBy: alice.username,
    });
  });
});
