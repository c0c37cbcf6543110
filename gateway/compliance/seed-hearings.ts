/**
 * Hearings for the demo's month (seed.ts): the hearing-room staff record a hearing (听证, R14) for
 * the cases that reached review, each room camera's segments stored through the real store as the
 * hearing service stores them (source `camera`, one clip per segment, its segment row; stored at
 * the stop here, in order, where the service stores each as it closes), with the
 * start and stop audit entries, the summary and the link to the case. One hearing loses its
 * camera stream for a few minutes: an R19 interruption the staff member explained.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseService } from '../cases/service.js';
import type { Db } from '../db.js';
import type { HearingSession, SegmentRow } from '../hearings/schemas.js';
import { coverageOf } from '../hearings/summary.js';
import type { InterruptionRecord } from '../interruptions/record.js';
import type { ClipStore } from '../store/index.js';
import { HOUR } from './facts.js';

const MIN = 60_000;
const SEGMENT_MS = 10 * MIN;
/** The demo's hearing-staff login (demo.ts names one account per role). */
export const DEMO_HEARING_STAFF = 'hearingstaff';
/** The camera id the demo gives the camera of room `n` (1-based). */
export const demoCameraId = (room: number) => `cam${room}`;

export interface HearingSeedContext {
  db: Db;
  store: ClipStore;
  cases: CaseService;
  tmp: string;
  rnd: () => number;
  /** Schedules a step at virtual time `t`. */
  at(t: number, run: () => Promise<unknown>): void;
  rooms: number;
}

/** One hearing of `caseNo` starting at `start`; returns the clips it stores. */
export function seedHearing(
  ctx: HearingSeedContext,
  o: { caseNo: string; room: number; start: number; minutes: number; streamLoss: boolean },
): number {
  const { at, store } = ctx;
  const sessions = ctx.db.sublevel<string, HearingSession>('hearings', { valueEncoding: 'json' });
  const segments = ctx.db.sublevel<string, SegmentRow>('hearing-segments', { valueEncoding: 'json' });
  const intDb = ctx.db.sublevel<string, InterruptionRecord>('interruptions', { valueEncoding: 'json' });
  const by = DEMO_HEARING_STAFF;
  const cameraId = demoCameraId(o.room);
  const end = o.start + o.minutes * MIN;
  const id = `hs-${o.start.toString(36)}-${randomBytes(3).toString('hex')}`;
  const session: HearingSession = {
    id,
    roomId: `room-${o.room}`,
    caseNo: o.caseNo,
    activity: 'hearing',
    startedBy: by,
    startedAt: o.start,
    stoppedBy: null,
    stoppedAt: null,
    state: 'recording',
    cameras: [cameraId],
    summary: null,
  };
  const lossFrom = o.start + Math.floor(o.minutes / 2) * MIN;
  const loss = o.streamLoss
    ? { start: lossFrom, end: lossFrom + (2 + Math.floor(ctx.rnd() * 4)) * MIN }
    : null;
  const pieces: [number, number][] = [];
  for (let t = o.start + 800; t < end; t += SEGMENT_MS) {
    const s = loss && t < loss.end && t + SEGMENT_MS > loss.start ? [t, loss.start, loss.end] : [t];
    if (s.length === 1) pieces.push([t, Math.min(end, t + SEGMENT_MS)]);
    else pieces.push([s[0]!, s[1]!], [s[2]!, Math.min(end, t + SEGMENT_MS)]);
  }
  const rows: SegmentRow[] = [];
  at(o.start, async () => {
    await store.audit.append({
      type: 'hearing-start',
      actor: by,
      subject: `hearing:${id}`,
      details: { roomId: session.roomId, caseNo: o.caseNo, activity: 'hearing', cameras: session.cameras },
    });
    await sessions.put(id, session);
    await ctx.cases.linkHearing(session);
  });
  // Segments stored in order, then the stop: one step (steps of the same hour run concurrently).
  const storeSegments = async () => {
    for (const [seq, [a, b]] of pieces.entries()) {
      const clipId = `${id}.${cameraId}.${String(seq + 1).padStart(5, '0')}`;
      const path = join(ctx.tmp, clipId);
      await writeFile(path, Buffer.from(`demo hearing segment ${clipId}`.padEnd(96, '.')));
      const r = await store.ingestFile(
        path,
        {
          clipId,
          source: { kind: 'camera', id: cameraId },
          sessionId: id,
          caseNo: o.caseNo,
          activity: 'hearing',
          start: a,
          end: b,
        },
        { actor: by },
      );
      await rm(path);
      const row: SegmentRow = {
        sessionId: id,
        cameraId,
        seq: seq + 1,
        clipId,
        sha256: r.sha256,
        bytes: r.bytes,
        start: a,
        end: b,
        durationS: (b - a) / 1000,
        playable: true,
        run: loss && a >= loss.end ? 1 : 0,
      };
      rows.push(row);
      await segments.put(`${id}!${cameraId}!${String(seq + 1).padStart(6, '0')}`, row);
    }
  };
  if (loss) {
    const rec: InterruptionRecord = {
      id: `${id}-int`,
      source: 'camera',
      device: cameraId,
      roomId: session.roomId,
      officer: null,
      sessionId: id,
      cause: 'stream-lost',
      canContinue: true,
      start: loss.start,
      end: loss.end,
      resumed: true,
      resumeStatement: true,
      resumeStatementAt: loss.end + 30_000,
      status: 'explained',
      explanation: {
        text: '听证室网络交换机断电，恢复供电后摄像机重新连接',
        author: by,
        at: new Date(end + HOUR).toISOString(),
      },
      history: [],
      review: null,
      heldBy: by,
      alerts: [],
      openedAt: new Date(loss.start).toISOString(),
      updatedAt: new Date(end + HOUR).toISOString(),
    };
    at(loss.end, () => intDb.put(rec.id, rec));
  }
  at(end + 2000, async () => {
    await storeSegments();
    const cov = coverageOf({ start: o.start, end }, rows);
    const bytes = rows.reduce((n, r) => n + r.bytes, 0);
    const gaps = cov.gaps
      .filter((g) => g.end - g.start >= 500)
      .map((g) => {
        const hit = loss && loss.start < g.end && loss.end > g.start;
        return {
          start: g.start,
          end: g.end,
          durationMs: g.end - g.start,
          interruptionId: hit ? `${id}-int` : null,
          cause: hit ? 'stream-lost' : null,
        };
      });
    await store.audit.append({
      type: 'hearing-stop',
      actor: by,
      subject: `hearing:${id}`,
      details: { segments: rows.length, coverage: cov.coverage },
    });
    await sessions.put(id, {
      ...session,
      state: 'stopped',
      stoppedBy: by,
      stoppedAt: end,
      summary: {
        wallMs: cov.wallMs,
        recordedMs: cov.recordedMs,
        coverage: cov.coverage,
        segments: rows.length,
        bytes,
        cameras: [
          {
            cameraId,
            recordedMs: cov.recordedMs,
            coverage: cov.coverage,
            segments: rows.length,
            bytes,
            gaps,
            lastSegmentPlayable: true,
          },
        ],
      },
    });
  });
  return pieces.length;
}
