/**
 * Statistics for case review, supervision and evaluation (R7): per officer, unit, activity type
 * and day of the period. Pure over the period's facts; the service computes them once per period
 * and serves the result (precomputed), so the summary page never waits for a scan.
 *
 *   sessions          sessions that started in the period
 *   hoursRecorded     clip time inside those sessions, overlaps counted once
 *   coverage          recorded / arrival-to-departure time of the ended `continuous` sessions
 *   interruptions     records that started in the period, by cause; "explained in time" = a
 *                     written explanation within explainWithinH of the end (of the ended ones)
 *   upload delay      stored-at minus end of recording of verified clips (hours; R22 at 24)
 *   overdue clips     pending clips past their deadline at the time of the report
 *   availability      share of the period each recorder was without an open fault
 */
import { type Completeness, checkAll } from './completeness.js';
import {
  type ComplianceFacts,
  type ComplianceRules,
  groupBy,
  HOUR,
  sessionSpans,
  uploadDelaysMs,
} from './facts.js';
import { clipSpans } from './spans.js';

export interface GroupStats {
  sessions: number;
  hoursRecorded: number;
  /** Null when the group has no ended continuous session. */
  coverage: number | null;
  interruptions: number;
  /** Of the ended interruptions, the share explained in time; null when none ended. */
  explainedInTime: number | null;
  overdueClips: number;
  lateClips: number;
}

export interface Stats {
  from: number;
  to: number;
  now: number;
  totals: GroupStats;
  byOfficer: (GroupStats & { key: string; name: string })[];
  byUnit: (GroupStats & { key: string })[];
  byActivity: (GroupStats & { key: string })[];
  /** Days in the office's time zone (UTC+8). */
  byDay: (GroupStats & { key: string })[];
  interruptionsByCause: { cause: string; count: number; explainedInTime: number; ended: number }[];
  uploadDelay: {
    buckets: { label: '<1h' | '1-6h' | '6-12h' | '12-24h' | '>24h'; count: number }[];
    p50H: number | null;
    p90H: number | null;
    maxH: number | null;
  };
  devices: {
    count: number;
    availability: number | null;
    perDevice: { serial: string; availability: number }[];
  };
}

interface Acc {
  sessions: number;
  recordedMs: number;
  contRecorded: number;
  contSpan: number;
  interruptions: number;
  ended: number;
  inTime: number;
  overdue: number;
  late: number;
}

const newAcc = (): Acc => ({
  sessions: 0,
  recordedMs: 0,
  contRecorded: 0,
  contSpan: 0,
  interruptions: 0,
  ended: 0,
  inTime: 0,
  overdue: 0,
  late: 0,
});

const finish = (a: Acc): GroupStats => ({
  sessions: a.sessions,
  hoursRecorded: Math.round((a.recordedMs / HOUR) * 100) / 100,
  coverage: a.contSpan > 0 ? a.contRecorded / a.contSpan : null,
  interruptions: a.interruptions,
  explainedInTime: a.ended > 0 ? a.inTime / a.ended : null,
  overdueClips: a.overdue,
  lateClips: a.late,
});

const TZ_OFFSET_MS = 8 * HOUR;
export const dayKey = (t: number) => new Date(t + TZ_OFFSET_MS).toISOString().slice(0, 10);

