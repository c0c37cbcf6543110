/**
 * The gateway's disk while hearings record (R19 "full storage"; the same reserve the dock ingest
 * keeps, config `dock.reserveBytes`). Camera recording stops cleanly before the disk fills: the
 * segments being written still have to be copied into the store, which refuses to eat into the
 * reserve, so the room needed is the reserve plus those bytes plus a few seconds of writing per
 * camera. Recording starts again once that fits with a margin to spare (no flapping at the edge).
 */
import { statfs } from 'node:fs/promises';

/** Never less than this per recording camera: a few seconds of a 4 Mbit/s stream, and a fragment. */
export const MIN_MARGIN_BYTES = 4 * 1024 * 1024;
/** Seconds of writing per camera kept free beyond the reserve (the watch looks once a second). */
export const MARGIN_SECONDS = 5;

export interface StorageNeed {
  freeBytes: number;
  reserveBytes: number;
  /** Bytes still to be copied into the store: segments being written or waiting for a retry. */
  pendingBytes: number;
  /** Room for what the cameras write before the next look. */
  marginBytes: number;
}

/**
 * Full or not, with hysteresis: full below reserve + pending + margin; once full, recording
 * resumes only with twice the margin free.
 */
export function storageFull(n: StorageNeed, wasFull: boolean): boolean {
  const spare = n.freeBytes - n.pendingBytes - n.reserveBytes;
  return wasFull ? spare < 2 * n.marginBytes : spare < n.marginBytes;
}

/** Margin for one camera writing `bytesPerS` (from its stored segments; unknown: the minimum). */
export function cameraMargin(bytesPerS: number | null): number {
  return Math.max(MIN_MARGIN_BYTES, Math.ceil((bytesPerS ?? 0) * MARGIN_SECONDS));
}

/** Free bytes an unprivileged writer may use on the fullest of `paths` (statfs bavail x bsize). */
export async function freeBytesOf(paths: readonly string[]): Promise<number> {
  const free = await Promise.all(paths.map(async (p) => statfs(p).then((s) => s.bavail * s.bsize)));
  return Math.min(...free);
}

export function describeFull(n: StorageNeed): string {
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  return `storage full: ${mb(n.freeBytes)} free on the gateway, ${mb(n.reserveBytes)} reserved, ${mb(n.pendingBytes + n.marginBytes)} needed to keep recording`;
}
