/**
 * On-disk layout under the store root:
 *   blobs/ab/cd/<sha256>              verified originals, 0400, write-once
 *   blobs/ab/cd/<sha256>.json         sidecar manifest (`<sha256>~<clipId>.json` for a further clip
 *                                     with identical bytes)
 *   quarantine/ab/cd/<sha256>[.json]  bytes a recorder lied about, named by their real hash; kept
 *   tmp/<key>.part, tmp/<key>.state   partial transfers and their persisted offsets (resume)
 *   discarded/<key>.<time>.part[.json] partial transfers of a clip its recorder later described
 *                                     differently (PROTOCOL.md §3.9.3): set aside, 0400, never deleted
 *   audit/audit.jsonl                 the hash-chained audit log
 */
import { join, relative } from 'node:path';

export type Area = 'blobs' | 'quarantine';

export class StoreLayout {
  readonly blobsDir: string;
  readonly quarantineDir: string;
  readonly tmpDir: string;
  readonly discardedDir: string;
  readonly auditDir: string;
  readonly auditFile: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs');
    this.quarantineDir = join(root, 'quarantine');
    this.tmpDir = join(root, 'tmp');
    this.discardedDir = join(root, 'discarded');
    this.auditDir = join(root, 'audit');
    this.auditFile = join(this.auditDir, 'audit.jsonl');
  }

  areaDir(area: Area): string {
    return area === 'blobs' ? this.blobsDir : this.quarantineDir;
  }

  /** Directory holding a blob: two levels of fan-out from the hash's first four hex digits. */
  dirFor(area: Area, sha256: string): string {
    return join(this.areaDir(area), sha256.slice(0, 2), sha256.slice(2, 4));
  }

  blobPath(area: Area, sha256: string): string {
    return join(this.dirFor(area, sha256), sha256);
  }

  /** First clip with these bytes gets `<sha>.json`; further clips `<sha>~<clipId>.json`. */
  sidecarPath(area: Area, sha256: string, clipId?: string): string {
    const name = clipId === undefined ? `${sha256}.json` : `${sha256}~${clipId}.json`;
    return join(this.dirFor(area, sha256), name);
  }

  rel(path: string): string {
    return relative(this.root, path);
  }

  abs(rel: string): string {
    return join(this.root, rel);
  }

  /** Temp key for a transfer; clip ids and source ids are `[A-Za-z0-9._:-]`, safe as file names. */
  tempKey(source: { kind: string; id: string }, clipId: string): string {
    return `${source.kind}_${source.id}_${clipId}`;
  }

  tempPaths(key: string): { part: string; state: string } {
    return { part: join(this.tmpDir, `${key}.part`), state: join(this.tmpDir, `${key}.state`) };
  }
}

export const SHA256_RE = /^[0-9a-f]{64}$/;
