/**
 * ffmpeg `-progress pipe:1` output: blocks of `key=value` lines, each closed by
 * `progress=continue` or `progress=end`. The watchdog's freshness signal is `out_time_us` growing
 * (valid data muxed), not merely the process being alive (Frigate's lesson).
 */

export interface ProgressReport {
  /** Media time written so far on this run's timeline, ms; null until the first packet. */
  outTimeMs: number | null;
  frame: number | null;
  /** `end` is the last report of a run. */
  progress: 'continue' | 'end';
}

const MAX_LINE = 4096;

/** Incremental parser: feed it stdout chunks, it calls back once per complete block. */
export class ProgressParser {
  #buf = '';
  #fields = new Map<string, string>();

  constructor(private readonly onReport: (r: ProgressReport) => void) {}

  push(chunk: string): void {
    this.#buf += chunk;
    let nl = this.#buf.indexOf('\n');
    while (nl >= 0) {
      const line = this.#buf.slice(0, nl).trim();
      this.#buf = this.#buf.slice(nl + 1);
      this.#line(line);
      nl = this.#buf.indexOf('\n');
    }
    // A line this long is not ffmpeg progress output: drop it rather than grow without bound.
    if (this.#buf.length > MAX_LINE) this.#buf = '';
  }

  #line(line: string): void {
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key !== 'progress') {
      if (this.#fields.size < 64) this.#fields.set(key, value);
      return;
    }
    const report: ProgressReport = {
      outTimeMs: microsToMs(this.#fields.get('out_time_us')),
      frame: intOrNull(this.#fields.get('frame')),
      progress: value === 'end' ? 'end' : 'continue',
    };
    this.#fields.clear();
    this.onReport(report);
  }
}

function microsToMs(v: string | undefined): number | null {
  const n = intOrNull(v);
  return n === null || n < 0 ? null : n / 1000;
}

function intOrNull(v: string | undefined): number | null {
  if (v === undefined || !/^-?\d+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Maps one run's media timeline to the wall clock. Every report says "at wall time `now`, media up
 * to `outTimeMs` has been written", so `now - outTimeMs` is the wall time of media 0 plus a delay
 * (network, muxing) that is never negative: the smallest estimate seen is the best.
 */
export class TimelineAnchor {
  #anchor = Number.POSITIVE_INFINITY;
  #frozen = false;

  observe(now: number, outTimeMs: number): void {
    const est = now - outTimeMs;
    if (!this.#frozen && est < this.#anchor) this.#anchor = est;
  }

  /**
   * Keeps the anchor as it is from now on: once a segment has been given wall times, a better
   * estimate would move the next one against it (an overlap, seen up to 0.7 s on a loaded machine).
   * One anchor per run keeps segments end to end; a restart gets a fresh one.
   */
  freeze(): void {
    if (this.known) this.#frozen = true;
  }

  get known(): boolean {
    return Number.isFinite(this.#anchor);
  }

  /** Wall time (ms since epoch) of media time `mediaS` seconds on this run's timeline. */
  wall(mediaS: number): number {
    if (!this.known) throw new Error('timeline not anchored yet');
    return Math.round(this.#anchor + mediaS * 1000);
  }
}
