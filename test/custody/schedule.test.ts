/**
 * The schedule (custody.intervalH): a checkpoint at least every interval when the log grew — not
 * before it is due, not over a log that did not grow (its own `checkpoint` entry aside), and none
 * while an audit-log integrity alert is open. The clock is injected; no timers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertService } from '../../gateway/alerts/service.js';
import { CustodyConfig } from '../../gateway/config.js';
import { CustodyService, INTEGRITY_RULE, INTEGRITY_SUBJECT } from '../../gateway/custody/service.js';
import { EventBus } from '../../gateway/events.js';
import { createLogger } from '../../gateway/log.js';
import { makeStore, type TestStore } from '../store/helpers.js';

const H = 3_600_000;

describe('scheduled checkpoints', () => {
  let t: TestStore;
  let now = Date.UTC(2026, 11, 7, 0, 0, 0);
  let custody: CustodyService;
  let alerts: AlertService;
  beforeEach(async () => {
    t = await makeStore({ now: () => now });
    const log = createLogger({ level: 'silent' });
    alerts = new AlertService({ db: t.db, bus: new EventBus(log), log });
    await alerts.start();
    custody = new CustodyService({
      config: CustodyConfig.parse({ gatewayId: 'gw-sched', intervalH: 24 }),
      dataDir: t.dir,
      db: t.db,
      log,
      alerts,
      audit: () => t.store.audit,
      now: () => now,
    });
  });
  afterEach(async () => {
    await custody.stop();
    await t.cleanup();
  });

  const grow = (n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        t.store.audit.append({ type: 'clip-access', actor: 'u', subject: `clip:c${i}`, details: {} }),
      ),
    );

  it('issues when due and grown, only then', async () => {
    await grow(3);
    await custody.start(); // grown since nothing: issued at start
    const first = await custody.latestCheckpoint();
    expect(first).toMatchObject({ treeSize: 3, origin: 'gw-sched' });

    await grow(2);
    now += 23 * H;
    expect(await custody.checkSchedule()).toBeUndefined(); // not due yet
    now += 1 * H;
    const daily = await custody.checkSchedule();
    expect(daily).toMatchObject({ treeSize: 6 }); // 3 + the first checkpoint's entry + 2
    const entry = await t.store.audit.get(7);
    expect(entry).toMatchObject({ type: 'checkpoint', actor: 'gateway', details: { reason: 'scheduled' } });

    now += 48 * H;
    expect(await custody.checkSchedule()).toBeUndefined(); // only its own entry since: not grown

    await grow(1);
    await alerts.raise({
      rule: INTEGRITY_RULE,
      subject: INTEGRITY_SUBJECT,
      severity: 'critical',
      message: 'x',
    });
    expect(await custody.checkSchedule()).toBeUndefined(); // blocked while the alert is open
    await alerts.clear(INTEGRITY_RULE, INTEGRITY_SUBJECT);
    expect(await custody.checkSchedule()).toMatchObject({ treeSize: 8 });
  });
});
