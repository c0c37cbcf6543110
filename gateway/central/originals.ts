/**
 * What each office reported of its archived originals (PROTOCOL.md §7.2, `clip.archived`): where the
 * locked version is and the SHA-256 the office recorded at ingest. Central lists them per office
 * and reads one from the archive bucket by that version, hashed as it streams and refused unless it
 * matches what the office reported (R25), every reading audited here first (R24).
 */
import { z } from 'zod';
import { Activity, Id, Sha256Hex } from '../../protocol/common.js';
import type { EventBody } from '../uplink/messages.js';

export const ARCHIVED_EVENT = 'clip.archived';

/** The details of a `clip.archived` event, as they arrive (hostile until parsed). */
export const ArchivedDetails = z.object({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/),
  key: z.string().min(1).max(200),
  versionId: z.string().regex(/^[A-Za-z0-9._+=/-]{1,200}$/),
  sha256: Sha256Hex,
  bytes: z.number().int().min(0),
  retainUntil: z.iso.datetime(),
  legalHold: z.boolean(),
  sourceKind: z.enum(['recorder', 'camera']).nullable().default(null),
  sourceId: Id.nullable().default(null),
  activity: Activity.nullable().catch(null).default(null),
  start: z.iso.datetime().nullable().default(null),
  end: z.iso.datetime().nullable().default(null),
});

export const ArchivedOriginal = ArchivedDetails.extend({
  office: z.string(),
  clipId: Id,
  /** The office's clock when it reported the copy. */
  archivedAt: z.iso.datetime(),
});
export type ArchivedOriginal = z.infer<typeof ArchivedOriginal>;

/**
 * The record of one `clip.archived` event, or a reason it is refused. An office names only its own
 * part of the province's bucket: the key must be `<office>/originals/<sha256>` (archive.office =
 * uplink.office), so a report cannot point central's readers at another office's recordings.
 */
export function archivedFromEvent(
  office: string,
  at: string,
  e: EventBody,
): { ok: true; value: ArchivedOriginal } | { ok: false; reason: string } {
  const clipId = Id.safeParse(e.subject);
  if (!clipId.success) return { ok: false, reason: 'subject is not a clip id' };
  const d = ArchivedDetails.safeParse(e.details);
  if (!d.success) {
    const i = d.error.issues[0];
    return { ok: false, reason: `${i?.path.join('.') ?? ''}: ${i?.message ?? 'invalid'}`.slice(0, 200) };
  }
  if (d.data.key !== `${office}/originals/${d.data.sha256}`)
    return { ok: false, reason: `key is not ${office}/originals/<its sha256>` };
  return { ok: true, value: { ...d.data, office, clipId: clipId.data, archivedAt: at } };
}
