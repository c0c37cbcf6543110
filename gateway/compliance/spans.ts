/**
 * Recorded stretches: a session's clips with overlapping or touching ones merged (segments and
 * lead-ins counted once, R18). What coverage and gaps are computed from, and what the clip digest
 * keeps per session and day instead of every clip.
 */

/** Recorded without a break from `from` to `to` (ms); `first`/`last`: the clips it starts and ends with. */
export interface SpanFact {
  from: number;
  to: number;
  first: string;
  last: string;
}

/** Adds a clip (or span) to spans kept oldest first; one starting before the last is merged in order. */
export function addSpan(spans: SpanFact[], x: SpanFact): void {
  const cur = spans.at(-1);
  if (cur && x.from < cur.from) {
    spans.push({ ...x });
    spans.splice(0, spans.length, ...mergeSpans(spans));
  } else if (!cur || x.from > cur.to) spans.push({ ...x });
  else if (x.to > cur.to) {
    cur.to = x.to;
    cur.last = x.last;
  }
}

/** Spans (or clips as one-clip spans) merged: sorted by start, overlapping or touching joined. */
export function mergeSpans(spans: readonly SpanFact[]): SpanFact[] {
  const sorted = [...spans].sort((a, b) => a.from - b.from || a.to - b.to);
  const out: SpanFact[] = [];
  for (const s of sorted) {
    const cur = out.at(-1);
    if (cur && s.from <= cur.to) {
      if (s.to > cur.to) {
        cur.to = s.to;
        cur.last = s.last;
      }
    } else out.push({ ...s });
  }
  return out;
}

/** The spans of clips given one by one. */
export function spansOf(clips: readonly { clipId: string; start: number; end: number }[]): SpanFact[] {
  return mergeSpans(clips.map((c) => ({ from: c.start, to: c.end, first: c.clipId, last: c.clipId })));
}

/** Spans cut to [from, to]; those outside dropped. */
export function clipSpans(spans: readonly SpanFact[], from: number, to: number): SpanFact[] {
  const out: SpanFact[] = [];
  for (const s of spans) {
    if (s.to <= from || s.from >= to) continue;
    out.push({ from: Math.max(s.from, from), to: Math.min(s.to, to), first: s.first, last: s.last });
  }
  return out;
}
