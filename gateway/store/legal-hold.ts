/**
 * Legal hold (R23): a clip in an approved evidence export is kept for good. The store has no
 * expiry and no move of originals today; any retention sweep or move that is added must ask
 * `assertMayRetire` first, so a held clip can never be expired or moved.
 */
import { StoreError } from './errors.js';
import type { ClipRecord, LegalHold } from './schema.js';

export type RetireAction = 'expire' | 'move';

export function isOnHold(r: Pick<ClipRecord, 'legalHolds'>): boolean {
  return (r.legalHolds?.length ?? 0) > 0;
}

/** The record with `hold` added (unchanged when that export already holds it). */
export function withHold(r: ClipRecord, hold: LegalHold): ClipRecord {
  const holds = r.legalHolds ?? [];
  if (holds.some((h) => h.exportId === hold.exportId)) return r;
  return { ...r, legalHolds: [...holds, hold] };
}

/** LEGAL_HOLD when the clip is held by any export: it may not be expired or moved (R23). */
export function assertMayRetire(r: ClipRecord, action: RetireAction): void {
  if (!isOnHold(r)) return;
  throw new StoreError(
    'LEGAL_HOLD',
    `clip ${r.clipId} is on legal hold (export ${r.legalHolds!.map((h) => h.exportId).join(', ')}); it may not ${action === 'expire' ? 'expire' : 'be moved'} (R23)`,
    { clipId: r.clipId, action, exports: r.legalHolds!.map((h) => h.exportId) },
  );
}
