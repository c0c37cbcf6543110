/**
 * Schemas of everything the store persists or accepts: clip facts, sidecar manifests, index
 * records, audit entries. Types come from these via z.infer (no hand-written duplicates).
 */
import { z } from 'zod';
import { Activity, ClipMarker, EpochMs, Id, Officer, Sha256Hex } from '../../protocol/common.js';

/** Where a clip came from: a body-camera recorder (serial) or a hearing-room camera (camera id). */
export const SourceKind = z.enum(['recorder', 'camera']);
export type SourceKind = z.infer<typeof SourceKind>;

export const ClipSource = z.object({ kind: SourceKind, id: Id });
export type ClipSource = z.infer<typeof ClipSource>;

const clipFactsShape = {
  clipId: Id,
  source: ClipSource,
  sessionId: Id,
  /** From pairing (recorder) or the hearing session (camera); R9 shows name + certificate no. */
  officer: Officer.optional(),
  caseNo: z.string().min(1).max(64).optional(),
  activity: Activity.optional(),
  /** Recording start/end, ms since epoch (UTC). Deadline = end + 24 h (R22). */
  start: EpochMs,
  end: EpochMs,
  bytes: z.number().int().min(0),
  /** Claimed SHA-256 of the clip's bytes (recorder's CLIP_INFO / segment-closed, or the camera segment). */
  sha256: Sha256Hex,
  markers: z.array(ClipMarker).default([]),
};

const endNotBeforeStart = (c: { start: number; end: number }) => c.end >= c.start;
const endMessage = { message: 'end must not be before start', path: ['end'] };

/** What a caller knows about a clip (announce, commit, quarantine). */
export const ClipFacts = z.object(clipFactsShape).refine(endNotBeforeStart, endMessage);
export type ClipFacts = z.infer<typeof ClipFacts>;
/** Input form (markers optional). */
export type ClipFactsInput = z.input<typeof ClipFacts>;

export const QuarantineNote = z.object({
  /** What the recorder claimed; `sha256` of the manifest is what the held bytes really hash to. */
  claimedSha256: Sha256Hex,
  claimedBytes: z.number().int().min(0),
  reason: z.string().min(1).max(500),
  at: z.iso.datetime(),
});

/**
 * The sidecar `<sha256>.json` next to each blob: enough to rebuild the index (`reindex`).
 * In the quarantine area `sha256` is the held bytes' hash and `quarantine.claimedSha256` the claim.
 */
export const ClipManifest = z
  .object({
    v: z.literal(1),
    ...clipFactsShape,
    ingestedAt: z.iso.datetime(),
    quarantine: QuarantineNote.optional(),
  })
  .refine(endNotBeforeStart, endMessage);
export type ClipManifest = z.infer<typeof ClipManifest>;

/** Stored upload states; `overdue` is derived (pending and now > deadline, R22). */
export const UploadState = z.enum(['on-recorder', 'uploading', 'verified', 'quarantined']);
export type UploadState = z.infer<typeof UploadState>;
export const ClipState = z.enum([...UploadState.options, 'overdue']);
export type ClipState = z.infer<typeof ClipState>;

export const HeldCopy = z.object({
  sha256: Sha256Hex,
  bytes: z.number().int().min(0),
  reason: z.string(),
  at: z.iso.datetime(),
  /** Relative to the store root. */
  path: z.string(),
});
export type HeldCopy = z.infer<typeof HeldCopy>;

/**
 * R23: a clip in an approved evidence export is held for good: never expired, never moved. One
 * entry per export that holds it (the `legal-hold` audit entry carries the same facts).
 */
export const LegalHold = z.object({
  exportId: z.string().min(1).max(64),
  caseNo: z.string().max(64),
  at: z.iso.datetime(),
  by: z.string().max(128),
});
export type LegalHold = z.infer<typeof LegalHold>;

/** Where an original now lives in the central archive: one locked version of one object. */
export const ArchivedAt = z.object({
  at: z.iso.datetime(),
  bucket: z.string().min(1).max(63),
  key: z.string().min(1).max(1024),
  versionId: z.string().min(1).max(1024),
  retainUntil: z.iso.datetime(),
});
export type ArchivedAt = z.infer<typeof ArchivedAt>;

/** The index value for one clip (`clips!<clipId>`). */
export const ClipRecord = z.object({
  ...clipFactsShape,
  state: UploadState,
  deadline: EpochMs,
  /** Bytes safely on the gateway (progress while uploading; = bytes once verified). */
  uploadedBytes: z.number().int().min(0),
  ingestedAt: z.iso.datetime().optional(),
  /** Verified blob, relative to the store root. */
  blob: z.string().optional(),
  quarantine: z.object({ reason: z.string(), held: z.array(HeldCopy) }).optional(),
  /** Set once the clip is in an approved export (R23); never cleared. */
  legalHolds: z.array(LegalHold).optional(),
  /**
   * The local original was evicted after its archive copy (S3 Object Lock) was verified; the clip
   * is read from that version. `blob` stays as it was (where the bytes were).
   */
  evicted: ArchivedAt.optional(),
});
export type ClipRecord = z.infer<typeof ClipRecord>;

