/** Pure logic: draw estimation, time-left forecasts and health rules. */
import { describe, expect, it } from 'vitest';
import { FleetConfig } from '../../gateway/config.js';
import { draw, MIN_SPAN_MS, SampleRing, timeLeftS } from '../../gateway/fleet/forecast.js';
import { compareVersions, evaluate, RULE_BIT, type RuleInput } from '../../gateway/fleet/rules.js';
import { telemetry } from '../broker/mqtt-helpers.js';

const cfg = FleetConfig.parse({});

describe('SampleRing and forecasts', () => {
  it('finds the slope of a linear drain and the time left', () => {
    const r = new SampleRing(10);
    // 12 %/h = 12 / 3_600_000 per ms
    for (let i = 0; i <= 5; i++) r.push(i * 60_000, 60 - (12 * i) / 60);
    const d = draw(r)!;
    expect(d * 3_600_000).toBeCloseTo(-12, 6);
    expect(timeLeftS(59, d)).toBeCloseTo((59 / 12) * 3600, 3);
  });

  it('keeps only the newest samples, trims by time, and refuses to guess from too little', () => {
    const r = new SampleRing(4);
    for (let i = 0; i < 10; i++) r.push(i * 1000, i);
    expect(r.size).toBe(4);
    expect(r.lastT()).toBe(9000);
    r.trim(8000);
    expect(r.size).toBe(2);
    expect(r.slope()).toBeNull();
    const short = new SampleRing(8);
    for (let i = 0; i < 5; i++) short.push(i * 1000, 100 - i);
    expect(draw(short)).toBeNull(); // span < MIN_SPAN_MS
    expect(MIN_SPAN_MS).toBeGreaterThan(4000);
  });

  it('reports no time left for a level that is not draining', () => {
    expect(timeLeftS(50, 0)).toBeNull();
    expect(timeLeftS(50, 1e-6)).toBeNull();
    expect(timeLeftS(50, null)).toBeNull();
  });
});

describe('rules', () => {
  const base = (over: Partial<RuleInput> = {}): RuleInput => ({
    telemetry: telemetry(),
    online: true,
    clockOffsetMs: 0,
    firmwareOutdated: false,
    forecast: {
      batteryS: null,
      batteryDrawPctPerH: null,
      storageS: null,
      storageFillBytesPerS: null,
      shiftLeftS: null,
    },
    active: 0,
    ...over,
  });
  const battery = (pct: number, charging = false) => ({ pct, voltageMv: 3700, charging, tempC: 20 });

  it('battery low/critical with hysteresis, not while charging or docked', () => {
    expect(evaluate(base({ telemetry: telemetry({ battery: battery(24) }) }), cfg)).toBe(
      RULE_BIT['battery-low'],
    );
    expect(evaluate(base({ telemetry: telemetry({ battery: battery(9) }) }), cfg)).toBe(
      RULE_BIT['battery-critical'],
    );
    expect(evaluate(base({ telemetry: telemetry({ battery: battery(9, true) }) }), cfg)).toBe(0);
    expect(evaluate(base({ telemetry: telemetry({ battery: battery(9), state: 'docked' }) }), cfg)).toBe(0);
    // 26 % clears a fresh check but not an active alert (2 points of hysteresis).
    expect(evaluate(base({ telemetry: telemetry({ battery: battery(26) }) }), cfg)).toBe(0);
    const active = RULE_BIT['battery-low'];
    expect(evaluate(base({ telemetry: telemetry({ battery: battery(26) }), active }), cfg)).toBe(active);
    expect(evaluate(base({ telemetry: telemetry({ battery: battery(28) }), active }), cfg)).toBe(0);
  });

  it('storage low, offline, clock drift and firmware', () => {
    const low = telemetry({ storage: { totalBytes: 100, freeBytes: 5 } });
    expect(evaluate(base({ telemetry: low }), cfg)).toBe(RULE_BIT['storage-low']);
    expect(evaluate(base({ online: false, telemetry: telemetry({ state: 'recording' }) }), cfg)).toBe(
      RULE_BIT['recorder-offline'],
    );
    expect(evaluate(base({ online: false, telemetry: telemetry({ state: 'off' }) }), cfg)).toBe(0);
    expect(evaluate(base({ clockOffsetMs: -2001 }), cfg)).toBe(RULE_BIT['clock-drift']);
    expect(evaluate(base({ firmwareOutdated: true }), cfg)).toBe(RULE_BIT['firmware-outdated']);
  });

  it('forecast shorter than the rest of the shift', () => {
    const forecast = {
      batteryS: 3600,
      batteryDrawPctPerH: 20,
      storageS: 7200,
      storageFillBytesPerS: 1e6,
      shiftLeftS: 5000,
    };
    expect(evaluate(base({ forecast }), cfg)).toBe(RULE_BIT['battery-forecast']);
    expect(evaluate(base({ forecast: { ...forecast, shiftLeftS: 9000 } }), cfg)).toBe(
      RULE_BIT['battery-forecast'] | RULE_BIT['storage-forecast'],
    );
    expect(evaluate(base({ forecast: { ...forecast, shiftLeftS: null } }), cfg)).toBe(0);
  });

  it('compares firmware versions numerically', () => {
    expect(compareVersions('2.10.0', '2.9.9')).toBe(1);
    expect(compareVersions('1.4.2', '2.0.0')).toBe(-1);
    expect(compareVersions('v2.0', '2.0.0')).toBe(0);
    expect(compareVersions('2.0.0-rc1', '2.0.0')).toBe(-1);
    expect(compareVersions('2.0.1-rc1', '2.0.0')).toBe(1);
    expect(compareVersions('2.0.0+build7', '2.0.0')).toBe(0);
  });
});
