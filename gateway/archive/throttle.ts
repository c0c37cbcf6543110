/** A bandwidth cap for uploads: a token bucket as a stream Transform (0: no cap). */
import { Transform, type TransformCallback } from 'node:stream';

export function throttle(bytesPerSec: number): Transform {
  let allowance = bytesPerSec;
  let last = Date.now();
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (bytesPerSec <= 0) return done(null, chunk);
      const now = Date.now();
      allowance = Math.min(bytesPerSec, allowance + ((now - last) / 1000) * bytesPerSec);
      last = now;
      allowance -= chunk.length;
      if (allowance >= 0) return done(null, chunk);
      // A timer per chunk costs a millisecond or more each: only when the cap is really reached.
      setTimeout(() => done(null, chunk), (-allowance / bytesPerSec) * 1000);
    },
  });
}