/** R22: each clip must be on the designated storage within 24 h of the end of recording. */
export const UPLOAD_DEADLINE_MS = 24 * 60 * 60 * 1000;

export const AuditType = z.enum([
  'ingest',
  'release',
  'quarantine',
  'pairing',
  'check-in',
  'time-sync',
  'clip-access',
  'export',
  'export-approval',
  'interruption-explained',
  /** A hearing-room recording started / stopped by hearing staff (R3, R14). */
  'hearing-start',
  'hearing-stop',
  'recorder-refused',
  /** A partial transfer set aside: the recorder now describes the clip differently (PROTOCOL.md §3.9.3). */
  'partial-discarded',
  /** An equipment manager declared a recorder lost (its assignment closed), and it docked again. */
  'recorder-lost',
  'recorder-found',
  'reindex',
  'verify',
  'store-recovery',
  /** A signed checkpoint of the log issued and sent to witnesses (R25; RFC 9162 §2.1 tree head). */
  'checkpoint',
  /** An audited repair of the log or the index (never done by `verify`, which is read-only). */
  'repair',
  /** A consistent copy of the data dir taken (`gateway backup`), or a data dir restored from one. */
  'backup',
  'restore',
  /** A state of an interruption record (R19), journaled so the record can be rebuilt from the log. */
  'interruption',
  /** An integrity check failed: a blob or the log does not match what was recorded (R25). */
  'integrity-failure',
  /** Evidence discs (R23, R24, R25): request, refusal, build, download, hand-over, legal hold. */
  'export-request',
  'export-refused',
  'export-built',
  /** A build that failed after `export-built` or before: no image exists, nothing was shipped. */
  'export-failed',
  /** The disc image written and hashed: the state a rebuilt export record comes back in (docs/STATE.md). */
  'export-ready',
  /** A build cut off by a restart, taken up again after the gateway started (exports/disc.ts). */
  'export-resumed',
  'export-download',
  'export-handover',
  'legal-hold',
  /** Administration (R21, R24): accounts, roles, registrations, credentials, cameras, config. */
  'user-admin',
  'recorder-admin',
  'camera-admin',
  'config-loaded',
  'login-failed',
  'login-locked',
  /** The case registry (R9–R13): a case registered, imported, edited or moved on; a recording tagged. */
  'case-admin',
  /** A compliance report (R26) archived: its files' SHA-256 (the monthly report is an audited record). */
  'compliance-report',
  /** A critical alert delivered to people outside the dashboard, a failed try, or a give-up (R19). */
  'notification',
  /** Replication to the central archive (S3 Object Lock): copies, read-backs, holds, evictions. */
  'archive',
  /** A recorder session's record (R16, R18, R19) as it started, changed state or ended: rebuilt from these. */
  'recorder-session',
  /** An alert acknowledged by a person (R19), or an acknowledged alert cleared: rebuilt from these. */
  'alert',
]);
export type AuditType = z.infer<typeof AuditType>;

export const AuditInput = z.object({
  type: AuditType,
  /** Who did it: a user id, `gateway`, `dock:/dev/ttyACM0`, ... */
  actor: z.string().min(1).max(128),
  /** What it is about, `kind:id`: `clip:<id>`, `recorder:<serial>`, `officer:<id>`, `session:<id>`, `hearing:<id>`. */
  subject: z.string().min(1).max(200),
  details: z.record(z.string(), z.json()).default({}),
});
/** What callers pass: details may hold undefined members (dropped) and Dates (as ISO strings). */
export type AuditInput = Omit<z.input<typeof AuditInput>, 'details'> & { details?: Record<string, unknown> };

export const AuditEntry = z.object({
  seq: z.number().int().min(1),
  /** UTC ISO time the gateway appended it. */
  at: z.iso.datetime(),
  type: AuditType,
  actor: z.string(),
  subject: z.string(),
  details: z.record(z.string(), z.json()),
  prevHash: Sha256Hex,
  hash: Sha256Hex,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** R24: every view, download, export or retrieval names who and why. */
export const ClipAccess = z.object({
  actor: z.string().min(1).max(128),
  action: z.enum(['view', 'download', 'export', 'retrieve']),
  reason: z.string().min(1).max(500),
  role: z.string().max(64).optional(),
});
export type ClipAccess = z.infer<typeof ClipAccess>;
