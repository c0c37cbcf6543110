import { describe, expect, it } from 'vitest';
import { BatteryModel } from '../../device-sim/recorder/battery.js';
import { BatteryParams, BITRATE_1080P_BPS, StorageParams } from '../../device-sim/recorder/profile.js';
import { StorageModel } from '../../device-sim/recorder/storage.js';

const H = 3_600_000;

describe('battery model', () => {
  const params = BatteryParams.parse({ capacityMah: 4000, nominalVoltageMv: 3700 });

  it('draws energy by state', () => {
    const b = new BatteryModel(params);
    b.setState('recording');
    b.advance(H);
    // 1.3 W for an hour out of 14.8 Wh.
    expect(b.pct).toBeCloseTo(100 - (1.3 / 14.8) * 100, 1);
    const idle = new BatteryModel(params);
    idle.setState('idle');
    idle.advance(H);
    expect(100 - idle.pct).toBeLessThan(100 - b.pct);
    expect(idle.pct).toBeCloseTo(100 - (0.25 / 14.8) * 100, 1);
  });

  it('forecasts time to empty consistently with the drain', () => {
    const b = new BatteryModel(params);
    b.setState('recording');
    // Usable down to the firmware's shutdown level (1 %).
    const f = b.forecastEmptyMs();
    expect(f / H).toBeCloseTo((0.99 * 14.8) / 1.3, 2);
    b.advance(f / 2);
    expect(b.pct).toBeCloseTo(50.5, 1);
    expect(b.forecastEmptyMs() / H).toBeCloseTo(f / 2 / H, 2);
    expect(b.forecastEmptyMs('idle')).toBeGreaterThan(b.forecastEmptyMs('recording'));
    b.advance(f / 2);
    expect(b.pct).toBeCloseTo(1, 1);
    expect(b.forecastEmptyMs()).toBeLessThan(60_000);
    b.advance(f);
    expect(b.pct).toBe(0);
    expect(b.forecastEmptyMs()).toBe(0);
  });

  it('charges fast to 80 % then tapers', () => {
    const b = new BatteryModel({ ...params, initialPct: 0 });
    b.setState('docked');
    expect(b.reading().charging).toBe(true);
    const to80 = b.forecastChargeMs(80);
    // 0.8 C: 80 % in one hour.
    expect(to80 / H).toBeCloseTo(1, 1);
    b.advance(to80);
    expect(b.pct).toBeCloseTo(80, 0);
    const last20 = b.forecastChargeMs(100);
    // The taper makes the last 20 % take longer than the first 20 %.
    expect(last20).toBeGreaterThan(to80 / 4);
    let prev = b.pct;
    let slower = 0;
    for (let i = 0; i < 6; i++) {
      const before = b.pct - prev;
      prev = b.pct;
      b.advance(10 * 60_000);
      if (i > 0 && b.pct - prev <= before + 1e-9) slower++;
    }
    expect(slower).toBeGreaterThan(0);
    b.advance(10 * H);
    expect(b.pct).toBe(100);
    expect(b.reading().charging).toBe(false);
  });

  it('gives voltage rising with charge and sagging under load, and warms while recording', () => {
    const lo = new BatteryModel({ ...params, initialPct: 10 });
    const hi = new BatteryModel({ ...params, initialPct: 90 });
    expect(hi.reading().voltageMv).toBeGreaterThan(lo.reading().voltageMv);
    expect(hi.reading().voltageMv).toBeLessThanOrEqual(4200);
    const idle = new BatteryModel(params);
    idle.setState('idle');
    const rec = new BatteryModel(params);
    rec.setState('recording');
    expect(rec.reading().voltageMv).toBeLessThan(idle.reading().voltageMv);
    rec.advance(H);
    expect(rec.reading().tempC).toBeGreaterThan(params.ambientC + 3);
  });
});

describe('storage model', () => {
  it('fills at the bitrate per segment and frees on release', () => {
    const s = new StorageModel(StorageParams.parse({ capacityBytes: 10e9 }));
    expect((BITRATE_1080P_BPS / 8) * 3600).toBeCloseTo(2.6e9, -6);
    s.beginSegment();
    s.advance(5 * 60_000);
    const bytes = s.endSegment();
    expect(bytes).toBeCloseTo(2.6e9 / 12, -4);
    s.commit(bytes);
    expect(s.freeBytes).toBe(10e9 - bytes);
    s.release(bytes);
    expect(s.freeBytes).toBe(10e9);
  });

  it('stops writing at the end of the medium', () => {
    const s = new StorageModel(StorageParams.parse({ capacityBytes: 1_000_000, bitrateBps: 8_000_000 }));
    s.beginSegment();
    s.advance(10_000);
    expect(s.isFull).toBe(true);
    expect(s.endSegment()).toBe(1_000_000);
  });
});
