/**
 * Alert writes are group-committed: a rule tripping for thousands of recorders at once costs one
 * synced batch per loop turn, not one fsync per alert (R19 alerts queued behind them otherwise),
 * and two writes of one alert still land in call order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AlertService } from '../../gateway/alerts/service.js';
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
