/** Retention rules: config lengthens, never goes below the legal floors (R23; Art. 13). */
import { describe, expect, it } from 'vitest';
import { inBusyHours } from '../../gateway/archive/config.js';
import {
  LATEST_LOCK,
  ORDINARY_FLOOR_DAYS,
  PERMANENT_DAYS,
  RetentionRules,
  retainUntil,
  retentionDays,
} from '../../gateway/archive/retention.js';

describe('retention', () => {
  it('keeps ordinary footage 6 months at least, whatever config says', () => {
    const rules = RetentionRules.parse({ defaultDays: 30, byActivity: { inspection: 10 } });
    expect(retentionDays({ activity: 'inspection', flags: [] }, rules)).toBe(ORDINARY_FLOOR_DAYS);
    expect(retentionDays({ flags: [] }, RetentionRules.parse({ defaultDays: 400 }))).toBe(400);
  });

  it('keeps evidence, obstruction, hearings and major incidents permanently, whatever config says', () => {
    const rules = RetentionRules.parse({ byFlag: { evidence: 200, obstruction: 1, 'major-incident': 1 } });
    for (const flag of ['evidence', 'obstruction', 'hearing', 'major-incident'] as const)
      expect(retentionDays({ flags: [flag] }, rules)).toBe(PERMANENT_DAYS);
    expect(retentionDays({ activity: 'hearing', flags: [] }, rules)).toBe(PERMANENT_DAYS);
    expect(retentionDays({ activity: 'evidence-collection', flags: [] }, rules)).toBe(PERMANENT_DAYS);
  });

  it('caps "permanent" at the latest date the bucket can store', () => {
    expect(retainUntil(new Date('2026-01-01T00:00:00Z'), PERMANENT_DAYS)).toEqual(LATEST_LOCK);
    expect(retainUntil(new Date('2026-01-01T00:00:00Z'), 1).toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });

  it('reads busy hours in the office time zone', () => {
    const busy = [{ from: 8, to: 18 }];
    // 01:00 UTC is 09:00 in Shanghai.
    expect(inBusyHours(new Date('2026-12-07T01:00:00Z'), busy, 'Asia/Shanghai')).toBe(true);
    expect(inBusyHours(new Date('2026-12-07T11:00:00Z'), busy, 'Asia/Shanghai')).toBe(false);
    expect(inBusyHours(new Date('2026-12-07T01:00:00Z'), [], 'Asia/Shanghai')).toBe(false);
  });
});
