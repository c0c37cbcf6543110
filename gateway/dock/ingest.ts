/**
 * Verified ingest of one clip over a dock link (#4 "Ingest", R22, R25). Nothing is ever lost:
 *
 * 1. Open the clip's temp transfer in the store; it resumes at the persisted offset left by an
 *    unplug, a recorder reset or a gateway crash.
 * 2. Pipelined READs (a window of them in flight, so the link never idles); each DATA chunk's
 *    CRC-32C is checked by the parser, a bad one is re-read at once (DockClient). Chunks are
 *    appended in order; every `checkpointBytes` the data is fsynced and the offset persisted.
 * 3. The store's commit fsyncs, checks SHA-256 and length against CLIP_INFO, links the blob into
 *    place, fsyncs the directory, indexes it in one batch with the `ingest` audit entry.
 *    A mismatch fetches the clip again; after `maxHashRetries` mismatches the bytes are
 *    quarantined (kept, never released) and an alert is raised.
 * 4. Only then: the `release` audit entry, then RELEASE to the recorder.
 * Disk reserve reached: the transfer pauses (in-flight chunks are kept) until space is back.
 */
import { type ClipInfo, DockErrorCode } from '../../protocol/dock/index.js';
import type { AlertService } from '../alerts/service.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import {
  type ClipFactsInput,
  type ClipRecord,
  type ClipStore,
  StoreError,
  type TempWriter,
} from '../store/index.js';
import type { DockClient } from './client.js';
import type { DiskGuard, RoomStatus } from './disk-guard.js';
import { DockLinkError } from './errors.js';

export interface IngestOptions {
  client: DockClient;
  store: ClipStore;
  disk: DiskGuard;
  bus: EventBus;
  log: Logger;
  alerts?: Pick<AlertService, 'raise'>;
  serial: string;
  /** Audit actor, e.g. `dock:/dev/ttyACM0`. */
  actor: string;
  /** READs in flight. */
  window: number;
  /** Bytes per READ. */
  chunkBytes: number;
  maxHashRetries: number;
  /** fsync + persist the offset every this many bytes (resume granularity after a crash). */
  checkpointBytes: number;
  signal: AbortSignal;
  onPause?(s: RoomStatus): void;
  onResume?(): void;
  onProgress?(p: { clipId: string; bytesDone: number; bytes: number }): void;
}

export type IngestOutcome = 'verified' | 'quarantined' | 'released';

export interface IngestResult {
  clipId: string;
  outcome: IngestOutcome;
  record?: ClipRecord;
  /** Offset the first transfer resumed at (0 = from the start). */
  resumedAt: number;
  /** Hash mismatches seen before the outcome. */
  mismatches: number;
  /** Bytes read over the link for this clip. */
  bytesRead: number;
  /** Where the time went (ms): on the link, committing (fsyncs, index, audit), releasing. */
  ms: { transfer: number; commit: number; release: number };
}

const QUARANTINE_NOTIFY = ['legal-affairs', 'principal'] as const;

export function clipFacts(info: ClipInfo, serial: string): ClipFactsInput {
  const f: ClipFactsInput = {
    clipId: info.clipId,
    source: { kind: 'recorder', id: serial },
    sessionId: info.sessionId,
    start: info.start,
    end: Math.max(info.end, info.start),
    bytes: info.bytes,
    sha256: info.sha256,
    markers: info.markers.map((m) => ({ marker: m.marker, at: m.at })),
  };
  if (info.officer) f.officer = info.officer;
  if (info.activity) f.activity = info.activity;
  if (info.caseNo) f.caseNo = info.caseNo;
  return f;
}

export class ClipIngest {
  readonly #o: IngestOptions;
  #lastProgress = 0;

  constructor(opts: IngestOptions) {
    this.#o = opts;
  }

  /** A clip the store already verified with these bytes: only the release is left. */
  async releaseOnly(info: ClipInfo): Promise<IngestResult> {
    await this.#release(info, 'already verified');
    return {
      clipId: info.clipId,
      outcome: 'released',
      resumedAt: info.bytes,
      mismatches: 0,
      bytesRead: 0,
      ms: { transfer: 0, commit: 0, release: 0 },
    };
  }

