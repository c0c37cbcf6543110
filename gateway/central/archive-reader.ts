/**
 * Central reads an office's archived original from the province's bucket (PROTOCOL.md §7.3): the
 * exact locked version the office reported, never "the current object". Each reading is audited
 * at central before a byte leaves (R24: who, why, as which role), and the bytes are hashed as they
 * stream against the SHA-256 and length the office reported: a mismatch (an S3 administrator's
 * purge and re-upload, a forged report) fails the response before its end (checked-read.ts, R25),
 * is audited and raises a critical alert to the principal and legal affairs.
 */
import { Readable } from 'node:stream';
import type { AlertService } from '../alerts/service.js';
import { type ArchiveBucket, openArchiveBucket } from '../archive/s3.js';
import { contentTypeOf, extensionFor } from '../clips/content-type.js';
import { GatewayError } from '../errors.js';
import type { Service } from '../events.js';
import type { Logger } from '../log.js';
import type { Role } from '../roles.js';
import type { AuditLog } from '../store/audit-log.js';
import { HashCheck } from '../store/checked-read.js';
import type { CentralConfig } from './config.js';
import type { ArchivedOriginal } from './originals.js';

export const ARCHIVE_MISMATCH_RULE = 'office-archive-mismatch';
const NOTIFY = ['principal', 'legal-affairs'] as const;
/** First bytes read for the media type (MP4's `ftyp`, MPEG-TS's second sync byte). */
const SNIFF_BYTES = 189;

export interface ReadRequest {
  actor: string;
  role: Role;
  action: 'view' | 'download';
  reason: string;
}

export class CentralArchiveReader implements Service {
  readonly name = 'central-archive';
  #bucket: ArchiveBucket | undefined;

  constructor(
    readonly config: CentralConfig['archive'],
    readonly o: { audit: () => AuditLog; alerts: AlertService; log: Logger },
  ) {}

  get enabled(): boolean {
    return this.config?.endpoint !== undefined;
  }

  async start(): Promise<void> {
    const c = this.config;
    if (!c?.endpoint) return;
    this.#bucket = await openArchiveBucket(c);
  }

  async stop(): Promise<void> {
    this.#bucket?.destroy();
    this.#bucket = undefined;
  }

  /** The reported version's bytes, whole, audited first and checked as they stream. */
  async read(
    original: ArchivedOriginal,
    req: ReadRequest,
  ): Promise<{ headers: Record<string, string>; body: ReadableStream<Uint8Array> | null }> {
    const bucket = this.#bucket;
    if (!bucket) throw new GatewayError('UNAVAILABLE', 'central has no archive configured');
    if (original.bucket !== bucket.bucket)
      throw new GatewayError('NOT_FOUND', `the original is in bucket ${original.bucket}, not this archive's`);
    const subject = `clip:${original.office}/${original.clipId}`;
    const where = { key: original.key, versionId: original.versionId, sha256: original.sha256 };
    const entry = await this.o.audit().append(
      {
        type: 'clip-access',
        actor: req.actor,
        subject,
        details: {
          action: req.action,
          reason: req.reason,
          role: req.role,
          office: original.office,
          ...where,
        },
      },
      { sync: true },
    );
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'content-length': String(original.bytes),
      'cache-control': 'private, no-store',
      etag: `"${original.sha256}"`,
      'x-audit-seq': String(entry.seq),
      'x-content-sha256': original.sha256,
    };
    const disposition = (type: string) =>
      `${req.action === 'download' ? 'attachment' : 'inline'}; filename="${original.clipId}${extensionFor(type)}"`;
    if (original.bytes === 0) {
      headers['content-disposition'] = disposition(headers['content-type']!);
      return { headers, body: null };
    }
    const head: Buffer[] = [];
    for await (const c of await bucket.open(original.key, original.versionId, {
      start: 0,
      end: Math.min(original.bytes, SNIFF_BYTES) - 1,
    }))
      head.push(c as Buffer);
    headers['content-type'] = contentTypeOf(Buffer.concat(head));
    headers['content-disposition'] = disposition(headers['content-type']);
    const check = new HashCheck(
      { sha256: original.sha256, bytes: original.bytes },
      (found) => void this.#mismatch(original, req, found),
      'archived original',
    );
    const source = await bucket.open(original.key, original.versionId);
    source.on('error', (err) => check.destroy(err));
    source.pipe(check);
    return { headers, body: Readable.toWeb(check) as unknown as ReadableStream<Uint8Array> };
  }

  async #mismatch(
    original: ArchivedOriginal,
    req: ReadRequest,
    found: { sha256: string | null; bytes: number },
  ): Promise<void> {
    const subject = `clip:${original.office}/${original.clipId}`;
    const problem = `version ${original.versionId} read ${found.bytes} bytes hashing ${found.sha256 ?? '(more than reported)'}, the office reported ${original.bytes} bytes hashing ${original.sha256}`;
    try {
      await this.o.audit().append({
        type: 'integrity-failure',
        actor: req.actor,
        subject,
        details: { kind: 'archive', office: original.office, key: original.key, problem },
      });
      await this.o.alerts.raise({
        rule: ARCHIVE_MISMATCH_RULE,
        subject,
        severity: 'critical',
        message: `the archive's copy of ${original.office}'s ${original.clipId} is not what the office reported: ${problem}`,
        notify: NOTIFY,
        details: { office: original.office, key: original.key, versionId: original.versionId },
      });
      this.o.log.error({ subject, problem }, 'archived original does not match the office report');
    } catch (err) {
      this.o.log.error({ err, subject }, 'archive mismatch not recorded');
    }
  }
}
