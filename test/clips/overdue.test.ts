/**
 * The 24-hour clock (R22): deadline = end of recording + 24 h; a pending clip past it raises an
 * alert naming officer and recorder, cleared once the clip is verified.
 * First with an injected clock over the real store and alert service (exact deadline edges), then
 * end to end: a recorder docked over a PTY with a clip recorded 25 h ago whose transfer stalls.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { AlertService } from '../../gateway/alerts/service.js';
import { ClipService, RULE_CLIP_OVERDUE } from '../../gateway/clips/service.js';
import { type Db, openDb } from '../../gateway/db.js';
import { EventBus } from '../../gateway/events.js';
import { createLogger } from '../../gateway/log.js';
import { type ClipFactsInput, ClipStore, sha256Hex } from '../../gateway/store/index.js';
import type { Officer } from '../../protocol/common.js';
import { dockRig, officerOf, until } from '../pairing/rig.js';

const H = 3_600_000;

describe('overdue check with an injected clock', () => {
  let dir: string;
  let db: Db;
  let store: ClipStore;
  let alerts: AlertService;
  let clips: ClipService;
  let now = 0;
  const T0 = Date.parse('2026-03-02T08:00:00Z');
  const wang: Officer = { id: 'wang', name: '王五', certNo: 'ZF-0042' };
  const li: Officer = { id: 'li', name: '李四', certNo: 'ZF-0077' };
  const content = Buffer.from('clip A bytes');
  const a: ClipFactsInput = {
    clipId: 'R1-C1',
    source: { kind: 'recorder', id: 'R-1' },
    sessionId: 'R1-S1',
    officer: wang,
    start: T0 - 2 * H,
    end: T0 - H,
    bytes: content.length,
    sha256: sha256Hex(content),
  };
  // Recorded while paired (the lookup knows), but the clip itself carries no officer.
  const b: ClipFactsInput = {
    clipId: 'R2-C1',
    source: { kind: 'recorder', id: 'R-2' },
    sessionId: 'R2-S1',
    start: T0 - 60_000,
    end: T0,
    bytes: 10,
    sha256: 'b'.repeat(64),
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clips-overdue-'));
    const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
    db = await openDb(join(dir, 'index'));
    const bus = new EventBus(log);
    store = await ClipStore.open({ root: join(dir, 'store'), db, bus, log });
    alerts = new AlertService({ db, bus, log });
    await alerts.start();
    clips = new ClipService({
      store,
      alerts,
      bus,
      log,
      now: () => now,
      officerAt: async (serial, at) => (serial === 'R-2' && at >= T0 - H ? li : null),
    });
    await clips.start();
    await store.announce(a);
    await store.announce(b);
  });

  afterAll(async () => {
    await clips?.stop();
    await store?.stop();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const active = () => alerts.list({ active: true, rule: RULE_CLIP_OVERDUE });

  it('is quiet up to the deadline, end + 24 h', async () => {
    now = T0 + 23 * H;
    expect(await clips.checkOverdue()).toEqual([]);
    expect(await active()).toEqual([]);
    expect((await clips.search({ serial: 'R-1' }))[0]).toMatchObject({
      state: 'on-recorder',
      deadlineLeftMs: 0,
    });
  });

  it('raises one alert per overdue clip, naming officer and recorder', async () => {
    now = T0 + 23 * H + 1;
    expect((await clips.checkOverdue()).map((r) => r.clipId)).toEqual(['R1-C1']);
    now = T0 + 24 * H + 1;
    expect((await clips.checkOverdue()).map((r) => r.clipId)).toEqual(['R1-C1', 'R2-C1']);
    // Checking again does not raise twice.
    await clips.checkOverdue();
    const list = await active();
    expect(list.map((x) => x.subject).sort()).toEqual(['clip:R1-C1', 'clip:R2-C1']);
    const byClip = Object.fromEntries(list.map((x) => [x.subject, x]));
    expect(byClip['clip:R1-C1']!.message).toMatch(/recorder R-1, officer 王五 \(cert ZF-0042\)/);
    expect(byClip['clip:R1-C1']!.message).toMatch(/24 h deadline \(R22\)/);
    expect(byClip['clip:R1-C1']!.details).toMatchObject({
      serial: 'R-1',
      officer: wang,
      deadline: T0 + 23 * H,
    });
    expect(byClip['clip:R2-C1']!.message).toMatch(/recorder R-2, officer 李四 \(cert ZF-0077\)/);
    expect(byClip['clip:R2-C1']!.notify).toContain('legal-affairs');
    const shown = await clips.search({ state: 'overdue' });
    expect(shown.map((c) => [c.clipId, c.state])).toEqual([
      ['R1-C1', 'overdue'],
      ['R2-C1', 'overdue'],
    ]);
    expect(shown[0]!.deadlineLeftMs).toBe(-(H + 1));
    expect((await clips.summary({ serial: 'R-1' })).byState.overdue).toBe(1);
  });

  it('clears the alert once the clip is verified', async () => {
    const file = join(dir, 'a.bin');
    await writeFile(file, content);
    await store.ingestFile(file, a);
    await until(async () => (await active()).every((x) => x.subject !== 'clip:R1-C1'));
    expect((await clips.search({ serial: 'R-1' }))[0]!.state).toBe('verified');
    expect((await clips.checkOverdue()).map((r) => r.clipId)).toEqual(['R2-C1']);
    expect((await active()).map((x) => x.subject)).toEqual(['clip:R2-C1']);
  });

  it('clears the alert when the deadline moves (the recorder re-announced a later end)', async () => {
    await store.announce({ ...b, end: now, start: now - 1000 });
    await clips.checkOverdue();
    expect(await active()).toEqual([]);
  });
});

describe('overdue clip on a docked recorder, end to end', () => {
  it('alerts while the upload is stuck and clears once the clip is verified', async () => {
    const rig = await dockRig({ dock: { overdueCheckS: 0.2 } });
    try {
      const legal = await rig.gw.as('legal-affairs');
      const client = await rig.gw.as('officer');
      const me = officerOf(client, '陈警官');
      const serial = 'LATE-1';
      await rig.register(serial);
      // Recorded a day and an hour ago: already past its deadline when it docks.
      const { recorder } = await recorderWithClips({
        serial,
        clipBytes: [300_000],
        clipSeconds: 60,
        start: Date.now() - 25 * H - 60_000,
        officer: me,
      });
      const clipId = recorder.clips()[0]!.clipId;
      const { pair, slot } = await rig.plug();
      const device = await rig.seat(recorder, pair, { stallAfterDataBytes: 48 * 1024 });

      const alert = await until(async () => {
        const r = await legal.get('/api/alerts?active=true');
        return r.body.find(
          (x: { rule: string; subject: string }) =>
            x.rule === 'clip-overdue' && x.subject === `clip:${clipId}`,
        );
      });
      expect(alert.message).toContain(`recorder ${serial}`);
      expect(alert.message).toContain(`officer 陈警官 (cert ${me.certNo})`);
      const overdue = await legal.get('/api/clips?state=overdue');
      expect(overdue.body.map((c: { clipId: string }) => c.clipId)).toContain(clipId);
      const mine = await client.get('/api/clips');
      expect(mine.body).toHaveLength(1);
      expect(mine.body[0].state).toBe('overdue');
      expect(mine.body[0].deadlineLeftMs).toBeLessThan(0);
      expect(recorder.clips()).toHaveLength(1);

      // Out of the stuck dock, into a working one: the upload completes and the alert clears.
      await rig.takeOut(device, pair, slot);
      const again = await rig.plug();
      await rig.seat(recorder, again.pair);
      await rig.slotState(again.slot, 'ready');
      await until(async () => {
        const r = await legal.get('/api/alerts?active=true');
        return !r.body.some((x: { subject: string }) => x.subject === `clip:${clipId}`);
      });
      const one = await legal.get(`/api/clips/${clipId}`);
      expect(one.body.state).toBe('verified');
      expect(one.body.deadlineLeftMs).toBeNull();
      const all = await legal.get('/api/alerts');
      const cleared = all.body.find((x: { subject: string }) => x.subject === `clip:${clipId}`);
      expect(cleared.active).toBe(false);
      expect(cleared.clearedAt).toBeTruthy();
    } finally {
      await rig.close();
    }
  });
});