  /** Fetch, verify and release, fetching again after a mismatch, until verified or quarantined. */
  async run(first: ClipInfo): Promise<IngestResult> {
    this.#info ??= first;
    for (;;) {
      const writer = await this.fetch(this.#info);
      const r = await this.settle(writer);
      if (r !== 'refetch') return r;
    }
  }

  #info: ClipInfo | undefined;
  #mismatches = 0;
  #resumedAt = -1;
  #bytesRead = 0;
  readonly #ms = { transfer: 0, commit: 0, release: 0 };

  /**
   * Brings the clip's bytes onto the gateway (resuming a partial transfer) and returns the full
   * temp transfer for `settle()`. The link is free again as soon as this resolves.
   */
  async fetch(info: ClipInfo): Promise<TempWriter> {
    const o = this.#o;
    this.#info = info;
    for (;;) {
      o.signal.throwIfAborted();
      const writer = await this.#openWriter(info);
      if (this.#resumedAt < 0) this.#resumedAt = writer.offset;
      if (writer.offset > info.bytes) {
        o.log.warn(
          { clipId: info.clipId, offset: writer.offset, bytes: info.bytes },
          'partial longer than the clip: refetching',
        );
        await writer.discard();
        continue;
      }
      const t = performance.now();
      try {
        this.#bytesRead += await this.#transfer(writer, info);
      } catch (err) {
        await this.#keep(writer);
        throw err;
      } finally {
        this.#ms.transfer += performance.now() - t;
      }
      return writer;
    }
  }

  /**
   * Commits what `fetch()` brought (fsync, SHA-256 against CLIP_INFO, blob, index, audit), then
   * releases it. On a mismatch: quarantine after `maxHashRetries`, else 'refetch' (the recorder's
   * claim is asked for again).
   */
  async settle(writer: TempWriter): Promise<IngestResult | 'refetch'> {
    const o = this.#o;
    const info = this.#info!;
    const facts = clipFacts(info, o.serial);
    let t = performance.now();
    let record: ClipRecord;
    try {
      record = await o.store.commit(writer, facts, { actor: o.actor });
      this.#ms.commit += performance.now() - t;
    } catch (err) {
      if (!(err instanceof StoreError) || (err.code !== 'HASH_MISMATCH' && err.code !== 'SIZE_MISMATCH')) {
        await this.#keep(writer);
        throw err;
      }
      this.#mismatches++;
      o.log.warn(
        { clipId: info.clipId, mismatches: this.#mismatches, err: err.message, details: err.details },
        'clip does not match CLIP_INFO',
      );
      if (this.#mismatches >= o.maxHashRetries) {
        const rec = await this.#quarantine(writer, info, facts, this.#mismatches, err);
        return this.#result('quarantined', rec);
      }
      await writer.discard();
      // Ask again: the claim may have been a transient error on the recorder's side.
      this.#info = await o.client.request('GET_CLIP', { clipId: info.clipId });
      return 'refetch';
    }
    t = performance.now();
    await this.#release(info, 'verified');
    this.#ms.release += performance.now() - t;
    return this.#result('verified', record);
  }

  get info(): ClipInfo | undefined {
    return this.#info;
  }

  #result(outcome: IngestOutcome, record: ClipRecord): IngestResult {
    return {
      clipId: this.#info!.clipId,
      outcome,
      record,
      resumedAt: Math.max(0, this.#resumedAt),
      mismatches: this.#mismatches,
      bytesRead: this.#bytesRead,
      ms: { ...this.#ms },
    };
  }

  async #openWriter(info: ClipInfo): Promise<TempWriter> {
    const o = this.#o;
    for (let busy = 0; ; ) {
      await o.disk.waitForRoom(o.actor, info.bytes, {
        signal: o.signal,
        onPause: (s) => o.onPause?.(s),
      });
      try {
        return await o.store.createTempWriter({
          clipId: info.clipId,
          source: { kind: 'recorder', id: o.serial },
          expectedBytes: info.bytes,
        });
      } catch (err) {
        if (err instanceof StoreError && err.code === 'CONFLICT' && ++busy < 100) {
          // The previous docking's writer is still closing (re-docked before it wound down).
          await sleepAbortable(100, o.signal);
          continue;
        }
        if (!(err instanceof StoreError) || err.code !== 'DISK_RESERVE') throw err;
        // The store's own reserve check refused: wait with everyone else.
        o.onPause?.({
          ok: false,
          freeBytes: Number(err.details?.freeBytes ?? 0),
          reserveBytes: o.disk.reserveBytes,
          neededBytes: info.bytes,
        });
        await sleepAbortable(o.disk.pollMs, o.signal);
      }
    }
  }

  /** The bytes we have are good (every chunk passed its check): make them durable for the resume. */
  async #keep(writer: TempWriter): Promise<void> {
    try {
      if (!writer.writableEnded && !writer.destroyed) await writer.checkpoint();
    } catch (err) {
      this.#o.log.warn({ err, key: writer.key }, 'checkpoint on abort failed');
    }
    await writer.abort().catch(() => {});
  }

  /** Pipelined READs from `writer.offset` to the end; returns bytes read. */
  /**
   * Pipelined READs from `writer.offset` to the end; returns bytes read. The link never waits for
   * the disk: chunks are gathered into large appends that run behind the receive loop, and a
   * checkpoint (fsync + persisted offset) runs in that same queue while DATA keeps arriving.
   */
  async #transfer(writer: TempWriter, info: ClipInfo): Promise<number> {
    const o = this.#o;
    const { clipId, bytes: end } = info;
    const queue: {
      offset: number;
      length: number;
      p: Promise<{ offset: number; chunk: Uint8Array; clipId: string; eof: boolean }>;
    }[] = [];
    let next = writer.offset;
    let read = 0;
    let sinceCheckpoint = 0;
    let pause = false;
    const disk = new DiskQueue(writer);
    const issue = () => {
      const length = Math.min(o.chunkBytes, end - next);
      const p = o.client.request('READ', { clipId, offset: next, length });
      p.catch(() => {});
      queue.push({ offset: next, length, p });
      next += length;
    };
    // Refill in batches once half the window has come back: fewer, larger writes of READs.
    const refillAt = Math.max(1, Math.floor(o.window / 2));
    const fill = (force = false) => {
      if (!force && queue.length > refillAt) return;
      while (!pause && next < end && queue.length < o.window) issue();
    };
    this.#progress(clipId, next, end, true);
    try {
      fill(true);
      while (queue.length > 0 || next < end) {
        if (queue.length === 0) {
          // Paused and drained: everything received goes to disk; wait for room (the session keeps the link alive).
          await disk.checkpoint();
          await o.disk.waitForRoom(o.actor, end - next, { signal: o.signal, onPause: (s) => o.onPause?.(s) });
          o.onResume?.();
          pause = false;
          fill(true);
          continue;
        }
        const head = queue[0]!;
        // §3.9.3: clip, offset, length and eof must be exactly what was asked for.
        const d = await head.p;
        queue.shift();
        const eof = head.offset + head.length === end;
        if (
          d.clipId !== clipId ||
          d.offset !== head.offset ||
          d.chunk.length !== head.length ||
          d.eof !== eof
        ) {
          throw new DockLinkError(
            'PROTOCOL',
            `READ ${clipId}@${head.offset}+${head.length} answered with ${d.clipId}@${d.offset}+${d.chunk.length}${d.eof ? ' eof' : ''}`,
          );
        }
        fill();
        disk.add(d.chunk);
        o.client.recycle(d.chunk);
        read += head.length;
        sinceCheckpoint += head.length;
        if (sinceCheckpoint >= o.checkpointBytes && next < end) {
          sinceCheckpoint = 0;
          void disk.checkpoint().then(
            async (durable) => {
              void o.store.markUploading(clipId, durable).catch(() => {});
              const room = await o.disk.check(end - durable);
              if (!room.ok && !pause) {
                pause = true;
                o.onPause?.(room);
              }
            },
            () => {},
          );
        }
        // The disk fell far behind the link: let it catch up (bounded memory).
        if (disk.backlog > DISK_BACKLOG_MAX) await disk.drained();
        this.#progress(clipId, head.offset + head.length, end, false);
      }
      await disk.drained();
    } finally {
      // Whatever arrived intact is written (and made durable by the caller's checkpoint) even if
      // the link failed: the next docking resumes after it.
      await disk.drained().catch(() => {});
    }
    this.#progress(clipId, end, end, true);
    return read;
  }

  #progress(clipId: string, bytesDone: number, bytes: number, force: boolean): void {
    const now = Date.now();
    if (!force && now - this.#lastProgress < 250) return;
    this.#lastProgress = now;
    const p = { clipId, bytesDone, bytes };
    this.#o.onProgress?.(p);
    this.#o.bus.emit('ingest.progress', { ...p, serial: this.#o.serial });
  }

  async #quarantine(
    writer: TempWriter,
    info: ClipInfo,
    facts: ClipFactsInput,
    mismatches: number,
    err: StoreError,
  ): Promise<ClipRecord> {
    const o = this.#o;
    const actual = String(err.details?.actual ?? 'unknown');
    const reason = `recorder ${o.serial} claimed sha256 ${info.sha256} (${info.bytes} B) ${mismatches} times; the bytes it sent hash to ${actual}`;
    const record = await o.store.quarantine(writer, facts, reason, { actor: o.actor });
    const who = info.officer ? `${info.officer.name} (${info.officer.certNo})` : 'no officer';
    await o.alerts
      ?.raise({
        rule: 'clip-quarantined',
        subject: `clip:${info.clipId}`,
        severity: 'critical',
        message: `Clip ${info.clipId} from recorder ${o.serial} (${who}) was quarantined: its hash never matched after ${mismatches} fetches. The clip is kept on the recorder and on the gateway; it is not released.`,
        notify: QUARANTINE_NOTIFY,
        details: {
          clipId: info.clipId,
          serial: o.serial,
          claimedSha256: info.sha256,
          actualSha256: actual,
          officerId: info.officer?.id ?? null,
        },
      })
      .catch((e: unknown) => o.log.error({ err: e }, 'quarantine alert failed'));
    return record;
  }

