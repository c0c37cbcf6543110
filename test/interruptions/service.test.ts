/**
 * InterruptionService (R19) on a real LevelDB: record, principal alerts, the open -> explained ->
 * closed workflow, and persistence across a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AlertService } from '../../gateway/alerts/service.js';
import { InterruptionConfig } from '../../gateway/config.js';
import { type Db, openDb } from '../../gateway/db.js';
import { EventBus, type GatewayEvents } from '../../gateway/events.js';
import {
  InterruptionService,
  RULE_CANNOT_CONTINUE,
  RULE_UNRESUMED,
} from '../../gateway/interruptions/service.js';
import { silentLogger } from '../../gateway/log.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
let db: Db;
let bus: EventBus;
let alerts: AlertService;
let svc: InterruptionService;
let events: [string, unknown][];

async function boot(cfg: Partial<z.input<typeof InterruptionConfig>> = {}) {
  db = await openDb(join(dir, 'db'));
  bus = new EventBus(silentLogger);
  events = [];
  bus.onAny((n, p) => events.push([n, p]));
  alerts = new AlertService({ db, bus, log: silentLogger });
  svc = new InterruptionService({
    db,
    bus,
    log: silentLogger,
    alerts,
    config: InterruptionConfig.parse(cfg),
    officerOf: ({ device }) => (device === 'BC1' ? { id: 'O1', name: '张敏', certNo: 'ZF001' } : undefined),
  });
  await alerts.start();
  await svc.start();
}

async function shutdown() {
  await svc.stop();
  await alerts.stop();
  await db.close();
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'int-svc-'));
  await boot();
});
afterEach(async () => {
  await shutdown();
  await rm(dir, { recursive: true, force: true });
});

const raised = () =>
  events.filter(([n]) => n === 'alert.raised').map(([, p]) => p as GatewayEvents['alert.raised']);

describe('InterruptionService', () => {
  it('alerts the principal at once when the device cannot continue, with the paired officer', async () => {
    const r = await svc.open({
      source: 'recorder',
      device: 'BC1',
      sessionId: 'S1',
      cause: 'battery',
      start: 1000,
      canContinue: false,
    });
    expect(r).toMatchObject({ status: 'open', end: null, officer: { name: '张敏' }, cause: 'battery' });
    const a = raised();
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ rule: RULE_CANNOT_CONTINUE, subject: r.id, severity: 'critical' });
    expect(a[0]!.notify).toContain('principal');
    expect((await svc.get(r.id))!.alerts).toEqual([a[0]!.id]);
    expect(events.find(([n]) => n === 'interruption.opened')?.[1]).toMatchObject({
      device: 'BC1',
      source: 'recorder',
    });
  });

  it('is idempotent for the same ongoing interruption', async () => {
    const a = await svc.open({
      source: 'camera',
      device: 'cam1',
      sessionId: 'H1',
      cause: 'stream-lost',
      start: 5,
    });
    const b = await svc.open({
      source: 'camera',
      device: 'cam1',
      sessionId: 'H1',
      cause: 'stream-lost',
      start: 9,
    });
    expect(b.id).toBe(a.id);
    expect(await svc.list({ device: 'cam1' })).toHaveLength(1);
    expect(svc.hasOngoing('camera', 'cam1')).toBe(true);
    expect(svc.hasOngoing('recorder', 'cam1')).toBe(false);
  });

  it('alerts when not resumed in time (gateway clock), and clears the alert on resume', async () => {
    const r = await svc.open({
      source: 'camera',
      device: 'cam2',
      cause: 'stream-lost',
      start: Date.now(),
      resumeTimeoutS: 0.2,
    });
    expect(raised()).toHaveLength(0);
    await waitFor(
      () => raised().some((a) => a.rule === RULE_UNRESUMED && a.subject === r.id),
      'unresumed alert',
    );
    expect(alerts.activeFor(RULE_UNRESUMED, r.id)).toBeDefined();
    const resumed = await svc.resume(r.id, Date.now());
    expect(resumed).toMatchObject({ resumed: true, status: 'open' });
    expect(alerts.activeFor(RULE_UNRESUMED, r.id)).toBeUndefined();
    expect(svc.hasOngoing('camera', 'cam2')).toBe(false);
  });

  it("also times out by the device's own clock", async () => {
    const r = await svc.open({ source: 'recorder', device: 'BC2', cause: 'obstruction', start: 1_000_000 });
    await svc.observeDeviceTime('recorder', 'BC2', 1_000_000 + 299_000);
    expect(raised()).toHaveLength(0);
    await svc.observeDeviceTime('recorder', 'BC2', 1_000_000 + 300_000);
    expect(raised()).toMatchObject([{ rule: RULE_UNRESUMED, subject: r.id }]);
  });

  it('runs open -> explained -> reviewed -> closed, in either order of explaining and ending', async () => {
    const r = await svc.open({ source: 'recorder', device: 'BC3', cause: 'weather', start: 100 });
    await expect(svc.close(r.id, { by: 'boss' })).rejects.toMatchObject({ code: 'CONFLICT' });
    // Explained while still ongoing: stays open until it ends.
    expect(await svc.explain(r.id, { text: 'heavy rain', author: 'off1' })).toMatchObject({ status: 'open' });
    await expect(svc.close(r.id, { by: 'boss' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await svc.resume(r.id, 400)).toMatchObject({ status: 'explained', end: 400 });
    const re = await svc.explain(r.id, { text: 'heavy rain, camera under a coat', author: 'off1' });
    expect(re.history.map((h) => h.text)).toEqual(['heavy rain']);
    await expect(svc.explain(r.id, { text: '   ', author: 'off1' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(svc.close(r.id, { by: 'boss' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await svc.review(r.id, { by: 'legal1', accept: true, note: 'accepted' })).toMatchObject({
      status: 'reviewed',
      review: { by: 'legal1', note: 'accepted', verdict: 'accepted' },
    });
    await expect(svc.explain(r.id, { text: 'rewritten after review', author: 'off1' })).rejects.toMatchObject(
      {
        code: 'CONFLICT',
      },
    );
    const closed = await svc.close(r.id, { by: 'boss', note: 'closed' });
    expect(closed).toMatchObject({ status: 'closed', closure: { by: 'boss', note: 'closed' } });
    await expect(svc.explain(r.id, { text: 'late', author: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(svc.close(r.id, { by: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await svc.list({ status: 'closed' })).map((x) => x.id)).toEqual([r.id]);
    expect(await svc.list({ status: 'open' })).toEqual([]);
  });

  it('notes a resume statement on the latest interruption of the session', async () => {
    const a = await svc.open({
      source: 'recorder',
      device: 'BC4',
      sessionId: 'S',
      cause: 'obstruction',
      start: 10,
    });
    await svc.resume(a.id, 20);
    const b = await svc.open({
      source: 'recorder',
      device: 'BC4',
      sessionId: 'S',
      cause: 'weather',
      start: 30,
    });
    await svc.resume(b.id, 40);
    const noted = await svc.noteResumeStatement('recorder', 'BC4', 41, 'S');
    expect(noted?.id).toBe(b.id);
    expect((await svc.get(a.id))!.resumeStatement).toBe(false);
    expect((await svc.get(b.id))!).toMatchObject({ resumeStatement: true, resumeStatementAt: 41 });
    expect(await svc.noteResumeStatement('recorder', 'BC4', 5, 'S')).toBeNull();
  });

  it('keeps records and re-arms resume timers across a restart; lists newest (by device time) first', async () => {
    const late = await svc.open({ source: 'recorder', device: 'BC5', cause: 'fault', start: 5_000 });
    const early = await svc.open({
      source: 'recorder',
      device: 'BC6',
      cause: 'storage',
      start: 1_000,
      resumeTimeoutS: 0.3,
    });
    await shutdown();
    await boot();
    expect((await svc.list()).map((r) => r.id)).toEqual([late.id, early.id]);
    expect(svc.hasOngoing('recorder', 'BC6')).toBe(true);
    await waitFor(() => raised().some((a) => a.subject === early.id), 'alert after restart');
    expect((await alerts.list({ active: true })).map((a) => a.subject)).toContain(early.id);
  });
});
