/**
 * Index records built from clip facts and sidecar manifests. Pure functions: `commit` and
 * `reindex` build the same record from the same manifests, so a rebuilt index answers queries
 * exactly as the live one did.
 */
import {
  type ClipFacts,
  type ClipManifest,
  type ClipRecord,
  type ClipState,
  type HeldCopy,
  UPLOAD_DEADLINE_MS,
} from './schema.js';

export function deadlineOf(end: number): number {
  return end + UPLOAD_DEADLINE_MS;
}

export function isPending(r: ClipRecord): boolean {
  return r.state === 'on-recorder' || r.state === 'uploading';
}

/** The state shown to users: a pending clip past its deadline is `overdue` (R22). */
export function clipState(r: ClipRecord, now: number): ClipState {
  return isPending(r) && now > r.deadline ? 'overdue' : r.state;
}

export function factsOf(x: ClipFacts | ClipManifest | ClipRecord): ClipFacts {
  const f: ClipFacts = {
    clipId: x.clipId,
    source: { kind: x.source.kind, id: x.source.id },
    sessionId: x.sessionId,
    start: x.start,
    end: x.end,
    bytes: x.bytes,
    sha256: x.sha256,
    markers: x.markers,
  };
  if (x.officer) f.officer = x.officer;
  if (x.caseNo !== undefined) f.caseNo = x.caseNo;
  if (x.activity !== undefined) f.activity = x.activity;
  return f;
}

export function pendingRecord(facts: ClipFacts): ClipRecord {
  return { ...factsOf(facts), state: 'on-recorder', deadline: deadlineOf(facts.end), uploadedBytes: 0 };
}

export function verifiedRecord(m: ClipManifest, blobRel: string, prev?: ClipRecord): ClipRecord {
  const r: ClipRecord = {
    ...factsOf(m),
    state: 'verified',
    deadline: deadlineOf(m.end),
    uploadedBytes: m.bytes,
    ingestedAt: m.ingestedAt,
    blob: blobRel,
  };
  if (prev?.quarantine) r.quarantine = prev.quarantine;
  if (prev?.legalHolds) r.legalHolds = prev.legalHolds;
  return r;
}

/**
 * `m` is a quarantine sidecar: its sha256/bytes are the held bytes, `quarantine` the claim.
 * A clip already verified stays verified (the held copy is only added to its history).
 */
export function quarantinedRecord(m: ClipManifest, heldRel: string, prev?: ClipRecord): ClipRecord {
  const note = m.quarantine!;
  const held: HeldCopy = {
    sha256: m.sha256,
    bytes: m.bytes,
    reason: note.reason,
    at: note.at,
    path: heldRel,
  };
  const prevHeld = prev?.quarantine?.held ?? [];
  const all = prevHeld.some((h) => h.sha256 === held.sha256) ? prevHeld : sortHeld([...prevHeld, held]);
  const quarantine = { reason: all[all.length - 1]!.reason, held: all };
  if (prev?.state === 'verified') return { ...prev, quarantine };
  return {
    ...factsOf(m),
    sha256: note.claimedSha256,
    bytes: note.claimedBytes,
    state: 'quarantined',
    deadline: deadlineOf(m.end),
    uploadedBytes: m.bytes,
    quarantine,
    ...(prev?.legalHolds ? { legalHolds: prev.legalHolds } : {}),
  };
}

function sortHeld(held: HeldCopy[]): HeldCopy[] {
  return held.sort((a, b) => (a.at === b.at ? a.sha256.localeCompare(b.sha256) : a.at < b.at ? -1 : 1));
}
