/**
 * Coverage of a hearing (R18): recorded time / wall time, and the gaps, from the wall-clock
 * intervals of the stored segments. Pure: the same numbers live and after the session.
 */

export interface Interval {
  start: number;
  end: number;
}

export interface CoverageResult {
  wallMs: number;
  recordedMs: number;
  /** recordedMs / wallMs (1 for an empty window). */
  coverage: number;
  /** Unrecorded stretches of the window at least `minGapMs` long, in order. */
  gaps: Interval[];
}

/** Union of intervals clipped to the window (overlaps between runs are not counted twice). */
export function coverageOf(window: Interval, intervals: readonly Interval[], minGapMs = 0): CoverageResult {
  const wallMs = Math.max(0, window.end - window.start);
  const clipped = intervals
    .map((i) => ({ start: Math.max(i.start, window.start), end: Math.min(i.end, window.end) }))
    .filter((i) => i.end > i.start)
    .sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const i of clipped) {
    const last = merged[merged.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else merged.push({ ...i });
  }
  const recordedMs = merged.reduce((s, i) => s + (i.end - i.start), 0);
  const gaps: Interval[] = [];
  let cursor = window.start;
  for (const i of merged) {
    if (i.start - cursor >= minGapMs && i.start > cursor) gaps.push({ start: cursor, end: i.start });
    cursor = i.end;
  }
  if (window.end - cursor >= minGapMs && window.end > cursor) gaps.push({ start: cursor, end: window.end });
  return { wallMs, recordedMs, coverage: wallMs === 0 ? 1 : recordedMs / wallMs, gaps };
}
