/**
 * Evidence exports (R23, R24, R25): what a request says, what is persisted, what the API shows.
 * Types come from these schemas (z.infer), never written twice.
 */
import { z } from 'zod';
import { Id, Sha256Hex } from '../../protocol/common.js';

/**
 * Who receives the disc (R24: superior bodies, discipline inspection, judiciary; or a party;
 * R28: public security, to whom obstruction of enforcement is referred).
 */
export const RecipientKind = z.enum([
  'court',
  'procuratorate',
  'discipline',
  'superior',
  'public-security',
  'party',
  'other',
]);
export type RecipientKind = z.infer<typeof RecipientKind>;

const Text = (max: number) => z.string().trim().min(1).max(max);

export const Recipient = z.object({ kind: RecipientKind, name: Text(200) });
export type Recipient = z.infer<typeof Recipient>;

/** R24: a retrieval asked for by an outside body is recorded as such: who asked and on what basis. */
export const OutsideRequest = z.object({
  /** The body and person who asked (e.g. 某某区人民法院 张法官). */
  requestedBy: Text(200),
  /** The legal basis or document (e.g. 调取证据通知书 (2026) 某法调 12 号). */
  basis: Text(500),
  /** When they asked, if not now (ISO date or time). */
  receivedAt: z.string().trim().max(40).optional(),
  /** Their reference number. */
  reference: z.string().trim().max(100).optional(),
});
export type OutsideRequest = z.infer<typeof OutsideRequest>;

/** R25: secrets, trade secrets and privacy are handled by law; the level narrows who sees the disc. */
export const Sensitivity = z.enum(['normal', 'confidential', 'secret']);
export type Sensitivity = z.infer<typeof Sensitivity>;

export const MAX_EXPORT_CLIPS = 5000;

/** POST /api/exports. At least one of clipIds, sessionIds, hearingIds, interruptionIds. */
export const ExportRequestBody = z
  .object({
    clipIds: z.array(Id).max(MAX_EXPORT_CLIPS).default([]),
    /** Recorder sessions: every clip of the session. */
    sessionIds: z.array(Id).max(500).default([]),
    /** Hearing sessions: every segment of every camera, lead-ins included. */
    hearingIds: z.array(Id).max(500).default([]),
    /** R28 referral: every clip of the session an interruption (e.g. an obstruction) happened in. */
    interruptionIds: z.array(Id).max(100).default([]),
    caseNo: Text(64),
    purpose: Text(500),
    recipient: Recipient,
    outsideRequest: OutsideRequest.optional(),
    sensitivity: Sensitivity.default('normal'),
  })
  .refine(
    (b) => b.clipIds.length + b.sessionIds.length + b.hearingIds.length + b.interruptionIds.length > 0,
    {
      message: 'name at least one clip, session, hearing or interruption',
      path: ['clipIds'],
    },
  );
export type ExportRequestBody = z.infer<typeof ExportRequestBody>;

export const ApproveBody = z.object({ note: z.string().trim().max(500).optional() });
export const RefuseBody = z.object({ reason: Text(500) });
export const HandoverBody = z.object({
  /** Who received the disc (person and body). */
  to: Text(200),
  note: z.string().trim().max(500).optional(),
});

export const ExportListQuery = z.object({
  state: z.enum(['requested', 'refused', 'building', 'ready', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type ExportListQuery = z.infer<typeof ExportListQuery>;

export const ExportState = z.enum(['requested', 'refused', 'building', 'ready', 'failed']);
export type ExportState = z.infer<typeof ExportState>;

export const Person = z.object({ username: z.string(), name: z.string() });
export type Person = z.infer<typeof Person>;

export const ImageInfo = z.object({ name: z.string(), bytes: z.number().int().min(0), sha256: Sha256Hex });
export type ImageInfo = z.infer<typeof ImageInfo>;

/** The persisted export (LevelDB sublevel `exports`); the API view is the same minus nothing secret. */
export const ExportRecord = z.object({
  id: z.string(),
  state: ExportState,
  requestedBy: Person,
  /** UTC ISO. */
  requestedAt: z.string(),
  caseNo: z.string(),
  purpose: z.string(),
  recipient: Recipient,
  outsideRequest: OutsideRequest.optional(),
  sensitivity: Sensitivity,
  clipIds: z.array(z.string()),
  /** What the requester named before expansion (sessions, hearings, interruptions), for the record. */
  named: z
    .object({
      sessionIds: z.array(z.string()),
      hearingIds: z.array(z.string()),
      interruptionIds: z.array(z.string()).optional(),
    })
    .optional(),
  decidedBy: Person.optional(),
  decidedAt: z.string().optional(),
  /** The principal's note on approval, or the reason of a refusal. */
  reason: z.string().optional(),
  progress: z.object({ bytesDone: z.number(), bytesTotal: z.number() }).optional(),
  image: ImageInfo.optional(),
  /** How the originals were checked while the image was written (exports/disc.ts). */
  originals: z.object({ rehashed: z.number().int(), unchanged: z.number().int() }).optional(),
  error: z.string().optional(),
  builtAt: z.string().optional(),
});
export type ExportRecord = z.infer<typeof ExportRecord>;

export type ExportView = Omit<ExportRecord, 'named' | 'builtAt'>;

export function toExportView(r: ExportRecord): ExportView {
  const { named: _n, builtAt: _b, ...view } = r;
  return view;
}
