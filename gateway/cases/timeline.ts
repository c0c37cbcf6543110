/**
 * A case's timeline (R9–R13, R18): stage changes, recording sessions, hearings, interruptions with
 * their explanations and evidence exports, in order on the gateway's clock. A recorder's device
 * times are moved by its measured clock offset where one is known (clock.ts), so a session on a
 * recorder running ten minutes fast sorts where it really happened. One recording session is one
 * item: its clips (segments) and, for hearings, the lead-ins from the pre-roll cache are counted
 * inside it with its coverage, never listed as overlapping separate clips. Pure functions here;
 * timeline-source.ts gathers the facts.
 */
import { z } from 'zod';
import { Activity } from '../../protocol/common.js';
import { CaseStage } from './schema.js';

export const Coverage = z.object({
  /** Union of the recorded stretches inside the span (ms). */
  recordedMs: z.number(),
  /** The span to be covered: arrival to departure (session), start to stop x cameras (hearing). */
  spanMs: z.number(),
  /** recorded / span, 0..1; null when the span is unknown or empty. */
  ratio: z.number().nullable(),
});
export type Coverage = z.infer<typeof Coverage>;

const LinkInfo = z
  .object({
    id: z.string().nullable(),
    by: z.string().nullable(),
    at: z.string().nullable(),
    via: z.enum(['link', 'recorded']),
  })
  .nullable();

const ClipCounts = z.object({
  count: z.number().int(),
  verified: z.number().int(),
  pending: z.number().int(),
  overdue: z.number().int(),
  quarantined: z.number().int(),
  bytes: z.number(),
  clipIds: z.array(z.string()),
});
export type ClipCounts = z.infer<typeof ClipCounts>;

const base = {
  /** Gateway clock (ms), drift-corrected where known. */
  at: z.number(),
  end: z.number().nullable(),
};

export const TimelineItem = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('stage'),
    ...base,
    stage: CaseStage,
    by: z.string(),
    note: z.string().optional(),
  }),
  z.object({
    kind: z.literal('session'),
    ...base,
    serial: z.string(),
    sessionId: z.string(),
    officer: z.object({ id: z.string(), name: z.string(), certNo: z.string() }).nullable(),
    activity: Activity.nullable(),
    stage: CaseStage.nullable(),
    link: LinkInfo,
    /** Device clock minus gateway clock applied (ms); null when no sync measured it. */
    clockOffsetMs: z.number().nullable(),
    deviceStart: z.number().nullable(),
    requirement: z.string().nullable(),
    flags: z.array(z.string()),
    clips: ClipCounts,
    coverage: Coverage,
  }),
  z.object({
    kind: z.literal('hearing'),
    ...base,
    hearingId: z.string(),
    roomId: z.string(),
    roomName: z.string().nullable(),
    startedBy: z.string(),
    activity: Activity,
    stage: CaseStage.nullable(),
    link: LinkInfo,
    cameras: z.number().int(),
    segments: z.number().int(),
    leadIns: z.number().int(),
    clips: ClipCounts,
    coverage: Coverage,
  }),
  z.object({
    kind: z.literal('interruption'),
    ...base,
    id: z.string(),
    source: z.string(),
    device: z.string(),
    sessionId: z.string().nullable(),
    cause: z.string(),
    status: z.string(),
    heldBy: z.string().nullable(),
    officer: z.object({ id: z.string(), name: z.string(), certNo: z.string() }).nullable(),
    resumeStatement: z.boolean(),
    explanation: z.object({ text: z.string(), author: z.string(), at: z.string() }).nullable(),
    review: z
      .object({ by: z.string(), at: z.string(), note: z.string().optional(), verdict: z.string().optional() })
      .nullable(),
    closure: z.object({ by: z.string(), at: z.string(), note: z.string().optional() }).nullable(),
    clockOffsetMs: z.number().nullable(),
  }),
  z.object({
    kind: z.literal('export'),
    ...base,
    id: z.string(),
    state: z.string(),
    requestedBy: z.string(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    clips: z.number().int(),
    purpose: z.string(),
  }),
]);
export type TimelineItem = z.infer<typeof TimelineItem>;

export interface CaseTimeline {
  caseNo: string;
  title: string;
  stage: CaseStage;
  generatedAt: string;
  items: TimelineItem[];
  /** Display names of the people the case and its items name by account or officer id. */
  names: Record<string, string>;
}

/** Length of the union of [start, end] intervals clipped to [from, to]. */
export function unionMs(intervals: readonly (readonly [number, number])[], from: number, to: number): number {
  const xs = intervals
    .map(([a, b]) => [Math.max(a, from), Math.min(b, to)] as const)
    .filter(([a, b]) => b > a)
    .sort((p, q) => p[0] - q[0]);
  let total = 0;
  let curA = Number.NEGATIVE_INFINITY;
  let curB = Number.NEGATIVE_INFINITY;
  for (const [a, b] of xs) {
    if (a > curB) {
      if (curB > curA) total += curB - curA;
      curA = a;
      curB = b;
    } else curB = Math.max(curB, b);
  }
  if (curB > curA) total += curB - curA;
  return total;
}

export function coverage(
  intervals: readonly (readonly [number, number])[],
  from: number | null,
  to: number | null,
  lanes = 1,
): Coverage {
  if (from === null || to === null || to <= from) {
    const recordedMs = unionMs(intervals, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    return { recordedMs, spanMs: 0, ratio: null };
  }
  const recordedMs = unionMs(intervals, from, to);
  const spanMs = (to - from) * lanes;
  return { recordedMs, spanMs, ratio: Math.min(1, recordedMs / spanMs) };
}

/** Per lane (camera) union, summed: a hearing's coverage over its cameras. */
export function laneCoverage(
  lanes: Map<string, [number, number][]>,
  from: number,
  to: number | null,
): Coverage {
  if (to === null || to <= from) return { recordedMs: 0, spanMs: 0, ratio: null };
  let recordedMs = 0;
  for (const iv of lanes.values()) recordedMs += unionMs(iv, from, to);
  const spanMs = (to - from) * Math.max(1, lanes.size);
  return { recordedMs, spanMs, ratio: Math.min(1, recordedMs / spanMs) };
}

const KIND_ORDER: Record<TimelineItem['kind'], number> = {
  stage: 0,
  hearing: 1,
  session: 1,
  interruption: 2,
  export: 3,
};

/** Oldest first; at equal times a stage change comes before what was recorded in it. */
export function orderTimeline(items: TimelineItem[]): TimelineItem[] {
  return [...items].sort((a, b) => a.at - b.at || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
}
