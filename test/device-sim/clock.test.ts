import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../device-sim/clock.js';
import { DeviceClock } from '../../device-sim/recorder/device-clock.js';

describe('virtual clock', () => {
  it('fires timers in due order with now() at their due time', () => {
    const c = new VirtualClock(1_000_000);
    const fired: Array<[string, number]> = [];
    c.setTimer(() => fired.push(['b', c.now()]), 200);
    c.setTimer(() => fired.push(['a', c.now()]), 100);
    const x = c.setTimer(() => fired.push(['x', c.now()]), 150);
    c.setTimer(() => fired.push(['c', c.now()]), 200);
    c.setTimer(() => c.setTimer(() => fired.push(['nested', c.now()]), 10), 250);
    c.clearTimer(x);
    c.advance(300);
    expect(fired).toEqual([
      ['a', 1_000_100],
      ['b', 1_000_200],
      ['c', 1_000_200],
      ['nested', 1_000_260],
    ]);
    expect(c.now()).toBe(1_000_300);
    expect(c.pending).toBe(0);
  });

  it('runs a repeating timer over ten hours, yielding to the event loop', async () => {
    const c = new VirtualClock();
    let ticks = 0;
    let ioTurns = 0;
    const tick = () => {
      ticks++;
      c.setTimer(tick, 1000);
    };
    c.setTimer(tick, 1000);
    const io = setInterval(() => ioTurns++, 0);
    await c.runFor(10 * 3_600_000, 60_000);
    clearInterval(io);
    expect(ticks).toBe(36_000);
    expect(ioTurns).toBeGreaterThan(0);
  });
});

describe('device clock', () => {
  it('adds offset and drift to simulated time, and can be set', () => {
    const sim = new VirtualClock(0);
    const d = new DeviceClock(sim, { offsetMs: 5000, driftPpm: 100 });
    expect(d.now()).toBe(5000);
    sim.advance(10_000_000);
    // 100 ppm of 10,000 s = 1 s fast.
    expect(d.now()).toBe(5000 + 10_000_000 + 1000);
    d.set(sim.now());
    expect(d.offsetMs).toBe(0);
    sim.advance(1_000_000);
    expect(d.offsetMs).toBe(100);
    d.setDrift(0);
    d.jump(-2000);
    sim.advance(1_000_000);
    expect(d.offsetMs).toBe(-1900);
  });
});