  /** R22: the release audit entry is durable before RELEASE leaves; a clip not verified never gets one. */
  async #release(info: ClipInfo, why: string): Promise<void> {
    const o = this.#o;
    const rec = await o.store.index.get(info.clipId);
    if (rec?.state !== 'verified' || rec.sha256 !== info.sha256) {
      throw new StoreError(
        'NOT_VERIFIED',
        `clip ${info.clipId} is not verified with ${info.sha256}; not released`,
      );
    }
    await o.store.recordRelease(info.clipId, { actor: o.actor, details: { serial: o.serial, why } });
    try {
      const ack = await o.client.request('RELEASE', { clipId: info.clipId, sha256: info.sha256 });
      o.log.info({ clipId: info.clipId, result: ack.result }, 'clip released');
    } catch (err) {
      if (!(err instanceof DockLinkError) || err.remoteCode !== DockErrorCode.HASH_MISMATCH) throw err;
      // §3.9.4: the recorder's record of the clip differs from what we verified; it keeps the clip.
      o.log.error({ clipId: info.clipId, err: err.message }, 'recorder refused RELEASE: hash differs');
      await o.alerts
        ?.raise({
          rule: 'release-refused',
          subject: `clip:${info.clipId}`,
          severity: 'warning',
          message: `Recorder ${o.serial} refused to free clip ${info.clipId}: its record of the clip's hash differs from the verified copy. The clip stays on the recorder.`,
          notify: ['equipment-manager'],
          details: { clipId: info.clipId, serial: o.serial, sha256: info.sha256 },
        })
        .catch(() => undefined);
    }
  }
}

