/**
 * Pairing (#4 "Pairing at shift start (check-out) and check-in", R5, R21): an officer takes a docked,
 * ready recorder; the gateway forecasts whether battery and storage last the shift, writes the
 * officer's identity to the recorder over the dock link (PAIR) so every clip carries it, and logs
 * the assignment. Docking after the shift uploads every clip (the dock slot does that) and then the
 * gateway unpairs (UNPAIR) and logs the check-in. Assignments are kept per recorder and per officer
 * and answer "who had recorder X at time T" for interruption records (R19) and clips (R3).
 *
 * LevelDB sublevel `pairing`: asg <id> -> Assignment; active <serial> -> id;
 * rec <serial>!<pairedAt>!<id> -> id; off <officerId>!<pairedAt>!<id> -> id. Every change is one
 * batch committed together with its audit entry.
 */
import type { Officer } from '../../protocol/common.js';
import type { Status } from '../../protocol/dock/index.js';
import type { AlertService } from '../alerts/service.js';
import type { GatewayConfig } from '../config.js';
import { type Db, SYNCED, timeSortableId } from '../db.js';
import { DockLinkError } from '../dock/errors.js';
import type { DockSlotInfo, SlotState } from '../dock/slot.js';
import { GatewayError } from '../errors.js';
import type { EventBus, GatewayEvents, Service } from '../events.js';
import type { Logger } from '../log.js';
import type { AuditLog } from '../store/audit-log.js';
import type { ClipIndex } from '../store/clip-index.js';
import { AFTER_SEP, type BatchOp, jsonSub, keyPart, pad, SEP, type Sub } from '../store/keys.js';
import { KeyedMutex } from '../store/mutex.js';
import { isPending } from '../store/records.js';
import { type Assignment, type CheckInTrigger, NOT_YET_BACK, type PairBody } from './assignment.js';
import { type LostBody, type LostRecorder, lostAlertMessage, RULE_RECORDER_LOST } from './lost.js';
import { forecastReadiness, hoursToMs, type Readiness, shiftDraw } from './readiness.js';

/** What pairing needs of the dock service (DockService has all of it). */
export interface PairingDocks {
  list(): DockSlotInfo[];
  slotFor(serial: string): { path: string; state: SlotState; info(): DockSlotInfo } | undefined;
  pair(serial: string, officer: Officer): Promise<Status>;
  unpair(serial: string): Promise<Status>;
  status(serial: string): Promise<Status>;
}

export interface PairingServiceOptions {
  db: Db;
  bus: EventBus;
  log: Logger;
  docks: PairingDocks;
  /** The store's audit log (a getter: it opens when the store starts). */
  audit: () => AuditLog;
  config: Pick<GatewayConfig['dock'], 'batteryDrawPctPerH' | 'recordBytesPerH'> &
    Pick<GatewayConfig['fleet'], 'shiftHours'>;
  /** Battery draw (%/h) the fleet measured from field telemetry, if positive and known. */
  fieldDraw?: (serial: string) => number | null | undefined;
  /** The principal is told when a recorder is reported lost. */
  alerts?: Pick<AlertService, 'raise' | 'clear'>;
  /** The clip index: which of a lost recorder's clips are not yet on the designated storage (R22). */
  clips?: Pick<ClipIndex, 'listByRecorder'>;
  now?: () => number;
}

export interface PairResult {
  assignment: Assignment;
  readiness: Readiness;
  /** Non-empty when the forecast was short and the caller overrode it. */
  warnings: string[];
}

/** A docked recorder as the officer at the dock sees it (GET /api/pairings/docked). */
export interface DockedRecorder {
  slot: string;
  serial: string;
  state: SlotState;
  reason: string | null;
  batteryPct: number | null;
  charging: boolean;
  /** Forecast time left (ms) for the battery and the storage; null without a STATUS yet. */
  batteryLeftMs: number | null;
  storageLeftMs: number | null;
  shiftMs: number;
  /** Docked, uploads done, forecast lasts the shift, nobody has it: take it. */
  ready: boolean;
  /** The officer it is checked out to (or the one the recorder reports, if the gateway has none). */
  officer: Officer | null;
  readiness: Readiness | null;
  assignment: { id: string; pairedAt: number; pairedBy: string } | null;
  uploads: {
    total: number;
    done: number;
    current: { clipId: string; bytesDone: number; bytes: number } | null;
  };
}

