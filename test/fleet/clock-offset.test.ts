/** The telemetry clock estimate (R21 clock faults) against the gateway's own delays. */
import { describe, expect, it } from 'vitest';
import { ClockOffsetWindow } from '../../gateway/fleet/clock-offset.js';
import { evaluate, RULE_BIT } from '../../gateway/fleet/rules.js';

const MAX = 2000;
const drift = (offsetMs: number) =>
  (evaluate(
    {
      telemetry: null,
      online: true,
      clockOffsetMs: offsetMs,
      firmwareOutdated: false,
      forecast: {
        batteryS: null,
        batteryDrawPctPerH: null,
        storageS: null,
        storageFillBytesPerS: null,
        shiftLeftS: null,
      },
      active: 0,
    },
    { clockDriftMaxMs: MAX } as never,
  ) &
    RULE_BIT['clock-drift']) !==
  0;

describe('ClockOffsetWindow', () => {
  it('ignores receive times late by seconds (a stalled gateway loop) on a good clock', () => {
    const w = new ClockOffsetWindow(120_000);
    const t0 = 1_800_000_000_000;
    // 1 Hz telemetry; from the 10th second the gateway reads packets 2.5–5 s late for 20 s.
    for (let s = 0; s < 60; s++) {
      const delay = s >= 10 && s < 30 ? 2500 + ((s * 389) % 2500) : 20;
      const est = w.add(t0 + s * 1000, t0 + s * 1000 + delay);
      expect(drift(est), `second ${s}, delay ${delay}`).toBe(false);
      expect(est).toBeLessThanOrEqual(0);
    }
  });

  it('reports a real 2-minute skew, behind or ahead, once a quarter window of samples is in', () => {
    for (const skew of [-120_000, 120_000]) {
      const w = new ClockOffsetWindow(120_000);
      const t0 = 1_800_000_000_000;
      for (let s = 0; s < 40; s++) {
        const est = w.add(t0 + skew + s * 1000, t0 + s * 1000 + (s % 3) * 1500);
        expect(Math.abs(est - skew)).toBeLessThanOrEqual(3000);
        expect(drift(est)).toBe(true);
        if (s < 27 || s >= 30) expect(w.settled).toBe(s >= 30);
      }
    }
  });

  it('does not judge a first packet read late (a connection ramp) or the first after a long silence', () => {
    const w = new ClockOffsetWindow(120_000);
    const t0 = 1_800_000_000_000;
    w.add(t0, t0 + 4000);
    expect(w.settled).toBe(false);
    let est = 0;
    for (let s = 1; s <= 40; s++) est = w.add(t0 + s * 1000, t0 + s * 1000 + 20);
    expect(w.settled).toBe(true);
    expect(drift(est)).toBe(false);
    // Ten minutes later a buffered packet arrives first: a new run, not judged on its own.
    w.add(t0 + 600_000, t0 + 630_000);
    expect(w.settled).toBe(false);
  });

  it('sees a clock stepped back within the window, and one put right again at once', () => {
    const w = new ClockOffsetWindow(60_000);
    const t0 = 1_800_000_000_000;
    let est = 0;
    for (let s = 0; s < 30; s++) est = w.add(t0 + s * 1000, t0 + s * 1000 + 30);
    expect(drift(est)).toBe(false);
    let seenAt = -1;
    for (let s = 30; s < 200 && seenAt < 0; s++) {
      est = w.add(t0 + s * 1000 - 120_000, t0 + s * 1000 + 30);
      if (drift(est)) seenAt = s;
    }
    // Seen once the good samples have left the window (60 s plus at most one bucket).
    expect(seenAt).toBeGreaterThan(30);
    expect(seenAt).toBeLessThanOrEqual(30 + 75);
    expect(est).toBe(-120_030);
    est = w.add(t0 + 300_000, t0 + 300_000 + 30);
    expect(drift(est)).toBe(false);
  });
});
