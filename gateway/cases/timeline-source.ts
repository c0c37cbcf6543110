/**
 * Gathers a case's timeline (timeline.ts) from the services holding its facts: the case's stage
 * history, its links, the recorder sessions and hearings they name (and those the recorder or the
 * hearing staff stamped with the case number), their clips, segments and interruptions, and the
 * evidence exports of the case. What the reader may see of exports follows their own scope (R24).
 */

import type { ClockSample } from '../dock/time-sync.js';
import type { ExportView } from '../exports/schema.js';
import type { HearingSession, SegmentRow } from '../hearings/schemas.js';
import type { InterruptionRecord } from '../interruptions/record.js';
import type { SessionRecord } from '../interruptions/sessions.js';
import { type ClipRecord, clipState } from '../store/index.js';
import type { PublicUser } from '../users.js';
import { offsetAt, toGatewayTime } from './clock.js';
import { type CaseRecord, normaliseCaseNo, type RecordingLink } from './schema.js';
import type { CaseService } from './service.js';
import {
  type CaseTimeline,
  type ClipCounts,
  coverage,
  laneCoverage,
  orderTimeline,
  type TimelineItem,
} from './timeline.js';

export interface TimelineFacts {
  session(serial: string, sessionId: string): Promise<SessionRecord | undefined>;
  hearing(id: string): Promise<HearingSession | undefined>;
  hearingsOfCase(caseNo: string): Promise<HearingSession[]>;
  segments(hearingId: string): Promise<SegmentRow[]>;
  clipsOfSession(sessionId: string): Promise<ClipRecord[]>;
  clipsOfCase(caseNo: string): Promise<ClipRecord[]>;
  interruptionsOf(sessionId: string): Promise<InterruptionRecord[]>;
  exports(user: PublicUser): Promise<ExportView[]>;
  clockHistory(serial: string): Promise<ClockSample[]>;
  roomName(roomId: string): string | null;
  displayName(username: string): Promise<string | null>;
}

export interface CaseTimelines {
  of(c: CaseRecord, user: PublicUser): Promise<CaseTimeline>;
}

type LinkInfo = { id: string | null; by: string | null; at: string | null; via: 'link' | 'recorded' };

export class TimelineSource implements CaseTimelines {
  constructor(
    private readonly cases: CaseService,
    private readonly facts: TimelineFacts,
    private readonly now: () => number = Date.now,
  ) {}

  async of(c: CaseRecord, user: PublicUser): Promise<CaseTimeline> {
    const items: TimelineItem[] = c.stageHistory.map((s) => ({
      kind: 'stage',
      at: Date.parse(s.at),
      end: null,
      stage: s.stage,
      by: s.by,
      ...(s.note ? { note: s.note } : {}),
    }));
    const links = await this.cases.linksOf(c.caseNo);
    const sessions = new Map<string, { serial: string; sessionId: string; link: RecordingLink | null }>();
    const hearings = new Map<string, RecordingLink | null>();
    for (const l of links) {
      if (l.target.kind === 'hearing') hearings.set(l.target.hearingId, l);
      else sessions.set(`${l.target.serial}!${l.target.sessionId}`, { ...l.target, link: l });
    }
    // Recordings stamped with the case number but not tagged (or tagged to another case: skipped).
    for (const clip of await this.facts.clipsOfCase(c.caseNo)) {
      if (clip.source.kind !== 'recorder') continue;
      const key = `${clip.source.id}!${clip.sessionId}`;
      if (sessions.has(key)) continue;
      const linked = await this.cases.caseOfTarget({
        kind: 'recorder-session',
        serial: clip.source.id,
        sessionId: clip.sessionId,
      });
      if (linked && normaliseCaseNo(linked.caseNo) !== c.key) continue;
      sessions.set(key, { serial: clip.source.id, sessionId: clip.sessionId, link: null });
    }
    for (const h of await this.facts.hearingsOfCase(c.caseNo)) {
      if (hearings.has(h.id)) continue;
      const linked = await this.cases.caseOfTarget({ kind: 'hearing', hearingId: h.id });
      if (linked && normaliseCaseNo(linked.caseNo) !== c.key) continue;
      hearings.set(h.id, null);
    }

    const clipIds = new Set<string>();
    const offsets = new Map<string, ClockSample[]>();
    const clockOf = async (serial: string, at: number) => {
      if (!offsets.has(serial)) offsets.set(serial, await this.facts.clockHistory(serial).catch(() => []));
      return offsetAt(offsets.get(serial) ?? [], at);
    };

    for (const { serial, sessionId, link } of sessions.values()) {
      const s = await this.facts.session(serial, sessionId);
      const clips = (await this.facts.clipsOfSession(sessionId)).filter(
        (x) => x.source.kind === 'recorder' && x.source.id === serial,
      );
      for (const x of clips) clipIds.add(x.clipId);
      const from = s?.startedAt ?? s?.firstSegmentStart ?? minOf(clips.map((x) => x.start));
      const to = s?.endedAt ?? s?.lastSegmentEnd ?? maxOf(clips.map((x) => x.end));
      const offset = from === null ? null : await clockOf(serial, from);
      items.push({
        kind: 'session',
        at: toGatewayTime(from ?? 0, offset),
        end: to === null ? null : toGatewayTime(to, offset),
        serial,
        sessionId,
        officer: s?.officer ?? clips.find((x) => x.officer)?.officer ?? null,
        activity: link?.activity ?? s?.activity ?? clips.find((x) => x.activity)?.activity ?? null,
        stage: link?.stage ?? null,
        link: linkInfo(link),
        clockOffsetMs: offset,
        deviceStart: from,
        requirement: s?.requirement ?? null,
        flags: [...new Set((s?.flags ?? []).map((f) => f.flag))],
        clips: this.#counts(clips),
        coverage: coverage(
          clips.map((x) => [x.start, x.end] as const),
          from,
          to,
        ),
      });
      for (const r of await this.facts.interruptionsOf(sessionId)) {
        if (r.source !== 'recorder' || r.device !== serial) continue;
        items.push(interruptionItem(r, await clockOf(serial, r.start)));
      }
    }

    for (const [hearingId, link] of hearings) {
      const h = await this.facts.hearing(hearingId);
      if (!h) continue;
      const segs = await this.facts.segments(hearingId);
      const lanes = new Map<string, [number, number][]>();
      for (const sg of segs) {
        clipIds.add(sg.clipId);
        const lane = lanes.get(sg.cameraId) ?? [];
        lane.push([sg.start, sg.end]);
        lanes.set(sg.cameraId, lane);
      }
      for (const cam of h.cameras) if (!lanes.has(cam)) lanes.set(cam, []);
      const clips = (await this.facts.clipsOfSession(hearingId)).filter((x) => x.source.kind === 'camera');
      const to = h.stoppedAt ?? (h.state === 'recording' ? this.now() : maxOf(segs.map((s) => s.end)));
      items.push({
        kind: 'hearing',
        at: h.startedAt,
        end: h.stoppedAt,
        hearingId,
        roomId: h.roomId,
        roomName: this.facts.roomName(h.roomId),
        startedBy: h.startedBy,
        activity: link?.activity ?? h.activity,
        stage: link?.stage ?? null,
        link: linkInfo(link) ?? {
          id: null,
          by: h.startedBy,
          at: new Date(h.startedAt).toISOString(),
          via: 'recorded',
        },
        cameras: lanes.size,
        segments: segs.filter((s) => !s.leadIn).length,
        leadIns: segs.filter((s) => s.leadIn).length,
        clips: this.#counts(clips),
        coverage: laneCoverage(lanes, h.startedAt, to),
      });
      for (const r of await this.facts.interruptionsOf(hearingId)) items.push(interruptionItem(r, null));
    }

    for (const e of await this.facts.exports(user)) {
      if (normaliseCaseNo(e.caseNo) !== c.key && !e.clipIds.some((id) => clipIds.has(id))) continue;
      items.push({
        kind: 'export',
        at: Date.parse(e.requestedAt),
        end: null,
        id: e.id,
        state: e.state,
        requestedBy: e.requestedBy.name || e.requestedBy.username,
        decidedBy: e.decidedBy ? e.decidedBy.name || e.decidedBy.username : null,
        decidedAt: e.decidedAt ?? null,
        clips: e.clipIds.length,
        purpose: e.purpose,
      });
    }
    return {
      caseNo: c.caseNo,
      title: c.title,
      stage: c.stage,
      generatedAt: new Date(this.now()).toISOString(),
      items: orderTimeline(items),
      names: await this.#names(c, items),
    };
  }

