/**
 * The archive backlog alert with an injected clock: raised once the oldest queued item has waited
 * longer than `backlogAlertMinutes` (a retried item keeps its first enqueue time), cleared when the
 * queue drains. No S3 needed: only the durable queue and the alert decision.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RaiseInput } from '../../gateway/alerts/service.js';
import { ArchiveConfig } from '../../gateway/archive/config.js';
import { ArchiveService, BACKLOG_RULE } from '../../gateway/archive/service.js';
import { type Db, openDb } from '../../gateway/db.js';
import { EventBus } from '../../gateway/events.js';
import { createLogger } from '../../gateway/log.js';

describe('archive backlog alert', () => {
  let dir: string;
  let db: Db;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archive-backlog-'));
    db = await openDb(join(dir, 'index'));
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is raised when the oldest item waited past the threshold and cleared when the queue drains', async () => {
    let now = Date.parse('2026-12-07T02:00:00Z');
    const raised: RaiseInput[] = [];
    const cleared: string[] = [];
    const archive = new ArchiveService({
      config: ArchiveConfig.parse({ backlogAlertMinutes: 60, retryMs: 1000 }),
      timeZone: 'Asia/Shanghai',
      db,
      store: {} as never,
      bus: new EventBus(),
      alerts: {
        raise: async (a) => {
          raised.push(a);
          return a as never;
        },
        clear: async (rule, subject) => {
          cleared.push(`${rule}/${subject}`);
          return true;
        },
      },
      log: createLogger({ level: 'silent' }),
      now: () => now,
    });
    await archive.enqueue({ kind: 'clip', clipId: 'A' });
    now += 10 * 60_000;
    await archive.enqueue({ kind: 'clip', clipId: 'B' });

    now += 49 * 60_000; // A has waited 59 min
    await archive.checkBacklog();
    expect(raised).toEqual([]);

    // A failed attempt pushes A's next try back but not its age.
    const first = await archive.queue.next(now);
    await archive.queue.failed(first!, 'ECONNREFUSED', 1000, now);
    now += 2 * 60_000; // 61 min
    await archive.checkBacklog();
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      rule: BACKLOG_RULE,
      subject: 'archive',
      details: { depth: 2, oldestAgeMs: 61 * 60_000, lastError: 'ECONNREFUSED' },
    });
    expect(await archive.status()).toMatchObject({ depth: 2, oldestAgeMs: 61 * 60_000 });

    for (let item = await archive.queue.next(now + 3_600_000); item; ) {
      await archive.queue.done(item.key);
      item = await archive.queue.next(now + 3_600_000);
    }
    await archive.checkBacklog();
    expect(cleared).toContain(`${BACKLOG_RULE}/archive`);
    expect(await archive.status()).toMatchObject({ depth: 0, oldestAgeMs: 0 });
  });
});
