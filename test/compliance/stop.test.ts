/**
 * The compliance service's stop waits for every report build under way, the refresh a request or
 * the schedule started included: the stores it reads close right after (composition root's stop).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ComplianceService } from '../../gateway/compliance/service.js';
import { ComplianceConfig } from '../../gateway/config.js';
import type { AuditLog } from '../../gateway/store/audit-log.js';
import { cleanFacts } from './scenario.js';

describe('ComplianceService.stop', () => {
  it('waits for a fresh build that is not yet the cached one', async () => {
    const pending: (() => void)[] = [];
    let collecting = 0;
    const svc = new ComplianceService({
      source: {
        collect: async () => {
          collecting++;
          await new Promise<void>((r) => pending.push(r));
          collecting--;
          return cleanFacts();
        },
      },
      config: ComplianceConfig.parse({}),
      gapToleranceS: 10,
      dir: join(tmpdir(), 'compliance-stop-unused'),
      audit: () => ({ bySubject: async () => [] }) as unknown as AuditLog,
      log: pino({ level: 'silent' }),
      displayName: async () => null,
      render: { pdf: async () => Buffer.alloc(0), xlsx: async () => Buffer.alloc(0) },
    });
    await svc.start();
    const first = svc.report('2026-11');
    pending.shift()!();
    await first;
    // A refresh: served from the cache until it is ready, so the cache does not hold it yet.
    void svc.report('2026-11', { fresh: true });
    expect(collecting).toBe(1);
    let stopped = false;
    const stop = svc.stop().then(() => {
      stopped = true;
    });
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    pending.shift()!();
    await stop;
    expect(collecting).toBe(0);
  });
});