  /** Accounts and officer ids the page shows, with their display names (officers: as paired). */
  async #names(c: CaseRecord, items: TimelineItem[]): Promise<Record<string, string>> {
    const names: Record<string, string> = {};
    const ids = new Set(c.officers);
    for (const i of items) {
      if (i.kind === 'stage') ids.add(i.by);
      if ((i.kind === 'session' || i.kind === 'hearing') && i.link?.by) ids.add(i.link.by);
      if (i.kind === 'hearing') ids.add(i.startedBy);
      if (i.kind === 'interruption') {
        for (const u of [i.heldBy, i.explanation?.author, i.review?.by, i.closure?.by]) if (u) ids.add(u);
      }
      if ((i.kind === 'session' || i.kind === 'interruption') && i.officer)
        names[i.officer.id] = i.officer.name;
    }
    for (const id of ids) {
      const n = await this.facts.displayName(id).catch(() => null);
      if (n) names[id] = n;
    }
    return names;
  }

  #counts(clips: ClipRecord[]): ClipCounts {
    const now = this.now();
    const out: ClipCounts = {
      count: clips.length,
      verified: 0,
      pending: 0,
      overdue: 0,
      quarantined: 0,
      bytes: 0,
      clipIds: [],
    };
    for (const x of clips) {
      const st = clipState(x, now);
      if (st === 'verified') out.verified++;
      else if (st === 'quarantined') out.quarantined++;
      else if (st === 'overdue') out.overdue++;
      else out.pending++;
      out.bytes += x.bytes;
      out.clipIds.push(x.clipId);
    }
    return out;
  }
}

function interruptionItem(r: InterruptionRecord, offset: number | null): TimelineItem {
  return {
    kind: 'interruption',
    at: toGatewayTime(r.start, offset),
    end: r.end === null ? null : toGatewayTime(r.end, offset),
    id: r.id,
    source: r.source,
    device: r.device,
    sessionId: r.sessionId,
    cause: r.cause,
    status: r.status,
    heldBy: r.heldBy ?? r.officer?.id ?? null,
    officer: r.officer,
    resumeStatement: r.resumeStatement,
    explanation: r.explanation,
    review: r.review,
    closure: r.closure ?? null,
    clockOffsetMs: offset,
  };
}

function linkInfo(l: RecordingLink | null): LinkInfo | null {
  return l ? { id: l.id, by: l.by, at: l.at, via: 'link' } : null;
}

function minOf(xs: number[]): number | null {
  return xs.length ? Math.min(...xs) : null;
}
function maxOf(xs: number[]): number | null {
  return xs.length ? Math.max(...xs) : null;
}
