/**
 * Keeps per-key logging bounded: a misbehaving recorder flooding bad payloads must not flood the log
 * (or the live stream). Allows `burst` events per key per window and counts the rest.
 */
export class Throttle {
  readonly #seen = new Map<string, { windowStart: number; n: number; suppressed: number }>();

  constructor(
    private readonly burst = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Null when suppressed; else how many were suppressed since the last allowed one. */
  allow(key: string): number | null {
    const t = this.now();
    let s = this.#seen.get(key);
    if (!s || t - s.windowStart >= this.windowMs) {
      const suppressed = s?.suppressed ?? 0;
      s = { windowStart: t, n: 0, suppressed: 0 };
      this.#seen.set(key, s);
      s.n++;
      return suppressed;
    }
    if (s.n >= this.burst) {
      s.suppressed++;
      return null;
    }
    s.n++;
    const suppressed = s.suppressed;
    s.suppressed = 0;
    return suppressed;
  }
}