const GONE: ReadonlySet<string> = new Set(['empty', 'waiting', 'removed']);
/** Dock states of an accepted recorder (it is physically back). */
const ACCEPTED: ReadonlySet<string> = new Set(['syncing', 'listing', 'uploading', 'paused', 'ready']);

export class PairingService implements Service {
  readonly name = 'pairing';
  readonly #o: PairingServiceOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #asg: Sub<Assignment>;
  readonly #activeIdx: Sub<string>;
  readonly #byRecorder: Sub<string>;
  readonly #byOfficer: Sub<string>;
  readonly #lostSub: Sub<LostRecorder>;
  /** Recorders reported lost and not docked since (loaded at start; small). */
  readonly #lost = new Map<string, LostRecorder>();
  /** Active assignments by serial and officer id (loaded at start; small). */
  readonly #active = new Map<string, Assignment>();
  readonly #activeOfficer = new Map<string, string>();
  /** Which recorder sat in which slot: `dock.changed` for an emptied slot carries no serial. */
  readonly #slotSerial = new Map<string, string>();
  readonly #lock = new KeyedMutex();
  /** Found recorders whose uploads are not done yet (UNPAIR follows them). */
  readonly #foundIn = new Set<string>();
  #off: (() => void) | undefined;
  #tasks: Promise<void> = Promise.resolve();

  constructor(opts: PairingServiceOptions) {
    this.#o = opts;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    const root = jsonSub<unknown>(opts.db, 'pairing');
    this.#asg = jsonSub<Assignment>(root, 'asg');
    this.#activeIdx = jsonSub<string>(root, 'active');
    this.#byRecorder = jsonSub<string>(root, 'rec');
    this.#byOfficer = jsonSub<string>(root, 'off');
    this.#lostSub = jsonSub<LostRecorder>(root, 'lost');
  }

