/**
 * What the API shows of a clip (R22: upload state with progress and the 24 h deadline; R9: officer
 * name and certificate number). Internal paths of the store are not exposed.
 */
import { z } from 'zod';
import { Id, Serial } from '../../protocol/common.js';
import { TimeParam } from '../query-params.js';
import { type ClipRecord, ClipState, clipState } from '../store/index.js';

export interface ClipView {
  clipId: string;
  source: ClipRecord['source'];
  sessionId: string;
  officer?: ClipRecord['officer'];
  caseNo?: string;
  activity?: ClipRecord['activity'];
  /** Recording start/end, ms since epoch (UTC). */
  start: number;
  end: number;
  bytes: number;
  sha256: string;
  markers: ClipRecord['markers'];
  /** Shown state: a pending clip past its deadline is `overdue` (R22). */
  state: ClipState;
  /** The stored upload state (on-recorder, uploading, verified, quarantined). */
  uploadState: ClipRecord['state'];
  /** End + 24 h (ms). */
  deadline: number;
  /** Deadline minus now (negative when overdue); null once verified or quarantined. */
  deadlineLeftMs: number | null;
  /** Bytes on the gateway: live transfer progress while uploading, = bytes once verified. */
  uploadedBytes: number;
  /** uploadedBytes / bytes, 0..1. */
  progress: number;
  ingestedAt?: string;
  quarantine?: { reason: string; heldCopies: number };
  /** R23: held by these approved exports; never expired or moved. */
  legalHolds?: ClipRecord['legalHolds'];
}

export function toClipView(r: ClipRecord, now: number, liveBytes?: number): ClipView {
  const state = clipState(r, now);
  const pending = r.state === 'on-recorder' || r.state === 'uploading';
  const uploadedBytes =
    pending && liveBytes !== undefined ? Math.max(liveBytes, r.uploadedBytes) : r.uploadedBytes;
  const v: ClipView = {
    clipId: r.clipId,
    source: r.source,
    sessionId: r.sessionId,
    start: r.start,
    end: r.end,
    bytes: r.bytes,
    sha256: r.sha256,
    markers: r.markers,
    state: pending && liveBytes !== undefined && state === 'on-recorder' ? 'uploading' : state,
    uploadState: pending && liveBytes !== undefined ? 'uploading' : r.state,
    deadline: r.deadline,
    deadlineLeftMs: pending ? r.deadline - now : null,
    uploadedBytes,
    progress: r.bytes === 0 ? (r.state === 'verified' ? 1 : 0) : Math.min(1, uploadedBytes / r.bytes),
  };
  if (r.officer) v.officer = r.officer;
  if (r.caseNo !== undefined) v.caseNo = r.caseNo;
  if (r.activity !== undefined) v.activity = r.activity;
  if (r.ingestedAt) v.ingestedAt = r.ingestedAt;
  if (r.quarantine) v.quarantine = { reason: r.quarantine.reason, heldCopies: r.quarantine.held.length };
  if (r.legalHolds?.length) v.legalHolds = r.legalHolds;
  return v;
}

/** GET /api/clips query: any of recorder, camera, officer, case no, session, state, start-time range. */
export const ClipSearchQuery = z.object({
  serial: Serial.optional(),
  camera: Id.optional(),
  officerId: z.string().min(1).max(32).optional(),
  caseNo: z.string().min(1).max(64).optional(),
  sessionId: Id.optional(),
  state: ClipState.optional(),
  /** On the recording start: from inclusive, to exclusive. */
  from: TimeParam.optional(),
  to: TimeParam.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});
export type ClipSearchQuery = z.infer<typeof ClipSearchQuery>;

/** GET /api/clips/:clipId/content query (R24: who and why). */
export const ContentQuery = z.object({
  reason: z.string().trim().min(1, 'reason: say why you open this recording (R24)').max(500),
  action: z.enum(['view', 'download']).default('view'),
});
export type ContentQuery = z.infer<typeof ContentQuery>;
