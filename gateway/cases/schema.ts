/**
 * The case registry (R9–R13) and the links that tie recordings to a case, a stage and an activity.
 * Every type here comes from its zod schema (z.infer).
 *
 * What other services read (`app.cases`, gateway/cases/service.ts):
 *   get(caseNo)            -> CaseRecord | undefined   (caseNo compared in its normalised form)
 *   list(filter)           -> CaseRecord[]             (CaseFilter: fuzzy q / caseNo / party / officer /
 *                                                        date; exact unit / type / stage; newest first)
 *   linksOf(caseNo)        -> RecordingLink[]          (the current link of each recording, oldest
 *                                                        recording first; superseded links excluded)
 *   caseOf(clipId)         -> CaseOf | null            (via the clip's session or hearing link; else a
 *                                                        registered caseNo the recorder stamped on it)
 *   caseOfTarget(target)   -> CaseOf | null            (the same for a recorder session or a hearing)
 *   history(target)        -> RecordingLink[]          (every link ever made for it, oldest first)
 *
 * CaseRecord  { caseNo, key, type, title, unit, officers: username[], parties: string[], stage,
 *               stageHistory: [{ stage, by, at (UTC ISO), note? }], activityDays: 'YYYY-MM-DD'[],
 *               createdBy, createdAt, updatedBy, updatedAt, source: 'manual' | 'import' }
 * RecordingLink { id, caseNo, target, stage, activity, start (ms, the recording's start, gateway
 *               clock where the device's drift is known), by, at (UTC ISO), note?, supersedes: id|null }
 * LinkTarget  { kind: 'recorder-session', serial, sessionId } | { kind: 'hearing', hearingId }
 * CaseOf      { caseNo, stage, activity, linkId (null when only stamped on the clip), via }
 *
 * A link is its own record (who, when): the clip's facts are never altered by tagging (R25).
 */
import { z } from 'zod';
import { Activity, EpochMs, Id, Serial } from '../../protocol/common.js';
import { Username } from '../users.js';

export const CaseType = z.enum(['licensing', 'penalty', 'other-enforcement']);
export type CaseType = z.infer<typeof CaseType>;

/** R9 application/acceptance, R10 investigation, R11 review/decision, R12 service/execution, R13 closing/archiving. */
export const CaseStage = z.enum([
  'application-acceptance',
  'investigation',
  'review-decision',
  'service-execution',
  'closing-archiving',
]);
export type CaseStage = z.infer<typeof CaseStage>;

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** User text: trimmed, bounded, no control characters (it reaches responses, logs and the audit log). */
export const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), 'no control characters');

/** Any unit's case number: 1-64 characters, no spaces inside; a unit's own format narrows it (config). */
export const CaseNo = Text(64).refine((s) => !/\s/.test(s), 'no spaces in a case number');

export const StageChange = z.object({
  stage: CaseStage,
  by: z.string(),
  /** UTC ISO. */
  at: z.string(),
  note: z.string().optional(),
});
export type StageChange = z.infer<typeof StageChange>;

export const CaseRecord = z.object({
  caseNo: z.string(),
  /** normaliseCaseNo(caseNo): the registry's key, so 〔2026〕 and [2026] are one number. */
  key: z.string(),
  type: CaseType,
  title: z.string(),
  unit: z.string(),
  /** Usernames of the officers on the case. */
  officers: z.array(z.string()),
  /** Parties' names (for search). */
  parties: z.array(z.string()),
  stage: CaseStage,
  /** Oldest first; the first entry is the stage the case was registered in. */
  stageHistory: z.array(StageChange),
  /** Local dates (config timeZone) with a stage change or a linked recording: the date search. */
  activityDays: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedBy: z.string(),
  updatedAt: z.string(),
  source: z.enum(['manual', 'import']),
});
export type CaseRecord = z.infer<typeof CaseRecord>;

export const CaseInput = z.object({
  caseNo: CaseNo,
  type: CaseType,
  title: Text(200),
  unit: Text(64),
  officers: z.array(Username).max(50).default([]),
  parties: z.array(Text(100)).max(50).default([]),
  stage: CaseStage.default('application-acceptance'),
  note: Text(500).optional(),
});
export type CaseInput = z.input<typeof CaseInput>;

/** Edit: any of the descriptive fields (the number and the stage have their own paths). */
export const CasePatch = z
  .object({
    type: CaseType,
    title: Text(200),
    unit: Text(64),
    officers: z.array(Username).max(50),
    parties: z.array(Text(100)).max(50),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'change at least one field');
export type CasePatch = z.infer<typeof CasePatch>;

export const StageBody = z.object({ stage: CaseStage, note: Text(500).optional() });
export type StageBody = z.infer<typeof StageBody>;

const DateText = z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, 'date: YYYY-MM or YYYY-MM-DD');

export const CaseFilter = z.object({
  /** Fuzzy over number, title, parties and officers (normalised substring). */
  q: z.string().max(100).optional(),
  caseNo: z.string().max(64).optional(),
  party: z.string().max(100).optional(),
  /** Username or display name (substring). */
  officer: z.string().max(64).optional(),
  /** A local day or month with a stage change or a linked recording. */
  date: DateText.optional(),
  unit: z.string().max(64).optional(),
  type: CaseType.optional(),
  stage: CaseStage.optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});
export type CaseFilter = z.infer<typeof CaseFilter>;

export const LinkTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('recorder-session'), serial: Serial, sessionId: Id }),
  z.object({ kind: z.literal('hearing'), hearingId: Id }),
]);
export type LinkTarget = z.infer<typeof LinkTarget>;

export const RecordingLink = z.object({
  id: z.string(),
  caseNo: z.string(),
  target: LinkTarget,
  stage: CaseStage,
  activity: Activity,
  /** The recording's start (ms, drift-corrected where known): date search and timeline. */
  start: EpochMs.nullable(),
  by: z.string(),
  at: z.string(),
  note: z.string().optional(),
  /** The earlier link of the same recording this one replaces (retagging keeps the old record). */
  supersedes: z.string().nullable(),
});
export type RecordingLink = z.infer<typeof RecordingLink>;

export interface CaseOf {
  caseNo: string;
  stage: CaseStage | null;
  activity: Activity | null;
  linkId: string | null;
  /** `link`: tagged by a person; `recorded`: the case number the recorder stamped on the clip. */
  via: 'link' | 'recorded';
}

/** POST /api/cases/:caseNo/links: tag recordings (bulk) with this case, a stage and an activity. */
export const TagBody = z.object({
  targets: z.array(LinkTarget).min(1).max(200),
  stage: CaseStage,
  /** Absent: each recording keeps the activity it was recorded as (`other` when it has none). */
  activity: Activity.optional(),
  note: Text(500).optional(),
});
export type TagBody = z.infer<typeof TagBody>;

/**
 * One key per recording, also used as the LevelDB key part. `!` never occurs in serials or ids
 * (protocol/common.ts Serial, Id).
 */
export function targetKey(t: LinkTarget): string {
  return t.kind === 'hearing' ? `h!${t.hearingId}` : `rs!${t.serial}!${t.sessionId}`;
}

const PUNCT = /[\s\p{P}\p{S}]+/gu;
/** Search form: NFKC (full-width to ASCII), lower case, spaces and punctuation (〔〕[]-/号 …) dropped. */
export function normalise(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(PUNCT, '');
}

/** Registry key of a case number: its normalised form, or the trimmed text when that leaves nothing. */
export function normaliseCaseNo(caseNo: string): string {
  return normalise(caseNo) || caseNo.trim();
}