  async start(): Promise<void> {
    this.#active.clear();
    this.#activeOfficer.clear();
    for await (const id of this.#activeIdx.values()) {
      const a = await this.#asg.get(id);
      if (a && a.checkedInAt === null) this.#remember(a);
    }
    this.#lost.clear();
    for await (const [serial, l] of this.#lostSub.iterator()) this.#lost.set(serial, l);
    this.#off = this.#o.bus.on('dock.changed', (e) => this.#onDock(e));
  }

  async stop(): Promise<void> {
    this.#off?.();
    this.#off = undefined;
    await this.#tasks;
  }

  // ---- queries -----------------------------------------------------------------------------------

  active(): Assignment[] {
    return [...this.#active.values()].sort((a, b) => a.serial.localeCompare(b.serial));
  }

  activeFor(serial: string): Assignment | undefined {
    return this.#active.get(serial);
  }

  activeForOfficer(officerId: string): Assignment | undefined {
    const serial = this.#activeOfficer.get(officerId);
    return serial === undefined ? undefined : this.#active.get(serial);
  }

  async get(id: string): Promise<Assignment | undefined> {
    return this.#asg.get(id);
  }

  /** Assignments of a recorder, newest first (R21). */
  historyForRecorder(serial: string, limit = 100): Promise<Assignment[]> {
    return this.#history(this.#byRecorder, serial, limit);
  }

  /** Assignments of an officer, newest first (R5). */
  historyForOfficer(officerId: string, limit = 100): Promise<Assignment[]> {
    return this.#history(this.#byOfficer, officerId, limit);
  }

  /** Who had recorder `serial` at `at` (ms): the assignment covering that instant, if any. */
  async assignmentAt(serial: string, at: number): Promise<Assignment | undefined> {
    const p = keyPart(serial);
    const ids = await this.#byRecorder
      .values({ gte: `${p}${SEP}`, lte: `${p}${SEP}${pad(at)}${SEP}\uffff`, reverse: true, limit: 1 })
      .all();
    const a = ids[0] === undefined ? undefined : await this.#asg.get(ids[0]);
    if (!a || a.pairedAt > at) return undefined;
    return a.checkedInAt === null || at < a.checkedInAt ? a : undefined;
  }

  async officerAt(serial: string, at: number): Promise<Officer | null> {
    return (await this.assignmentAt(serial, at))?.officer ?? null;
  }

  /** The readiness forecast for a recorder's STATUS, with its own last-shift draw (R19). */
  async readiness(serial: string, status: Pick<Status, 'battery' | 'storage'>): Promise<Readiness> {
    const c = this.#o.config;
    const last = (await this.historyForRecorder(serial, 5)).find((a) => a.shiftDrawPctPerH !== null);
    const field = this.#o.fieldDraw?.(serial);
    return forecastReadiness({
      battery: status.battery,
      storage: status.storage,
      shiftHours: c.shiftHours,
      drawPctPerH: c.batteryDrawPctPerH,
      lastShiftDrawPctPerH: last?.shiftDrawPctPerH ?? null,
      fieldDrawPctPerH: field !== undefined && field !== null && field > 0 ? field : null,
      bytesPerHour: c.recordBytesPerH,
    });
  }

  /** Every docked recorder with its readiness for the shift and who has it. */
  async docked(): Promise<DockedRecorder[]> {
    const shiftMs = hoursToMs(this.#o.config.shiftHours);
    const out: DockedRecorder[] = [];
    for (const s of this.#o.docks.list()) {
      if (!s.serial) continue;
      const a = this.#active.get(s.serial);
      const readiness = s.status ? await this.readiness(s.serial, s.status) : null;
      const done = s.clips.filter((c) => c.result !== undefined).length;
      out.push({
        slot: s.slot,
        serial: s.serial,
        state: s.state,
        reason: s.reason,
        batteryPct: s.status?.battery.pct ?? null,
        charging: s.status?.battery.charging ?? false,
        batteryLeftMs: readiness ? hoursToMs(readiness.batteryHours) : null,
        storageLeftMs: readiness ? hoursToMs(readiness.storageHours) : null,
        shiftMs,
        ready: s.state === 'ready' && !a && readiness?.ok === true,
        officer: a?.officer ?? s.status?.officer ?? null,
        readiness,
        assignment: a ? { id: a.id, pairedAt: a.pairedAt, pairedBy: a.pairedBy } : null,
        uploads: { total: s.clips.length, done, current: s.current },
      });
    }
    return out;
  }

  // ---- check-out ---------------------------------------------------------------------------------

  /**
   * Check-out: refuses with READINESS_SHORT (and the numbers) when battery or storage would not last
   * the shift, unless `override.reason` is given (then warned and audited). One recorder per
   * officer and one officer per recorder at a time (ALREADY_PAIRED).
   */
  pair(input: PairBody, by: string): Promise<PairResult> {
    return this.#lock.run('pairing', async () => {
      const { serial, officer } = input;
      const mine = this.activeForOfficer(officer.id);
      if (mine) {
        throw new GatewayError(
          'ALREADY_PAIRED',
          `officer ${officer.id} already has recorder ${mine.serial} (since ${iso(mine.pairedAt)}); check it in first`,
          { officerId: officer.id, serial: mine.serial, assignmentId: mine.id, since: iso(mine.pairedAt) },
        );
      }
      const taken = this.#active.get(serial);
      if (taken) {
        throw new GatewayError(
          'ALREADY_PAIRED',
          `recorder ${serial} is checked out to ${taken.officer.name} (${taken.officer.certNo}) since ${iso(taken.pairedAt)}`,
          {
            serial,
            officerId: taken.officer.id,
            assignmentId: taken.id,
            since: iso(taken.pairedAt),
            reason: 'taken',
          },
        );
      }
      const slot = this.#o.docks.slotFor(serial);
      if (!slot) throw new GatewayError('NOT_DOCKED', `recorder ${serial} is not in a dock`, { serial });
      if (slot.state !== 'ready') {
        throw new GatewayError(
          'CONFLICT',
          `recorder ${serial} is not ready to take (dock state ${slot.state}${slot.info().reason ? `: ${slot.info().reason}` : ''}); wait until its uploads are done`,
          { serial, state: slot.state },
        );
      }
      const status = await dockCall(this.#o.docks.status(serial), `STATUS of ${serial}`);
      const readiness = await this.readiness(serial, status);
      const warnings: string[] = [];
      if (!readiness.ok) {
        const summary = `recorder ${serial} will not last the ${readiness.shiftHours} h shift: ${readiness.shortfalls.join('; ')}`;
        if (!input.override) {
          this.#log.warn({ serial, officer: officer.id, readiness }, 'check-out refused: readiness short');
          throw new GatewayError('READINESS_SHORT', summary, { serial, readiness });
        }
        warnings.push(summary);
        this.#log.warn(
          { serial, officer: officer.id, reason: input.override.reason, shortfalls: readiness.shortfalls },
          'check-out with a short forecast (override)',
        );
      }
      const after = await dockCall(this.#o.docks.pair(serial, officer), `PAIR ${serial}`);
      if (after.officer?.id !== officer.id) {
        throw new GatewayError(
          'INTERNAL',
          `recorder ${serial} did not take officer ${officer.id} (PAIR_ACK)`,
          {
            serial,
            reported: after.officer,
          },
        );
      }
      const now = this.#now();
      const a: Assignment = {
        id: timeSortableId(now),
        serial,
        officer,
        pairedAt: now,
        pairedBy: by,
        slot: slot.path,
        readiness,
        override: readiness.ok || !input.override ? null : { reason: input.override.reason },
        batteryOut: { pct: status.battery.pct, at: now },
        ...NOT_YET_BACK,
      };
      try {
        await this.#o.audit().append(
          {
            type: 'pairing',
            actor: by,
            subject: `recorder:${serial}`,
            details: {
              assignmentId: a.id,
              officer,
              slot: slot.path,
              shiftHours: readiness.shiftHours,
              readiness: {
                ok: readiness.ok,
                batteryPct: readiness.batteryPct,
                drawPctPerH: readiness.drawPctPerH,
                drawSource: readiness.drawSource,
                batteryHours: round2(readiness.batteryHours),
                freeBytes: readiness.freeBytes,
                storageHours: round2(readiness.storageHours),
                shortfalls: readiness.shortfalls,
                charging: readiness.charging,
                totalBytes: readiness.totalBytes,
                bytesPerHour: readiness.bytesPerHour,
              },
              override: a.override ? a.override.reason : null,
              // With the rest, the whole assignment: `gateway reindex` rebuilds it (admin/rebuild.ts).
              pairedAt: a.pairedAt,
              batteryOut: a.batteryOut,
            },
          },
          { ops: this.#ops(a, true), sync: true },
        );
      } catch (err) {
        // The gateway could not record it: the recorder must not carry an unrecorded assignment.
        await this.#o.docks.unpair(serial).catch((e: unknown) => {
          this.#log.error({ err: e, serial }, 'rollback UNPAIR failed');
        });
        throw err;
      }
      this.#remember(a);
      this.#log.info(
        { serial, officer: officer.id, by, override: a.override !== null },
        'recorder checked out',
      );
      this.#o.bus.emit('pairing.changed', { serial, officerId: officer.id });
      return { assignment: a, readiness, warnings };
    });
  }

  // ---- check-in ----------------------------------------------------------------------------------

  /**
   * Check-in: the recorder is docked and its uploads are done (slot `ready`); UNPAIR, then the
   * assignment is closed and audited. `trigger` dock = automatic after the shift's docking.
   */
  checkIn(serial: string, opts: { by: string; trigger: CheckInTrigger }): Promise<Assignment> {
    return this.#lock.run('pairing', async () => {
      const a = this.#active.get(serial);
      if (!a) throw new GatewayError('NOT_FOUND', `recorder ${serial} is not checked out`, { serial });
      const slot = this.#o.docks.slotFor(serial);
      if (!slot) throw new GatewayError('NOT_DOCKED', `recorder ${serial} is not in a dock`, { serial });
      const info = slot.info();
      if (slot.state !== 'ready') {
        throw new GatewayError(
          'CONFLICT',
          `recorder ${serial} has not finished uploading (dock state ${slot.state}); check-in follows the uploads`,
          { serial, state: slot.state },
        );
      }
      const after = await dockCall(this.#o.docks.unpair(serial), `UNPAIR ${serial}`);
      if (after.officer !== null) {
        throw new GatewayError(
          'INTERNAL',
          `recorder ${serial} still reports officer ${after.officer.id} after UNPAIR`,
        );
      }
      const now = this.#now();
      const verified = info.clips.filter((c) => c.result === 'verified').length;
      const quarantined = info.clips.filter((c) => c.result === 'quarantined').length;
      const back = a.batteryBack ?? (info.status ? { pct: info.status.battery.pct, at: now } : null);
      const done: Assignment = {
        ...a,
        batteryBack: back,
        shiftDrawPctPerH: back && a.leftDockAt !== null ? shiftDraw(a.batteryOut, back) : null,
        checkedInAt: now,
        checkedInBy: opts.by,
        checkIn: {
          trigger: opts.trigger,
          slot: slot.path,
          clips: { verified, quarantined, total: info.clips.length },
        },
      };
      await this.#o.audit().append(
        {
          type: 'check-in',
          actor: opts.by,
          subject: `recorder:${serial}`,
          details: {
            assignmentId: a.id,
            officer: a.officer,
            trigger: opts.trigger,
            slot: slot.path,
            pairedAt: iso(a.pairedAt),
            clips: done.checkIn!.clips,
            shiftDrawPctPerH: done.shiftDrawPctPerH === null ? null : round2(done.shiftDrawPctPerH),
          },
        },
        { ops: this.#ops(done, false), sync: true },
      );
      this.#forget(a);
      this.#log.info(
        { serial, officer: a.officer.id, trigger: opts.trigger, verified, quarantined },
        'recorder checked in',
      );
      this.#o.bus.emit('pairing.changed', { serial, officerId: null });
      return done;
    });
  }

  // ---- lost recorder ------------------------------------------------------------------------------

  /** Recorders reported lost and not docked since, newest first. */
  lost(): LostRecorder[] {
    return [...this.#lost.values()].sort((a, b) => b.at - a.at);
  }

  lostRecord(serial: string): LostRecorder | undefined {
    return this.#lost.get(serial);
  }

  /**
   * The equipment manager (or the principal) reports a recorder lost: its open assignment is closed
   * without a dock (the officer may take another recorder), the clips the gateway knows are still
   * on it are listed (their 24 h clock runs on and names officer and recorder, R22), the report is
   * audited (who, why) and the principal alerted. CONFLICT when it sits in a dock (check it in
   * instead) or is already reported; NOT_FOUND when it is not checked out and was never assigned.
   */
  markLost(serial: string, body: LostBody, by: string): Promise<LostRecorder> {
    return this.#lock.run('pairing', async () => {
      const reason = body.reason.trim();
      if (!reason) throw new GatewayError('BAD_REQUEST', 'a lost report needs a reason');
      if (this.#lost.has(serial)) {
        throw new GatewayError('CONFLICT', `recorder ${serial} is already reported lost`, { serial });
      }
      const slot = this.#o.docks.slotFor(serial);
      if (slot && !GONE.has(slot.state)) {
        throw new GatewayError(
          'CONFLICT',
          `recorder ${serial} is in dock ${slot.path} (state ${slot.state}): it is not lost; check it in instead`,
          { serial, slot: slot.path },
        );
      }
      const a = this.#active.get(serial);
      if (!a && (await this.historyForRecorder(serial, 1)).length === 0) {
        throw new GatewayError('NOT_FOUND', `recorder ${serial} was never checked out`, { serial });
      }
      const now = this.#now();
      const known = (await this.#o.clips?.listByRecorder(serial)) ?? [];
      const pendingClips = known
        .filter(isPending)
        .sort((x, y) => x.deadline - y.deadline)
        .map((c) => ({ clipId: c.clipId, end: c.end, deadline: c.deadline, state: c.state }));
      const record: LostRecorder = {
        serial,
        at: now,
        by,
        reason,
        assignmentId: a?.id ?? null,
        officer: a?.officer ?? null,
        pendingClips,
      };
      const ops: BatchOp[] = [
        { type: 'put', sublevel: this.#lostSub, key: serial, value: record } as BatchOp,
      ];
      let closed: Assignment | undefined;
      if (a) {
        closed = { ...a, checkedInAt: now, checkedInBy: by, lost: { at: now, by, reason } };
        ops.push(...this.#ops(closed, false));
      }
      await this.#o.audit().append(
        {
          type: 'recorder-lost',
          actor: by,
          subject: `recorder:${serial}`,
          details: {
            reason,
            assignmentId: record.assignmentId,
            officer: record.officer,
            pairedAt: a ? iso(a.pairedAt) : null,
            pendingClips: pendingClips.map((c) => c.clipId),
            earliestDeadline: pendingClips[0] ? iso(pendingClips[0].deadline) : null,
          },
        },
        { ops, sync: true },
      );
      this.#lost.set(serial, record);
      if (a) this.#forget(a);
      this.#log.warn(
        { serial, by, reason, officer: record.officer?.id, pending: pendingClips.length },
        'recorder reported lost',
      );
      await this.#o.alerts
        ?.raise({
          rule: RULE_RECORDER_LOST,
          subject: `recorder:${serial}`,
          severity: 'critical',
          message: lostAlertMessage(record),
          notify: ['principal', 'equipment-manager', 'legal-affairs'],
          details: {
            serial,
            officer: record.officer,
            reason,
            by,
            pendingClips: pendingClips.map((c) => c.clipId),
          },
        })
        .catch((err: unknown) => this.#log.error({ err, serial }, 'lost-recorder alert failed'));
      if (a) this.#o.bus.emit('pairing.changed', { serial, officerId: null });
      return record;
    });
  }

  /** A recorder reported lost docked again: un-marked (audited); the dock uploads its clips as usual. */
  async #found(serial: string, slot: string): Promise<void> {
    await this.#lock.run('pairing', async () => {
      const l = this.#lost.get(serial);
      if (!l) return;
      await this.#o.audit().append(
        {
          type: 'recorder-found',
          actor: `dock:${slot}`,
          subject: `recorder:${serial}`,
          details: { lostAt: iso(l.at), lostBy: l.by, reason: l.reason, assignmentId: l.assignmentId, slot },
        },
        { ops: [{ type: 'del', sublevel: this.#lostSub, key: serial } as BatchOp], sync: true },
      );
      this.#lost.delete(serial);
      this.#log.info({ serial, slot }, 'lost recorder docked again');
      await this.#o.alerts
        ?.clear(RULE_RECORDER_LOST, `recorder:${serial}`)
        .catch((err: unknown) => this.#log.error({ err, serial }, 'clearing lost-recorder alert failed'));
      this.#o.bus.emit('pairing.changed', { serial, officerId: null });
    });
  }

  /**
   * After a found recorder's uploads: it still stamps the officer of the closed assignment on new
   * clips; UNPAIR it (as a check-in would) unless someone has checked it out since.
   */
  async #unpairFound(serial: string): Promise<void> {
    if (this.#active.has(serial)) return;
    const info = this.#o.docks.slotFor(serial)?.info();
    if (!info?.status?.officer) return;
    await dockCall(this.#o.docks.unpair(serial), `UNPAIR ${serial}`);
    this.#log.info({ serial }, 'found recorder unpaired after its uploads');
  }

  // ---- dock events: leaving the dock, coming back, uploads done ----------------------------------

  #onDock(e: GatewayEvents['dock.changed']): void {
    if (e.serial) this.#slotSerial.set(e.slot, e.serial);
    if (GONE.has(e.state) && !e.serial) {
      const serial = this.#slotSerial.get(e.slot);
      this.#slotSerial.delete(e.slot);
      if (serial) this.#enqueue(() => this.#left(serial));
      return;
    }
    if (!e.serial) return;
    const serial = e.serial;
    if (this.#lost.has(serial) && ACCEPTED.has(e.state)) {
      const slot = e.slot;
      this.#enqueue(() => this.#found(serial, slot));
      this.#foundIn.add(serial);
    }
    if (e.state === 'uploading' || e.state === 'ready') this.#enqueue(() => this.#back(serial));
    if (e.state === 'ready') this.#enqueue(() => this.#maybeCheckIn(serial));
    if (e.state === 'ready' && this.#foundIn.delete(serial)) this.#enqueue(() => this.#unpairFound(serial));
  }

  #enqueue(task: () => Promise<void>): void {
    this.#tasks = this.#tasks.then(task).catch((err: unknown) => {
      this.#log.error({ err }, 'pairing dock handler failed');
    });
  }

  async #left(serial: string): Promise<void> {
    await this.#lock.run('pairing', async () => {
      const a = this.#active.get(serial);
      if (!a || a.leftDockAt !== null) return;
      const next = { ...a, leftDockAt: this.#now() };
      await this.#o.db.batch(this.#ops(next, true), SYNCED);
      this.#remember(next);
      this.#log.info({ serial, officer: a.officer.id }, 'checked-out recorder left the dock');
    });
  }

  /** The first STATUS after the shift: the battery level before the dock charges it up. */
  async #back(serial: string): Promise<void> {
    await this.#lock.run('pairing', async () => {
      const a = this.#active.get(serial);
      if (!a || a.batteryBack !== null || !this.#returned(a)) return;
      const status = this.#o.docks.slotFor(serial)?.info().status;
      if (!status) return;
      const next = { ...a, batteryBack: { pct: status.battery.pct, at: this.#now() } };
      await this.#o.db.batch(this.#ops(next, true), SYNCED);
      this.#remember(next);
    });
  }

  async #maybeCheckIn(serial: string): Promise<void> {
    const a = this.#active.get(serial);
    if (!a || !this.#returned(a)) return;
    const slot = this.#o.docks.slotFor(serial);
    await this.checkIn(serial, { by: slot ? `dock:${slot.path}` : 'gateway', trigger: 'dock' });
  }

  /**
   * Back from the shift: it left the dock after check-out, or (if the gateway missed the undocking,
   * e.g. it was down) the docking brought clips recorded by this officer since check-out.
   */
  #returned(a: Assignment): boolean {
    if (a.leftDockAt !== null) return true;
    const info = this.#o.docks.slotFor(a.serial)?.info();
    return info?.clips.some((c) => c.officerId === a.officer.id && c.start >= a.pairedAt) ?? false;
  }

  // ---- persistence -------------------------------------------------------------------------------

  /**
   * Puts an assignment rebuilt from the audit log unless the index has it (it is newer); an open
   * one becomes the recorder's active assignment only if the index names none.
   */
  async restore(a: Assignment): Promise<boolean> {
    if ((await this.#asg.get(a.id)) !== undefined) return false;
    const open = a.checkedInAt === null && (await this.#activeIdx.get(a.serial)) === undefined;
    const ops = this.#ops(a, open);
    await this.#o.db.batch(open ? ops : ops.slice(0, 3), SYNCED);
    if (open) this.#remember(a);
    return true;
  }

  #ops(a: Assignment, active: boolean): BatchOp[] {
    const t = pad(a.pairedAt);
    const ops: BatchOp[] = [
      { type: 'put', sublevel: this.#asg, key: a.id, value: a },
      {
        type: 'put',
        sublevel: this.#byRecorder,
        key: `${keyPart(a.serial)}${SEP}${t}${SEP}${a.id}`,
        value: a.id,
      },
      {
        type: 'put',
        sublevel: this.#byOfficer,
        key: `${keyPart(a.officer.id)}${SEP}${t}${SEP}${a.id}`,
        value: a.id,
      },
    ];
    ops.push(
      active
        ? { type: 'put', sublevel: this.#activeIdx, key: a.serial, value: a.id }
        : { type: 'del', sublevel: this.#activeIdx, key: a.serial },
    );
    return ops as BatchOp[];
  }

  #remember(a: Assignment): void {
    this.#active.set(a.serial, a);
    this.#activeOfficer.set(a.officer.id, a.serial);
  }

  #forget(a: Assignment): void {
    this.#active.delete(a.serial);
    if (this.#activeOfficer.get(a.officer.id) === a.serial) this.#activeOfficer.delete(a.officer.id);
  }

  async #history(index: Sub<string>, key: string, limit: number): Promise<Assignment[]> {
    const p = keyPart(key);
    const ids = await index.values({ gte: `${p}${SEP}`, lt: `${p}${AFTER_SEP}`, reverse: true, limit }).all();
    const all = await this.#asg.getMany(ids);
    return all.filter((a): a is Assignment => a !== undefined);
  }
}

/** Dock link failures become typed gateway errors (the API shows them; the service keeps running). */
async function dockCall<T>(p: Promise<T>, what: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof DockLinkError) {
      const remote = err.code === 'REMOTE_ERROR';
      throw new GatewayError(
        remote ? 'CONFLICT' : 'RECORDER_OFFLINE',
        `${what}: ${remote ? `recorder answered ${err.remoteName}: ` : ''}${err.message}`,
        { link: err.code, ...(err.remoteName ? { remote: err.remoteName } : {}) },
      );
    }
    throw err;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function round2(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : x;
}