/** Bytes gathered per append: one disk write per MiB instead of one per DATA chunk. */
const APPEND_BYTES = 1024 * 1024;
/** Received but not yet written bytes before the receive loop waits for the disk. */
const DISK_BACKLOG_MAX = 32 * 1024 * 1024;

/**
 * The appends and checkpoints of one transfer, in order, behind the receive loop. Chunks are
 * copied into reusable APPEND_BYTES buffers, so the DATA chunk goes back to the client's pool at
 * once and nothing is allocated per append (fresh buffers drove V8's full collections, measured
 * by `npm run bench -- ingest`); a checkpoint flushes what is gathered and then fsyncs, so the
 * offset it persists never covers bytes still in memory.
 */
class DiskQueue {
  readonly #writer: TempWriter;
  /** Buffers whose write completed, ready to gather into again. */
  readonly #free: Buffer[] = [];
  #buf: Buffer | undefined;
  #gathered = 0;
  #at: number;
  #chain: Promise<unknown> = Promise.resolve();
  #failure: unknown;
  /** Bytes handed over and not yet written. */
  backlog = 0;

  constructor(writer: TempWriter) {
    this.#writer = writer;
    this.#at = writer.offset;
  }

  add(chunk: Uint8Array): void {
    this.backlog += chunk.length;
    if (chunk.length > APPEND_BYTES) {
      this.#flush();
      this.#write(Buffer.from(chunk), chunk.length, false);
      return;
    }
    if (this.#gathered + chunk.length > APPEND_BYTES) this.#flush();
    this.#buf ??= this.#free.pop() ?? Buffer.allocUnsafe(APPEND_BYTES);
    this.#buf.set(chunk, this.#gathered);
    this.#gathered += chunk.length;
    if (this.#gathered === APPEND_BYTES) this.#flush();
  }

  /** Resolves with the durable offset once everything added so far is fsynced. */
  checkpoint(): Promise<number> {
    this.#flush();
    const done = this.#chain.then(() => this.#writer.checkpoint());
    this.#chain = done.catch((err: unknown) => {
      this.#failure ??= err;
    });
    return done;
  }

  /** Everything added so far is written (not necessarily fsynced); rejects if a write failed. */
  async drained(): Promise<void> {
    this.#flush();
    await this.#chain;
    if (this.#failure) throw this.#failure;
  }

  #flush(): void {
    if (this.#gathered === 0 || !this.#buf) return;
    const buf = this.#buf;
    const bytes = this.#gathered;
    this.#buf = undefined;
    this.#gathered = 0;
    this.#write(buf, bytes, true);
  }

  #write(buf: Buffer, bytes: number, reuse: boolean): void {
    const at = this.#at;
    this.#at += bytes;
    this.#chain = this.#chain
      .then(() => (this.#failure ? undefined : this.#writer.append(buf.subarray(0, bytes), at)))
      .then(
        () => {
          this.backlog -= bytes;
          // Written (the kernel has the bytes): the buffer can take the next ones.
          if (reuse && this.#free.length < 2) this.#free.push(buf);
        },
        (err: unknown) => {
          this.#failure ??= err;
        },
      );
  }
}

function sleepAbortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
