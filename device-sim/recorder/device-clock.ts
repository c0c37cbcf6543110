import type { Clock } from '../clock.js';

/**
 * The recorder's own clock: simulated time plus an offset, running fast or slow by `driftPpm`.
 * Everything the recorder stamps (events, telemetry, clip start/end) uses this clock; the gateway
 * corrects it with a time-sync command.
 */
export class DeviceClock {
  private readonly sim: Clock;
  /** Device time at `simRef`. */
  private base: number;
  private simRef: number;
  private drift: number;

  constructor(sim: Clock, opts: { offsetMs?: number; driftPpm?: number } = {}) {
    this.sim = sim;
    this.simRef = sim.now();
    this.base = this.simRef + (opts.offsetMs ?? 0);
    this.drift = opts.driftPpm ?? 0;
  }

  now(): number {
    const s = this.sim.now();
    return Math.max(0, Math.round(this.base + (s - this.simRef) * (1 + this.drift / 1e6)));
  }

  /** Device time minus simulated time (positive: device ahead). */
  get offsetMs(): number {
    return this.now() - this.sim.now();
  }

  get driftPpm(): number {
    return this.drift;
  }

  /** Sets the device clock to `deviceTime` now; drift continues from here. */
  set(deviceTime: number): void {
    this.simRef = this.sim.now();
    this.base = deviceTime;
  }

  /** Jumps the clock by `deltaMs` (a fault, or a user setting the time wrong). */
  jump(deltaMs: number): void {
    this.set(this.now() + deltaMs);
  }

  setDrift(driftPpm: number): void {
    this.set(this.now());
    this.drift = driftPpm;
  }
}
