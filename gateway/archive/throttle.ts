/**
 * A bandwidth cap for uploads: one token bucket shared by every upload in flight (the office
 * uplink is one), each upload's bytes passing through its own Transform (0: no cap).
 */
import { Transform, type TransformCallback } from 'node:stream';

export class BandwidthCap {
  #allowance: number;
  #last = Date.now();

  constructor(readonly bytesPerSec: number) {
    this.#allowance = bytesPerSec;
  }

  /** A pass-through that waits for its share of the cap. */
  stream(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, done: TransformCallback) => {
        const rate = this.bytesPerSec;
        if (rate <= 0) return done(null, chunk);
        const now = Date.now();
        this.#allowance = Math.min(rate, this.#allowance + ((now - this.#last) / 1000) * rate);
        this.#last = now;
        this.#allowance -= chunk.length;
        if (this.#allowance >= 0) return done(null, chunk);
        // A timer per chunk costs a millisecond or more each: only when the cap is really reached.
        setTimeout(() => done(null, chunk), (-this.#allowance / rate) * 1000);
      },
    });
  }
}
