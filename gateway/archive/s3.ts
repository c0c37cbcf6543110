/**
 * The archive bucket through @aws-sdk/client-s3: writes under COMPLIANCE retention and reads back.
 * An ETag is not a hash (multipart ETags are not even of the bytes). A write is checked on receipt:
 * the original's SHA-256 is the request's signed payload hash (`x-amz-content-sha256`, SigV4), so
 * the S3 server hashes the body it receives and refuses a mismatch (XAmzContentSHA256Mismatch)
 * before anything is stored. `x-amz-checksum-sha256` and metadata carry it too, but RGW 16 ignores
 * the checksum header (a wrong value is accepted: tested, DEPENDENCIES.md) and the SDK would send a
 * stream as UNSIGNED-PAYLOAD, which nobody checks. Read-back hashes the bytes it gets.
 * RGW 16 quirks (DEPENDENCIES.md): checksums only WHEN_REQUIRED or stream bodies fail with 411.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ArchiveCredentials } from './config.js';

export interface ObjectRef {
  bucket: string;
  key: string;
  versionId: string;
}

export interface PutRequest {
  key: string;
  body: Readable | Buffer;
  bytes: number;
  sha256: string;
  retainUntil: Date;
  legalHold: boolean;
}

export interface ReadBack {
  sha256: string;
  bytes: number;
  /** The SHA-256 the object claims (metadata), to compare with what was hashed. */
  claimed: string | undefined;
}

export class ArchiveError extends Error {
  constructor(
    readonly code:
      | 'ARCHIVE_MISMATCH'
      | 'ARCHIVE_UNLOCKED'
      | 'ARCHIVE_MISSING'
      | 'ARCHIVE_NO_VERSION'
      | 'ARCHIVE_REFUSED',
    message: string,
  ) {
    super(message);
    this.name = 'ArchiveError';
  }
}

const hexToB64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

/** The server hashed the body it received and it was not the payload hash signed for it. */
export function isPayloadMismatch(err: unknown): boolean {
  return err instanceof S3ServiceException && /XAmzContentSHA256Mismatch|BadDigest/.test(err.name);
}

export function isNotFound(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.$metadata.httpStatusCode === 404 || /NoSuch|NotFound/.test(err.name);
}

/** A bucket client from config, its credentials read from their file (a secret never sits in config). */
export async function openArchiveBucket(c: {
  endpoint: string;
  region: string;
  bucket: string;
  credentialsFile: string;
}): Promise<ArchiveBucket> {
  const credentials = ArchiveCredentials.parse(JSON.parse(await readFile(c.credentialsFile, 'utf8')));
  return new ArchiveBucket({ endpoint: c.endpoint, region: c.region, bucket: c.bucket, credentials });
}

export class ArchiveBucket {
  readonly client: S3Client;

  constructor(
    readonly opts: { endpoint: string; region: string; bucket: string; credentials: ArchiveCredentials },
  ) {
    this.client = new S3Client({
      endpoint: opts.endpoint,
      region: opts.region,
      forcePathStyle: true,
      credentials: opts.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
    });
  }

  get bucket(): string {
    return this.opts.bucket;
  }

  async ensureBucket(create: boolean): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (!create || !isNotFound(err)) throw err;
      await this.client.send(
        new CreateBucketCommand({ Bucket: this.bucket, ObjectLockEnabledForBucket: true }),
      );
    }
  }

  /** The current version's claimed SHA-256 and id, or undefined when the key is absent. */
  async head(key: string): Promise<{ versionId: string; sha256?: string } | undefined> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!h.VersionId)
        throw new ArchiveError('ARCHIVE_NO_VERSION', `${key} has no version id: bucket not versioned`);
      return { versionId: h.VersionId, sha256: h.Metadata?.sha256 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Stored only when the server's SHA-256 of the body it received is `req.sha256` (ARCHIVE_REFUSED). */
  async put(req: PutRequest): Promise<ObjectRef> {
    const cmd = new PutObjectCommand({
      Bucket: this.bucket,
      Key: req.key,
      Body: req.body,
      ContentLength: req.bytes,
      ChecksumSHA256: hexToB64(req.sha256),
      Metadata: { sha256: req.sha256 },
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: req.retainUntil,
      ...(req.legalHold ? { ObjectLockLegalHoldStatus: 'ON' as const } : {}),
    });
    // Before signing (the finalize step), so the signature covers it and the server checks it.
    cmd.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers['x-amz-content-sha256'] = req.sha256;
        return next(args);
      },
      { step: 'build', name: 'archivePayloadSha256' },
    );
    const out = await this.client.send(cmd).catch((err: unknown) => {
      if (isPayloadMismatch(err))
        throw new ArchiveError(
          'ARCHIVE_REFUSED',
          `${req.key}: the archive refused the bytes it received: they do not hash to ${req.sha256}`,
        );
      throw err;
    });
    if (!out.VersionId)
      throw new ArchiveError('ARCHIVE_NO_VERSION', `${req.key}: no version id: bucket not versioned`);
    return { bucket: this.bucket, key: req.key, versionId: out.VersionId };
  }

  /** Reads a version (or the current one) whole and hashes it. */
  async readBack(key: string, versionId?: string): Promise<ReadBack> {
    const out = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
    );
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of out.Body as Readable) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), bytes, claimed: out.Metadata?.sha256 };
  }

  /** A version's bytes as they stream, whole or one inclusive range (not hashed here). */
  async open(key: string, versionId: string, range?: { start: number; end: number }): Promise<Readable> {
    const out = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        VersionId: versionId,
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    return out.Body as Readable;
  }

  /** Retention (and the legal hold when `withHold`) as the bucket reports them for a version. */
  async lockOf(
    ref: ObjectRef,
    withHold = true,
  ): Promise<{ mode?: string; retainUntil?: Date; legalHold: boolean }> {
    const r = await this.client.send(
      new GetObjectRetentionCommand({ Bucket: this.bucket, Key: ref.key, VersionId: ref.versionId }),
    );
    let legalHold = false;
    if (withHold)
      try {
        const h = await this.client.send(
          new GetObjectLegalHoldCommand({ Bucket: this.bucket, Key: ref.key, VersionId: ref.versionId }),
        );
        legalHold = h.LegalHold?.Status === 'ON';
      } catch (err) {
        if (
          !isNotFound(err) &&
          !(err instanceof S3ServiceException && /NoSuchObjectLock|InvalidRequest/.test(err.name))
        )
          throw err;
      }
    return { mode: r.Retention?.Mode, retainUntil: r.Retention?.RetainUntilDate, legalHold };
  }

  async holdOn(ref: ObjectRef): Promise<void> {
    await this.client.send(
      new PutObjectLegalHoldCommand({
        Bucket: this.bucket,
        Key: ref.key,
        VersionId: ref.versionId,
        LegalHold: { Status: 'ON' },
      }),
    );
  }

  destroy(): void {
    this.client.destroy();
  }
}
