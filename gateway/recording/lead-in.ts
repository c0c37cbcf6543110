/**
 * Pure choices of the warm pre-roll cache (preroll.ts): which cache segments become a hearing's
 * lead-in, and which fall out of the ring. Intervals are wall-clock ms, anchored like recorded
 * segments (progress.ts TimelineAnchor on the segment list's times).
 */

export interface WallInterval {
  start: number;
  end: number;
}

/**
 * The cache segments that cover [from, until): a recording asked for at `from` whose own media
 * begins at `until`. Segments start on keyframes, so the first one chosen begins at the keyframe at
 * or before `from`. In time order; may be empty (or have holes, if the cache had them: coverage
 * then counts them honestly).
 */
export function chooseLeadIn<T extends WallInterval>(cache: readonly T[], from: number, until: number): T[] {
  if (!(until > from)) return [];
  return cache.filter((s) => s.end > from && s.start < until).sort((a, b) => a.start - b.start);
}

export interface RingLimits {
  /** At most this many segments are kept (the newest). */
  maxCount: number;
  /** Segments that ended longer ago than this are dropped. */
  maxAgeMs: number;
  /**
   * A hearing asked for the cache from this wall time on (a lead-in is being collected): segments
   * ending after it are kept whatever their count or age. null: nothing held.
   */
  heldFrom: number | null;
}

/** The segments to delete from the ring at `now` (the ring's privacy bound: count and age). */
export function expiredFromRing<T extends WallInterval>(ring: readonly T[], now: number, l: RingLimits): T[] {
  const newestFirst = [...ring].sort((a, b) => b.end - a.end);
  return newestFirst.filter((s, i) => {
    if (l.heldFrom !== null && s.end > l.heldFrom) return false;
    return i >= l.maxCount || now - s.end > l.maxAgeMs;
  });
}
