/**
 * Alert writes are group-committed: a rule tripping for thousands of recorders at once costs one
 * synced batch per loop turn (at most ROUTINE_BATCH routine alerts each), not one fsync per alert,
 * and two writes of one alert still land in call order. Critical alerts (R19: the principal is told
 * at once) go in the next batch, ahead of a storm of routine ones.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AlertService, ROUTINE_BATCH } from '../../gateway/alerts/service.js';
import { type Db, openDb } from '../../gateway/db.js';
import { EventBus } from '../../gateway/events.js';
import { silentLogger } from '../../gateway/log.js';

let dir: string;
let db: Db;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alerts-commit-'));
  db = await openDb(join(dir, 'db'));
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

it('writes a storm of alerts in one batch, and a raise then clear in that order', async () => {
  const alerts = new AlertService({ db, bus: new EventBus(silentLogger), log: silentLogger });
  await alerts.start();
  let writes = 0;
  db.on('write', () => writes++);
  const raise = (subject: string) =>
    alerts.raise({ rule: 'battery-forecast', subject, severity: 'warning', message: subject });
  await Promise.all(Array.from({ length: 500 }, (_, i) => raise(`R${i}`)));
  expect(writes).toBeLessThanOrEqual(2);

  const raised = raise('LAST');
  const cleared = alerts.clear('battery-forecast', 'LAST');
  await Promise.all([raised, cleared]);
  await alerts.stop();
  const fresh = new AlertService({ db, bus: new EventBus(silentLogger), log: silentLogger });
  await fresh.start();
  expect(fresh.activeFor('battery-forecast', 'LAST')).toBeUndefined();
  expect(fresh.activeFor('battery-forecast', 'R499')).toBeDefined();
});

it('puts a critical alert ahead of a storm of routine ones', async () => {
  const bus = new EventBus(silentLogger);
  const alerts = new AlertService({ db, bus, log: silentLogger });
  await alerts.start();
  const order: string[] = [];
  bus.on('alert.raised', (a) => order.push(a.rule));
  const storm = Array.from({ length: 4 * ROUTINE_BATCH }, (_, i) =>
    alerts.raise({ rule: 'battery-forecast', subject: `R${i}`, severity: 'warning', message: 'storm' }),
  );
  // One raised in the storm's loop turn, one in the next, while the storm's first batch is written.
  const r19 = (subject: string) =>
    alerts.raise({
      rule: 'interruption-cannot-continue',
      subject,
      severity: 'critical',
      message: subject,
      notify: ['principal'],
    });
  const same = r19('same-turn');
  const next = await new Promise<ReturnType<typeof r19>>((r) => setImmediate(() => r(r19('next-turn'))));
  await Promise.all([...storm, same, next]);
  const at = (n: number) => order.indexOf('interruption-cannot-continue', n);
  expect(order).toHaveLength(4 * ROUTINE_BATCH + 2);
  expect(at(0)).toBe(0);
  // At most one routine batch ahead of the one raised while the storm was being written.
  expect(at(1)).toBeLessThanOrEqual(ROUTINE_BATCH + 1);
  await alerts.stop();
});
