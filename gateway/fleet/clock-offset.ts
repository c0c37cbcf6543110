/**
 * A recorder's clock offset estimated from telemetry (R21 clock faults), robust to the gateway's
 * own delays. Each sample gives (device time − receive time) = offset − delay, and delay (network,
 * broker queue, a busy event loop with 5000 recorders) is never negative, so the largest value over
 * a recent window is the offset minus the least delay seen: the NTP clock filter's choice of the
 * least-delayed sample (RFC 5905 §10). Seconds of loop lag delay some samples, not all of a window,
 * so they no longer read as drift; a real skew shows in every sample and is reported as before.
 *
 * The window is a few buckets of the gateway's clock, each keeping its largest sample: fixed memory
 * per recorder and no allocation on the telemetry hot path.
 */
const BUCKETS = 4;

export class ClockOffsetWindow {
  readonly #bucketMs: number;
  readonly #best = new Float64Array(BUCKETS);
  readonly #id = new Float64Array(BUCKETS).fill(-1);
  /** Gateway time of the first sample of the current unbroken run (NaN: none). */
  #since = Number.NaN;
  #last = Number.NaN;

  /** `windowMs`: how far back the least-delayed sample is looked for (gateway clock). */
  constructor(windowMs: number) {
    this.#bucketMs = Math.max(1, windowMs / BUCKETS);
  }

  /** Adds a sample and returns the estimate (device minus gateway clock, ms). */
  add(deviceAt: number, receivedAt: number): number {
    if (!(receivedAt - this.#last <= this.#bucketMs * BUCKETS)) this.#since = receivedAt;
    this.#last = receivedAt;
    const o = deviceAt - receivedAt;
    const id = Math.floor(receivedAt / this.#bucketMs);
    const slot = id % BUCKETS;
    if (this.#id[slot] !== id) {
      this.#id[slot] = id;
      this.#best[slot] = o;
    } else if (o > this.#best[slot]!) {
      this.#best[slot] = o;
    }
    let est = o;
    for (let i = 0; i < BUCKETS; i++) {
      const b = this.#id[i]!;
      // Only buckets of the current window (a slot may still hold one from long ago).
      if (b > id - BUCKETS && b <= id && this.#best[i]! > est) est = this.#best[i]!;
    }
    return est;
  }

  /**
   * True once the current run of samples spans a bucket: before that the estimate may rest on a
   * single late packet (a connection ramp, a reconnect after buffering), so it is not judged.
   */
  get settled(): boolean {
    return this.#last - this.#since >= this.#bucketMs;
  }

  clear(): void {
    this.#id.fill(-1);
    this.#since = Number.NaN;
    this.#last = Number.NaN;
  }
}
