/** The readiness forecast at check-out (pure): numbers and wording of each shortfall. */
import { describe, expect, it } from 'vitest';
import { forecastReadiness, shiftDraw } from '../../gateway/pairing/readiness.js';

const base = {
  battery: { pct: 100, charging: false },
  storage: { freeBytes: 64e9, totalBytes: 64e9 },
  shiftHours: 10,
  drawPctPerH: 9,
  bytesPerHour: 2.6e9,
};

describe('forecastReadiness', () => {
  it('passes a full recorder for a 10 h shift', () => {
    const r = forecastReadiness(base);
    expect(r.ok).toBe(true);
    expect(r.batteryHours).toBeCloseTo(11.11, 2);
    expect(r.storageHours).toBeCloseTo(24.6, 1);
    expect(r.shortfalls).toEqual([]);
  });

  it('names the battery shortfall with the numbers', () => {
    const r = forecastReadiness({ ...base, battery: { pct: 56, charging: true } });
    expect(r.ok).toBe(false);
    expect(r.shortfalls).toEqual(['battery lasts 6.2 h < shift 10 h (56 % at 9 %/h, charging)']);
  });

  it('names the storage shortfall with the numbers', () => {
    const r = forecastReadiness({ ...base, storage: { freeBytes: 13e9, totalBytes: 64e9 } });
    expect(r.shortfalls).toEqual(['storage lasts 5.0 h < shift 10 h (13.0 GB free at 2.6 GB/h)']);
  });

  it('never shows a short forecast rounded up to the shift', () => {
    const r = forecastReadiness({ ...base, battery: { pct: 89.99, charging: false } });
    expect(r.ok).toBe(false);
    expect(r.shortfalls[0]).toMatch(/^battery lasts 9\.9 h < shift 10 h/);
  });

  it('uses the highest draw of config, last shift and field telemetry', () => {
    expect(forecastReadiness({ ...base, lastShiftDrawPctPerH: 12 })).toMatchObject({
      drawPctPerH: 12,
      drawSource: 'last-shift',
      ok: false,
    });
    expect(forecastReadiness({ ...base, lastShiftDrawPctPerH: 5, fieldDrawPctPerH: 4 })).toMatchObject({
      drawPctPerH: 9,
      drawSource: 'config',
    });
    expect(forecastReadiness({ ...base, fieldDrawPctPerH: 20 }).drawSource).toBe('field-telemetry');
  });
});

describe('shiftDraw', () => {
  it('is the battery drop per hour out of the dock', () => {
    expect(shiftDraw({ pct: 100, at: 0 }, { pct: 40, at: 6 * 3_600_000 })).toBe(10);
  });
  it('says nothing for short trips or a battery that did not drop', () => {
    expect(shiftDraw({ pct: 100, at: 0 }, { pct: 99, at: 30 * 60_000 })).toBeNull();
    expect(shiftDraw({ pct: 50, at: 0 }, { pct: 60, at: 5 * 3_600_000 })).toBeNull();
  });
});
