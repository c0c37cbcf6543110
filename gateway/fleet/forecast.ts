/**
 * Time-left forecasts (R19: battery and storage are watched live and forecast, warn before they
 * run out). The draw is the least-squares slope over a short window of recent samples, so it tracks
 * the current draw (recording draws more than idle) rather than a lifetime average.
 */

/** A fixed-size ring of (t, value) samples in typed arrays: 5000 recorders stay cheap. */
export class SampleRing {
  readonly #t: Float64Array;
  readonly #v: Float64Array;
  #start = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#t = new Float64Array(capacity);
    this.#v = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  lastT(): number | null {
    return this.#size === 0 ? null : this.#t[(this.#start + this.#size - 1) % this.capacity]!;
  }

  push(t: number, v: number): void {
    const i = (this.#start + this.#size) % this.capacity;
    this.#t[i] = t;
    this.#v[i] = v;
    if (this.#size < this.capacity) this.#size++;
    else this.#start = (this.#start + 1) % this.capacity;
  }

  clear(): void {
    this.#start = 0;
    this.#size = 0;
  }

  /** Drops samples older than `minT`. */
  trim(minT: number): void {
    while (this.#size > 0 && this.#t[this.#start]! < minT) {
      this.#start = (this.#start + 1) % this.capacity;
      this.#size--;
    }
  }

  /** Least-squares slope (value per ms) and the span covered; null with < 3 samples. */
  slope(): { perMs: number; spanMs: number } | null {
    const n = this.#size;
    if (n < 3) return null;
    const t0 = this.#t[this.#start]!;
    let st = 0;
    let sv = 0;
    let stt = 0;
    let stv = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.#start + k) % this.capacity;
      const t = this.#t[i]! - t0;
      const v = this.#v[i]!;
      st += t;
      sv += v;
      stt += t * t;
      stv += t * v;
    }
    const den = n * stt - st * st;
    if (den <= 0) return null;
    const spanMs = this.#t[(this.#start + n - 1) % this.capacity]! - t0;
    return { perMs: (n * stv - st * sv) / den, spanMs };
  }
}

export interface Forecast {
  /** Seconds until the battery is empty at the current draw; null when not draining or unknown. */
  batteryS: number | null;
  /** Battery draw, percent per hour (positive = draining). */
  batteryDrawPctPerH: number | null;
  /** Seconds until storage is full at the current fill rate; null when not filling or unknown. */
  storageS: number | null;
  storageFillBytesPerS: number | null;
  /** Seconds left in the shift (from undocking), null when docked or unknown. */
  shiftLeftS: number | null;
}

/** Slopes need at least this much history before they are trusted. */
export const MIN_SPAN_MS = 60_000;

export function timeLeftS(level: number, slopePerMs: number | null): number | null {
  if (slopePerMs === null || !(slopePerMs < 0)) return null;
  return Math.max(0, level / -slopePerMs / 1000);
}

export function draw(ring: SampleRing): number | null {
  const s = ring.slope();
  if (!s || s.spanMs < MIN_SPAN_MS) return null;
  return s.perMs;
}