export function computeStats(
  f: ComplianceFacts,
  rules: ComplianceRules,
  checks: Map<string, Completeness> = checkAll(f, rules),
): Stats {
  const total = newAcc();
  const officers = new Map<string, Acc>();
  const officerNames = new Map<string, string>();
  const units = new Map<string, Acc>();
  const activities = new Map<string, Acc>();
  const days = new Map<string, Acc>();
  const get = (m: Map<string, Acc>, k: string) => {
    let a = m.get(k);
    if (!a) {
      a = newAcc();
      m.set(k, a);
    }
    return a;
  };
  const inP = (t: number) => t >= f.from && t < f.to;
  const spans = sessionSpans(f);
  const sessionById = new Map(f.sessions.map((s) => [s.id, s]));
  const unitOfDevice = new Map(f.devices.map((d) => [d.serial, d.unit]));

  /** The accumulators a row counts in: total, its officer, unit, activity, day. */
  const accsFor = (officerId: string | null, unit: string | null, activity: string | null, t: number) => [
    total,
    get(officers, officerId ?? '-'),
    get(units, unit ?? '-'),
    get(activities, activity ?? '-'),
    get(days, dayKey(t)),
  ];

  for (const s of f.sessions) {
    if (!inP(s.start)) continue;
    if (s.officer) officerNames.set(s.officer.id, s.officer.name);
    const c = checks.get(s.id)!;
    const end = s.end ?? Math.min(f.now, f.to);
    const recorded = s.end === null ? sumMs(clipSpans(spans(s.id), s.start, end)) : c.recordedMs;
    for (const a of accsFor(s.officer?.id ?? null, s.unit, s.activity, s.start)) {
      a.sessions++;
      a.recordedMs += recorded;
      if (s.requirement === 'continuous' && s.end !== null) {
        a.contRecorded += c.recordedMs;
        a.contSpan += c.spanMs;
      }
    }
  }

  const within = rules.explainWithinH * HOUR;
  const causes = new Map<string, { count: number; explainedInTime: number; ended: number }>();
  for (const i of f.interruptions) {
    if (!inP(i.start)) continue;
    const s = i.sessionId ? sessionById.get(i.sessionId) : undefined;
    const off = i.officer ?? s?.officer ?? null;
    const ended = i.end !== null && i.end + within <= f.now;
    const inTime = ended && i.explainedAt !== null && i.explainedAt <= (i.end ?? 0) + within;
    const unit = s?.unit ?? unitOfDevice.get(i.device) ?? null;
    for (const a of accsFor(off?.id ?? null, unit, s?.activity ?? null, i.start)) {
      a.interruptions++;
      if (ended) a.ended++;
      if (inTime) a.inTime++;
    }
    const c = causes.get(i.cause) ?? { count: 0, explainedInTime: 0, ended: 0 };
    c.count++;
    if (ended) c.ended++;
    if (inTime) c.explainedInTime++;
    causes.set(i.cause, c);
  }

  // A typed array sorts numerically in native code (a month holds a million clips).
  const ms = uploadDelaysMs(f);
  const delays = new Float64Array(ms.length);
  for (let i = 0; i < ms.length; i++) delays[i] = Math.max(0, ms[i]!) / HOUR;
  delays.sort();
  for (const c of f.clips) {
    if (!inP(c.start)) continue;
    const s = sessionById.get(c.sessionId);
    const pendingOverdue = (c.state === 'on-recorder' || c.state === 'uploading') && c.deadline < f.now;
    const late = c.state === 'verified' && c.ingestedAt !== null && c.ingestedAt > c.deadline;
    if (!pendingOverdue && !late) continue;
    const off = c.officer ?? s?.officer ?? null;
    for (const a of accsFor(
      off?.id ?? null,
      s?.unit ?? unitOfDevice.get(c.device) ?? null,
      s?.activity ?? null,
      c.start,
    )) {
      if (pendingOverdue) a.overdue++;
      if (late) a.late++;
    }
  }
  const bucket = (lo: number, hi: number) => countBelow(delays, hi) - countBelow(delays, lo);
  const pct = (p: number) =>
    delays.length ? round2(delays[Math.min(delays.length - 1, Math.floor(p * delays.length))]!) : null;

  const periodEnd = Math.min(f.to, f.now);
  const periodMs = Math.max(0, periodEnd - f.from);
  const faults = groupBy(f.faults, (x) => x.device);
  const perDevice = f.devices
    .filter((d) => d.registeredAt < periodEnd)
    .map((d) => {
      const start = Math.max(f.from, d.registeredAt);
      const span = periodEnd - start;
      const down = unionMs(
        (faults.get(d.serial) ?? []).map((x) => [
          Math.max(x.at, start),
          Math.min(x.clearedAt ?? periodEnd, periodEnd),
        ]),
      );
      return { serial: d.serial, availability: span > 0 ? Math.max(0, 1 - down / span) : 1 };
    });

  const rows = (m: Map<string, Acc>) =>
    [...m.entries()].map(([key, a]) => ({ key, ...finish(a) })).sort((a, b) => a.key.localeCompare(b.key));
  return {
    from: f.from,
    to: f.to,
    now: f.now,
    totals: finish(total),
    byOfficer: rows(officers).map((r) => ({ ...r, name: officerNames.get(r.key) ?? r.key })),
    byUnit: rows(units),
    byActivity: rows(activities),
    byDay: rows(days),
    interruptionsByCause: [...causes.entries()]
      .map(([cause, c]) => ({ cause, ...c }))
      .sort((a, b) => b.count - a.count),
    uploadDelay: {
      buckets: [
        { label: '<1h', count: bucket(0, 1) },
        { label: '1-6h', count: bucket(1, 6) },
        { label: '6-12h', count: bucket(6, 12) },
        { label: '12-24h', count: bucket(12, 24) },
        { label: '>24h', count: bucket(24, Number.POSITIVE_INFINITY) },
      ],
      p50H: pct(0.5),
      p90H: pct(0.9),
      maxH: delays.length ? round2(delays.at(-1)!) : null,
    },
    devices: {
      count: perDevice.length,
      availability:
        perDevice.length && periodMs > 0
          ? perDevice.reduce((n, d) => n + d.availability, 0) / perDevice.length
          : null,
      perDevice,
    },
  };
}

/** How many of the sorted values are below x (binary search). */
function countBelow(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const sumMs = (spans: readonly { from: number; to: number }[]) =>
  spans.reduce((n, x) => n + x.to - x.from, 0);

/** Length of the union of [from, to] intervals. */
export function unionMs(iv: number[][]): number {
  const s = iv.filter(([a, b]) => b! > a!).sort((x, y) => x[0]! - y[0]!);
  let n = 0;
  let curA = Number.NEGATIVE_INFINITY;
  let curB = Number.NEGATIVE_INFINITY;
  for (const [a, b] of s as [number, number][]) {
    if (a > curB) {
      if (curB > curA) n += curB - curA;
      curA = a;
      curB = b;
    } else curB = Math.max(curB, b);
  }
  if (curB > curA) n += curB - curA;
  return n;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
