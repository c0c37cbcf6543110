/**
 * "My recordings" (R19, R22): what an officer (or hearing staff member) has to do after a shift —
 * their clips with upload state and the 24 h deadline, the interruptions they held the recorder
 * for and must explain in writing, and their recordings not yet tagged with a case.
 */

import type { ClipView } from '../clips/view.js';
import type { HearingSession } from '../hearings/schemas.js';
import type { InterruptionRecord } from '../interruptions/record.js';
import type { SessionRecord } from '../interruptions/sessions.js';
import type { PublicUser } from '../users.js';
import type { CaseOf, CaseRecord, LinkTarget } from './schema.js';

export const MY_WINDOW_MS = 30 * 24 * 3600_000;

export interface MyRecordingsFacts {
  clips(officerId: string, from: number): Promise<ClipView[]>;
  /** The officer's recorder sessions that started at or after `from`. */
  sessions(officerId: string, from: number): Promise<SessionRecord[]>;
  hearings(): Promise<HearingSession[]>;
  interruptions(): Promise<InterruptionRecord[]>;
  caseOf(t: LinkTarget): Promise<CaseOf | null>;
  cases(): Promise<CaseRecord[]>;
  /** R24: the cases this user may see (an officer: those naming them). */
  canSee(user: PublicUser, c: CaseRecord): boolean;
}

export interface MyRecording {
  target: LinkTarget;
  start: number | null;
  end: number | null;
  activity: string | null;
  /** The case number the recorder or the hearing form stamped on it (not a tag). */
  stampedCaseNo: string | null;
  recording: boolean;
  clips: number;
  flags: string[];
  case: CaseOf | null;
}

export interface MyRecordings {
  clips: ClipView[];
  /** Not closed, held by me: `toExplain` when no explanation is attached (or it was returned). */
  interruptions: (InterruptionRecord & { toExplain: boolean })[];
  recordings: MyRecording[];
  /** Cases naming me: what I may tag my recordings with. */
  cases: Pick<CaseRecord, 'caseNo' | 'key' | 'title' | 'stage' | 'type'>[];
}

export async function myRecordings(
  user: PublicUser,
  f: MyRecordingsFacts,
  now: number,
): Promise<MyRecordings> {
  const from = now - MY_WINDOW_MS;
  const me = user.username;
  const clips = user.roles.includes('officer') ? await f.clips(me, from) : [];
  clips.sort((a, b) => b.start - a.start);
  const perSession = new Map<string, number>();
  for (const c of clips)
    perSession.set(
      `${c.source.id}!${c.sessionId}`,
      (perSession.get(`${c.source.id}!${c.sessionId}`) ?? 0) + 1,
    );

  const interruptions = (await f.interruptions())
    .filter((r) => r.status !== 'closed' && (r.heldBy ?? r.officer?.id) === me)
    .map((r) => ({ ...r, toExplain: r.explanation === null && r.status === 'open' }));

  const recordings: MyRecording[] = [];
  for (const s of await f.sessions(me, from)) {
    if ((s.officer?.id ?? s.officerId) !== me) continue;
    const start = s.startedAt ?? s.firstSegmentStart;
    if (start !== null && start < from) continue;
    const target: LinkTarget = { kind: 'recorder-session', serial: s.serial, sessionId: s.sessionId };
    recordings.push({
      target,
      start,
      end: s.endedAt ?? s.lastSegmentEnd,
      activity: s.activity,
      stampedCaseNo: s.caseNo,
      recording: s.recording,
      clips: perSession.get(`${s.serial}!${s.sessionId}`) ?? s.segments,
      flags: [...new Set(s.flags.map((x) => x.flag))],
      case: await f.caseOf(target),
    });
  }
  if (user.roles.includes('hearing-staff')) {
    for (const h of await f.hearings()) {
      if (h.startedBy !== me || h.startedAt < from) continue;
      const target: LinkTarget = { kind: 'hearing', hearingId: h.id };
      recordings.push({
        target,
        start: h.startedAt,
        end: h.stoppedAt,
        activity: h.activity,
        stampedCaseNo: h.caseNo,
        recording: h.state !== 'stopped',
        clips: h.summary?.segments ?? 0,
        flags: [],
        case: await f.caseOf(target),
      });
    }
  }
  recordings.sort((a, b) => (b.start ?? 0) - (a.start ?? 0));
  const cases = (await f.cases())
    .filter((c) => f.canSee(user, c))
    .map(({ caseNo, key, title, stage, type }) => ({
      caseNo,
      key,
      title,
      stage,
      type,
    }));
  return { clips, interruptions, recordings, cases };
}
