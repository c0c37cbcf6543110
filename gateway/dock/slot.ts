/**
 * One dock slot = one serial port (#4 "Dock link"). While the port exists the slot keeps it open
 * (reopening after a lost link), and runs one session per HELLO:
 *
 *   waiting -> HELLO -> refused (unknown recorder / no common version, with the reason)
 *                    -> syncing (time sync) -> listing (STATUS, LIST_CLIPS) -> uploading
 *                       (earliest deadline first; `paused` while the disk reserve is reached) -> ready
 *
 * A HELLO in the middle of a session means the recorder reset: the session is abandoned (partial
 * transfers are kept) and a new one starts. A session that fails (store or protocol error) ends in
 * `error`; the recorder's next HELLO starts it over. Pairing (PAIR/UNPAIR) goes through `pair()` /
 * `unpair()` once the recorder has been accepted.
 */
import { lstat, stat } from 'node:fs/promises';
import { z } from 'zod';
import { Officer } from '../../protocol/common.js';
import {
  type ClipInfo,
  DOCK_VERSIONS,
  DockErrorCode,
  DockTiming,
  type Hello,
  type Status,
} from '../../protocol/dock/index.js';
import type { CloseInfo, DockBinding } from '../../protocol/dock/link/binding.js';
import { FrameLink } from '../../protocol/dock/link/frame-link.js';
import type { AlertService } from '../alerts/service.js';
import type { GatewayConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import { type ClipRecord, type ClipStore, isPending, StoreError } from '../store/index.js';
import { DockClient } from './client.js';
import type { DiskGuard, RoomStatus } from './disk-guard.js';
import { DockLinkError } from './errors.js';
import { ClipIngest, clipFacts, type IngestResult } from './ingest.js';
import type { ClockSample, TimeSync } from './time-sync.js';

export const SlotState = z.enum([
  'empty',
  'waiting',
  'refused',
  'syncing',
  'listing',
  'uploading',
  'paused',
  'ready',
  'error',
]);
export type SlotState = z.infer<typeof SlotState>;

/** States in which the recorder has been accepted and PAIR/UNPAIR/STATUS may be sent. */
const ACCEPTED: ReadonlySet<SlotState> = new Set([
  'syncing',
  'listing',
  'uploading',
  'paused',
  'ready',
  'error',
]);

/** Which recorders may dock: the fleet registry (known serials). */
export interface KnownRecorders {
  isKnown(serial: string): boolean | Promise<boolean>;
}

export interface PlannedClip {
  clipId: string;
  bytes: number;
  start: number;
  end: number;
  /** end + 24 h (R22). */
  deadline: number;
  officerId: string | null;
  /** `missing`: listed, but the recorder could not serve it (NO_SUCH_CLIP / OUT_OF_RANGE). */
  result?: IngestResult['outcome'] | 'missing';
}

export interface DockSlotInfo {
  slot: string;
  state: SlotState;
  /** Why the slot is refused, paused or in error (shown in the API). */
  reason: string | null;
  /** ISO time the state was entered. */
  since: string;
  serial: string | null;
  model: string | null;
  firmware: string | null;
  version: number | null;
  /** Last STATUS from the recorder (battery, storage, officer, pending clips) and when it came. */
  status: (Status & { receivedAt: string }) | null;
  clock: ClockSample | null;
  /** The upload plan of this docking, earliest deadline first, with outcomes so far. */
  clips: PlannedClip[];
  current: { clipId: string; bytesDone: number; bytes: number } | null;
  disk: RoomStatus | null;
}

export interface DockSlotDeps {
  binding: DockBinding;
  config: GatewayConfig['dock'];
  store: ClipStore;
  disk: DiskGuard;
  timeSync: TimeSync;
  registry: KnownRecorders;
  bus: EventBus;
  log: Logger;
  alerts?: Pick<AlertService, 'raise' | 'clear'>;
  gatewayId: string;
  checkpointBytes: number;
  /** Delay before reopening a port after the link was lost (ms). */
  reopenMs?: number;
  timeoutMs?: number;
}

/** READY: list again at least this often (PROTOCOL.md §3.9). */
const RELIST_MS = 30_000;
/** BAD_CURSOR restarts of one listing before the session gives up (PROTOCOL.md §3.9 step 4). */
const MAX_LIST_RESTARTS = 5;

/** The refusal an unregistered recorder gets (ERROR body code; PROTOCOL.md §3.9 step 1, §3.10). */
export const REFUSED_CODE = DockErrorCode.NOT_REGISTERED;

export class DockSlot {
  readonly path: string;
  readonly #d: DockSlotDeps;
  readonly #log: Logger;
  #info: DockSlotInfo;
  #client: DockClient | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #session: { ac: AbortController; done: Promise<void> } | undefined;
  #nextHello: { hello: Hello; seq: number } | undefined;
  /** Seq of the newest HELLO of the session being set up (the recorder repeats it until acked). */
  #handshakeSeq = 0;
  #keepalive: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;

  constructor(path: string, deps: DockSlotDeps) {
    this.path = path;
    this.#d = deps;
    this.#log = deps.log.child({ slot: path });
    this.#info = emptyInfo(path);
  }

  get actor(): string {
    return `dock:${this.path}`;
  }

  info(): DockSlotInfo {
    return structuredClone(this.#info);
  }

  get state(): SlotState {
    return this.#info.state;
  }

  get serial(): string | null {
    return this.#info.serial;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    this.#session?.ac.abort(new DockLinkError('LINK_CLOSED', 'slot stopped'));
    await this.#client?.close();
    await this.#loop;
  }

  // ---- operations for pairing (check-out / check-in) -------------------------------------------

  /** Writes the officer's identity to the recorder (PAIR); returns the recorder's STATUS after it. */
  async pair(officerIn: Officer): Promise<Status> {
    const officer = Officer.parse(officerIn);
    const client = this.#accepted();
    const status = await client.request('PAIR', { officer, at: Date.now() });
    this.#setStatus(status);
    this.#log.info({ serial: this.#info.serial, officer: officer.id }, 'recorder paired');
    return status;
  }

  /** Clears the officer on the recorder (UNPAIR); returns the recorder's STATUS after it. */
  async unpair(): Promise<Status> {
    const client = this.#accepted();
    const status = await client.request('UNPAIR', {});
    this.#setStatus(status);
    this.#log.info({ serial: this.#info.serial }, 'recorder unpaired');
    return status;
  }

  /** Fresh STATUS (battery, storage, officer) for the readiness forecast. */
  async refreshStatus(): Promise<Status> {
    const status = await this.#accepted().request('GET_STATUS', {});
    this.#setStatus(status);
    return status;
  }

  /** Resolves once the slot is in one of `states` (tests, and the pairing flow waiting for `ready`). */
  waitFor(states: SlotState | SlotState[], opts: { signal?: AbortSignal } = {}): Promise<DockSlotInfo> {
    const want = new Set(Array.isArray(states) ? states : [states]);
    if (want.has(this.#info.state)) return Promise.resolve(this.info());
    return new Promise((resolve, reject) => {
      const off = this.#d.bus.on('dock.changed', (e) => {
        if (e.slot === this.path && want.has(e.state as SlotState)) {
          off();
          resolve(this.info());
        }
      });
      opts.signal?.addEventListener('abort', () => {
        off();
        reject(opts.signal!.reason);
      });
    });
  }

  #accepted(): DockClient {
    const client = this.#client;
    if (!client || client.down || !ACCEPTED.has(this.#info.state)) {
      throw new GatewayError(
        'NOT_DOCKED',
        `no accepted recorder in dock ${this.path} (state ${this.#info.state})`,
        {
          slot: this.path,
          state: this.#info.state,
        },
      );
    }
    return client;
  }

  // ---- port lifecycle ----------------------------------------------------------------------------

  async #run(): Promise<void> {
    let backoff = 100;
    /** Identity of the port node whose link was lost: not reopened until it is replaced. */
    let lost: string | undefined;
    while (!this.#stopped) {
      const id = await portIdentity(this.path);
      if (lost !== undefined && (id === undefined || id === lost)) {
        // The cable was pulled. The old node (or a PTY symlink left behind, whose target the
        // kernel may hand to someone else) must not be reopened: wait for a new one.
        await this.#pause(250);
        continue;
      }
      lost = undefined;
      let port: Awaited<ReturnType<DockBinding['open']>>;
      try {
        port = await this.#d.binding.open(this.path, { baudRate: this.#d.config.baudRate });
      } catch (err) {
        this.#log.debug({ err }, 'cannot open port');
        this.#set('empty', `cannot open port: ${(err as Error).message}`);
        await this.#pause(backoff);
        backoff = Math.min(backoff * 2, 2000);
        continue;
      }
      backoff = 100;
      this.#log.debug('port opened');
      const down = new Promise<{ err: DockLinkError; info: CloseInfo | undefined }>((resolve) => {
        this.#client = new DockClient({
          // The client copies each DATA chunk during dispatch, so the receiver may reuse its buffers.
          link: new FrameLink(port, { transientData: true }),
          log: this.#log,
          ...(this.#d.timeoutMs ? { timeoutMs: this.#d.timeoutMs } : {}),
          onHello: (hello, seq) => this.#onHello(hello, seq),
          onDown: (err, info) => resolve({ err, info }),
        });
      });
      this.#set('waiting', null);
      // §3.9: a lone 0x00 ends whatever partial frame the recorder's receiver may hold.
      await this.#client!.notify('delimiter').catch(() => undefined);
      const { err, info } = await down;
      this.#log.debug({ err: err.message, intended: info?.intended }, 'link down');
      const client = this.#client!;
      // A dead link with the port still open (no answers): close it and start over.
      await client.close();
      if (info && !info.intended && id !== undefined) lost = id;
      this.#nextHello = undefined;
      this.#session?.ac.abort(err);
      await this.#session?.done;
      this.#client = undefined;
      this.#info.current = null;
      this.#set('empty', this.#stopped ? null : err.message);
      if (!this.#stopped) await this.#pause(this.#d.reopenMs ?? 300);
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
  }

  #onHello(hello: Hello, seq: number): void {
    if (this.#session && !ACCEPTED.has(this.#info.state) && hello.serial === this.#info.serial) {
      // A repeat of the HELLO being handled: acknowledge the newest one.
      this.#handshakeSeq = seq;
      return;
    }
    this.#nextHello = { hello, seq };
    if (this.#session) {
      if (ACCEPTED.has(this.#info.state)) {
        this.#log.warn({ serial: hello.serial }, 'HELLO mid-session: recorder reset');
        this.#session.ac.abort(new DockLinkError('PEER_RESET', `recorder ${hello.serial} reset`));
        this.#client?.abortAll(new DockLinkError('PEER_RESET', `recorder ${hello.serial} reset`));
      }
      return;
    }
    this.#startSession();
  }

  #startSession(): void {
    const next = this.#nextHello;
    const client = this.#client;
    if (!next || !client || client.down || this.#stopped) return;
    this.#nextHello = undefined;
    this.#handshakeSeq = next.seq;
    const ac = new AbortController();
    const done = this.#runSession(client, next.hello, ac.signal)
      .catch((err: unknown) => this.#sessionFailed(err, ac.signal))
      .finally(() => {
        this.#stopKeepalive();
        this.#session = undefined;
        // A HELLO that came while this session wound down (a reset) starts the next one.
        if (this.#nextHello) this.#startSession();
      });
    this.#session = { ac, done };
  }

  #sessionFailed(err: unknown, signal: AbortSignal): void {
    if (signal.aborted || this.#stopped) return;
    if (err instanceof DockLinkError && err.code === 'LINK_CLOSED') return;
    const reason = err instanceof Error ? err.message : String(err);
    this.#log.error({ err, serial: this.#info.serial }, 'dock session failed');
    this.#info.current = null;
    this.#set('error', reason);
  }

  // ---- one docking -------------------------------------------------------------------------------

  async #runSession(client: DockClient, hello: Hello, signal: AbortSignal): Promise<void> {
    const d = this.#d;
    const common = hello.versions.filter((v) => DOCK_VERSIONS.includes(v));
    this.#info.serial = hello.serial;
    this.#info.model = hello.model;
    this.#info.firmware = hello.firmware;
    if (common.length === 0) {
      const reason = `recorder ${hello.serial} speaks dock versions ${hello.versions.join(',')}; this gateway speaks ${DOCK_VERSIONS.join(',')}`;
      await client.notify({
        type: 'ERROR',
        seq: this.#handshakeSeq,
        body: { code: DockErrorCode.BAD_VERSION, message: reason },
      });
      await this.#refuse(hello, reason);
      return;
    }
    if (!(await d.registry.isKnown(hello.serial))) {
      const reason = `recorder ${hello.serial} is not registered in this gateway's fleet; an equipment manager must register it, then re-dock it`;
      await client.notify({
        type: 'ERROR',
        seq: this.#handshakeSeq,
        body: { code: REFUSED_CODE, message: reason },
      });
      await this.#refuse(hello, reason);
      return;
    }
    const version = Math.max(...common);
    client.version = version;
    this.#info.version = version;
    await client.notify({
      type: 'HELLO_ACK',
      seq: this.#handshakeSeq,
      body: { version, gatewayId: d.gatewayId, gatewayTime: Date.now() },
    });
    this.#log.info(
      { serial: hello.serial, model: hello.model, firmware: hello.firmware, version },
      'recorder docked',
    );
    this.#info.clips = [];
    this.#set('syncing', null);
    this.#startKeepalive(client);

    this.#info.clock = await d.timeSync.sync(client, hello.serial, this.actor);
    signal.throwIfAborted();
    this.#set('listing', null);
    this.#setStatus(await client.request('GET_STATUS', {}));
    await this.#upload(client, hello, signal, true);
    this.#setStatus(await client.request('GET_STATUS', {}));
    this.#set('ready', null);
    // READY (§3.9): keepalive, and list again when the recorder's pending count changes or every 30 s.
    for (;;) {
      const pending = this.#info.status?.pendingClips;
      const again = await this.#relistWhen(signal, pending);
      if (!again) return;
      await this.#upload(client, hello, signal, false);
    }
  }

  /** Resolves true when a re-list is due (pending count changed, or RELIST_MS passed); false on abort. */
  #relistWhen(signal: AbortSignal, pending: number | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const done = (v: boolean) => {
        clearTimeout(t);
        clearInterval(poll);
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => done(false);
      const t = setTimeout(() => done(true), RELIST_MS);
      const poll = setInterval(() => {
        if (this.#info.status && this.#info.status.pendingClips !== pending) done(true);
      }, 250);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * LIST, then upload every clip not yet verified, earliest deadline (end + 24 h, R22) first. On a
   * later re-list the slot stays `ready` unless there is something to do.
   */
  async #upload(client: DockClient, hello: Hello, signal: AbortSignal, first: boolean): Promise<void> {
    const d = this.#d;
    const infos = await this.#listClips(client);
    signal.throwIfAborted();
    infos.sort((a, b) => a.end - b.end || a.clipId.localeCompare(b.clipId));
    const states = await Promise.all(infos.map((c) => d.store.index.get(c.clipId)));
    // Before anything is announced (which records this listing's facts): a partial copy is resumed
    // only if the recorder still describes its clip as it did when the copy was made (§3.9.3).
    await this.#checkPartials(client, hello.serial, infos, states, signal);
    const todo = infos.filter((_, i) => states[i]?.state !== 'quarantined');
    if (!first && todo.length === 0) return;
    this.#info.clips = infos.map((c) => ({
      clipId: c.clipId,
      bytes: c.bytes,
      start: c.start,
      end: c.end,
      deadline: c.end + 24 * 3600_000,
      officerId: c.officer?.id ?? null,
    }));
    // At once, not one after another: each is a synced write, and concurrent ones share an fsync.
    await Promise.all(
      infos.map((c) =>
        d.store.announce(clipFacts(c, hello.serial)).catch((err: unknown) => {
          this.#log.warn({ err, clipId: c.clipId }, 'clip announce refused');
        }),
      ),
    );
    this.#set('uploading', null);
    const window = Math.max(1, Math.min(d.config.readWindow, hello.window));
    const chunkBytes = Math.max(256, Math.min(d.config.chunkBytes, hello.maxRead));
    const newIngest = () =>
      new ClipIngest({
        client,
        store: d.store,
        disk: d.disk,
        bus: d.bus,
        log: this.#log,
        ...(d.alerts ? { alerts: d.alerts } : {}),
        serial: hello.serial,
        actor: this.actor,
        window,
        chunkBytes,
        maxHashRetries: d.config.maxHashRetries,
        checkpointBytes: d.checkpointBytes,
        signal,
        onPause: (s) => {
          this.#info.disk = s;
          this.#set('paused', `disk reserve reached: ${s.freeBytes} bytes free, ${s.reserveBytes} reserved`);
        },
        onResume: () => {
          this.#info.disk = null;
          this.#set('uploading', null);
        },
        onProgress: (p) => {
          this.#info.current = p;
        },
      });
    const done = (i: number, result: IngestResult) => {
      this.#info.clips[i]!.result = result.outcome;
      this.#log.info(
        {
          clipId: result.clipId,
          outcome: result.outcome,
          bytes: infos[i]!.bytes,
          resumedAt: result.resumedAt,
          mismatches: result.mismatches,
          bytesRead: result.bytesRead,
          ms: mapValues(result.ms, Math.round),
        },
        'clip done',
      );
    };
    // Clip i is committed and released while clip i+1 is on the link (one settle at a time, in
    // order). A clip whose hash did not match is fetched again after the others.
    let settling: Promise<void> = Promise.resolve();
    let failed: { err: unknown } | undefined;
    const again: { i: number; ingest: ClipIngest }[] = [];
    for (const [i, c] of infos.entries()) {
      signal.throwIfAborted();
      if (failed) break;
      const existing = states[i];
      if (existing?.state === 'quarantined') {
        // Kept on the recorder and on the gateway; never released (R22). Nothing more to do here.
        this.#info.clips[i]!.result = 'quarantined';
        continue;
      }
      const ingest = newIngest();
      if (existing?.state === 'verified' && existing.sha256 === c.sha256) {
        done(i, await ingest.releaseOnly(c));
        continue;
      }
      let writer: Awaited<ReturnType<ClipIngest['fetch']>>;
      try {
        writer = await ingest.fetch(c);
      } catch (err) {
        if (!(await this.#clipGone(err, c, i))) throw err;
        continue;
      }
      this.#info.current = null;
      settling = settling.then(async () => {
        if (failed) return;
        try {
          const r = await ingest.settle(writer);
          if (r === 'refetch') again.push({ i, ingest });
          else done(i, r);
        } catch (err) {
          failed = { err };
        }
      });
    }
    await settling;
    if (failed) throw failed.err;
    for (const { i, ingest } of again) {
      signal.throwIfAborted();
      try {
        done(i, await ingest.run(ingest.info!));
      } catch (err) {
        if (!(await this.#clipGone(err, ingest.info!, i))) throw err;
      }
      this.#info.current = null;
    }
    this.#info.current = null;
    this.#info.disk = null;
    this.#set('ready', null);
  }

  /**
   * §3.9.3: on (re)start of a transfer with a persisted partial copy, GET_CLIP first and compare
   * `bytes` and `sha256` with what was recorded from the CLIP_INFO the copy was fetched against. If
   * they differ, the copy is not a prefix of the clip as it now is: it is set aside (kept and
   * audited, never deleted) and the transfer starts from 0. `infos[i]` becomes the fresh CLIP_INFO.
   */
  async #checkPartials(
    client: DockClient,
    serial: string,
    infos: ClipInfo[],
    states: (ClipRecord | undefined)[],
    signal: AbortSignal,
  ): Promise<void> {
    const store = this.#d.store;
    const source = { kind: 'recorder' as const, id: serial };
    const held = new Map((await store.tempTransfers()).map((t) => [t.key, t.bytes]));
    for (const [i, listed] of infos.entries()) {
      const prev = states[i];
      if (!prev || !isPending(prev)) continue;
      if ((held.get(store.layout.tempKey(source, listed.clipId)) ?? 0) <= 0) continue;
      signal.throwIfAborted();
      let now: ClipInfo;
      try {
        now = await client.request('GET_CLIP', { clipId: listed.clipId });
      } catch (err) {
        // Gone from the recorder: the transfer reports it (alert, partial kept).
        if (err instanceof DockLinkError && err.remoteCode === DockErrorCode.NO_SUCH_CLIP) continue;
        throw err;
      }
      infos[i] = now;
      if (now.sha256 === prev.sha256 && now.bytes === prev.bytes) continue;
      const reason = `recorder ${serial} now reports clip ${now.clipId} as ${now.bytes} B sha256 ${now.sha256}; the partial copy was fetched when it reported ${prev.bytes} B sha256 ${prev.sha256}`;
      for (let busy = 0; ; busy++) {
        try {
          const kept = await store.setAsidePartial(
            {
              clipId: now.clipId,
              source,
              reason,
              recorded: { sha256: prev.sha256, bytes: prev.bytes },
              reported: { sha256: now.sha256, bytes: now.bytes },
            },
            { actor: this.actor },
          );
          this.#log.warn(
            { clipId: now.clipId, kept, reason },
            'clip changed on the recorder: partial set aside, restarting at 0',
          );
          break;
        } catch (err) {
          // The previous docking's writer is still closing (re-docked before it wound down).
          if (!(err instanceof StoreError) || err.code !== 'CONFLICT' || busy >= 100) throw err;
          await new Promise((r) => setTimeout(r, 100));
          signal.throwIfAborted();
        }
      }
    }
  }

  /**
   * §3.9.3: the recorder no longer has a clip it listed (NO_SUCH_CLIP) or not in the size it said
   * (OUT_OF_RANGE). The partial copy is kept, an alert raised, and the upload goes on with the
   * next clip; the next listing looks at it again. False when `err` is anything else.
   */
  async #clipGone(err: unknown, c: ClipInfo, i: number): Promise<boolean> {
    if (
      !(err instanceof DockLinkError) ||
      (err.remoteCode !== DockErrorCode.NO_SUCH_CLIP && err.remoteCode !== DockErrorCode.OUT_OF_RANGE)
    ) {
      return false;
    }
    this.#info.clips[i]!.result = 'missing';
    this.#info.current = null;
    this.#log.error({ clipId: c.clipId, err: err.message }, 'recorder lost a listed clip');
    await this.#d.alerts
      ?.raise({
        rule: 'clip-lost-on-recorder',
        subject: `clip:${c.clipId}`,
        severity: 'critical',
        message: `Recorder ${this.#info.serial} listed clip ${c.clipId} but could not serve it (${err.remoteName}). What was received is kept; the clip is not released.`,
        notify: ['equipment-manager', 'legal-affairs'],
        details: { clipId: c.clipId, serial: this.#info.serial, error: err.remoteName ?? null },
      })
      .catch(() => undefined);
    return true;
  }

  /**
   * §3.9 step 4: LIST_CLIPS from no cursor, following `next` until null. A BAD_CURSOR answer (the
   * recorder expired the cursor, e.g. a release renumbered its pages) restarts from the first page;
   * after MAX_LIST_RESTARTS of those in one listing the session fails (the next HELLO starts over).
   */
  async #listClips(client: DockClient): Promise<ClipInfo[]> {
    for (let restarts = 0; ; restarts++) {
      const out: ClipInfo[] = [];
      let cursor: string | undefined;
      try {
        for (let page = 0; page < 100_000; page++) {
          const list = await client.request('LIST_CLIPS', { limit: 64, ...(cursor ? { cursor } : {}) });
          out.push(...list.clips);
          if (!list.next) break;
          cursor = list.next;
        }
        return out;
      } catch (err) {
        const expired = err instanceof DockLinkError && err.remoteCode === DockErrorCode.BAD_CURSOR;
        if (!expired || restarts >= MAX_LIST_RESTARTS) throw err;
        this.#log.warn(
          { serial: this.#info.serial, cursor, restarts: restarts + 1 },
          'LIST_CLIPS cursor expired: listing again from the first page',
        );
      }
    }
  }

  async #refuse(hello: Hello, reason: string): Promise<void> {
    const again = this.#info.state === 'refused' && this.#info.reason === reason;
    if (!again) {
      this.#log.warn({ serial: hello.serial, reason }, 'recorder refused');
      await this.#d.store.audit
        .append({
          type: 'recorder-refused',
          actor: this.actor,
          subject: `recorder:${hello.serial}`,
          details: { reason, model: hello.model, firmware: hello.firmware, versions: hello.versions },
        })
        .catch((err: unknown) => this.#log.error({ err }, 'audit of refusal failed'));
    }
    this.#set('refused', reason);
  }

  #startKeepalive(client: DockClient): void {
    this.#stopKeepalive();
    this.#keepalive = setInterval(() => {
      if (client.down || Date.now() - client.lastSentAt < DockTiming.KEEPALIVE_MS) return;
      client.request('GET_STATUS', {}).then(
        (s) => this.#setStatus(s),
        () => {},
      );
    }, 500);
  }

  #stopKeepalive(): void {
    clearInterval(this.#keepalive);
    this.#keepalive = undefined;
  }

  #setStatus(s: Status): void {
    this.#info.status = { ...s, receivedAt: new Date().toISOString() };
  }

  #set(state: SlotState, reason: string | null): void {
    const changed = this.#info.state !== state || this.#info.reason !== reason;
    this.#info.state = state;
    this.#info.reason = reason;
    if (state === 'empty' || state === 'waiting') {
      const keep = this.path;
      this.#info = { ...emptyInfo(keep), state, reason };
    }
    if (!changed) return;
    this.#info.since = new Date().toISOString();
    this.#d.bus.emit('dock.changed', {
      slot: this.path,
      serial: this.#info.serial,
      state,
      ...(reason ? { reason } : {}),
    });
  }
}

function mapValues<T extends Record<string, number>>(o: T, f: (n: number) => number): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)])) as T;
}

/** Which node a path is now: a re-plugged device or a new PTY link is a new inode. */
async function portIdentity(path: string): Promise<string | undefined> {
  try {
    const l = await lstat(path);
    const t = await stat(path);
    return `${l.ino}:${l.ctimeMs}:${t.rdev}:${t.ino}`;
  } catch {
    return undefined;
  }
}

function emptyInfo(slot: string): DockSlotInfo {
  return {
    slot,
    state: 'empty',
    reason: null,
    since: new Date().toISOString(),
    serial: null,
    model: null,
    firmware: null,
    version: null,
    status: null,
    clock: null,
    clips: [],
    current: null,
    disk: null,
  };
}
