/**
 * The recorder firmware: states, sessions, segments, markers and the event log, on top of the
 * hardware hooks. It knows nothing of MQTT or the dock; links (`MqttLink`, later the dock link)
 * drive it through its methods and listen to its events.
 *
 * A session is one enforcement activity from arrival to departure (R18), recorded as consecutive
 * segments with no gap between them. Recording stops for a cause (R19); a resume after an
 * interruption carries a resume-statement marker unless the officer omits it.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import type {
  Activity,
  ClipMarker,
  Marker,
  Officer,
  RecorderState,
  StopCause,
} from '../../protocol/common.js';
import type { RecorderEvent, Telemetry } from '../../protocol/mqtt/messages.js';
import { PROTOCOL_VERSION } from '../../protocol/mqtt/messages.js';
import type { TimerHandle } from '../clock.js';
import type { ClipRecord } from './clip-record.js';
import { DeviceSimError } from './errors.js';
import type { RecorderHardware } from './hardware.js';
import { type EventBody, EventOutbox } from './outbox.js';
import { RecorderProfile, type RecorderProfileInput } from './profile.js';

export interface RecorderOptions {
  serial: string;
  hardware: RecorderHardware;
  profile?: RecorderProfileInput;
  /** Distinguishes this run's ids from an earlier run's (default: random). */
  instanceId?: string;
  /** First event seq (a real device keeps its counter in flash). */
  seqStart?: number;
  initialState?: 'off' | 'idle' | 'docked';
  logger?: Logger;
}

export interface SessionInfo {
  sessionId: string;
  activity?: Activity;
  caseNo?: string;
  officerId?: string;
  startedAt: number;
  /** Why recording last stopped within this session, while it is stopped. */
  stoppedFor?: StopCause;
  segments: number;
}

/** Causes after which the device itself cannot go on (R19: report to the principal at once). */
const CANNOT_CONTINUE: ReadonlySet<StopCause> = new Set(['battery', 'storage', 'fault']);

interface OpenSegment {
  clipId: string;
  start: number;
  markers: ClipMarker[];
}

export interface RecorderEvents {
  state: [RecorderState];
  /** Power went on (true) or off (false). */
  power: [boolean];
  /** An event entered the log, complete (a segment-closed once its clip is made). */
  event: [RecorderEvent];
  clip: [ClipRecord];
  locate: [number];
}

export class Recorder extends EventEmitter<RecorderEvents> {
  readonly serial: string;
  readonly profile: RecorderProfile;
  readonly hw: RecorderHardware;
  readonly outbox: EventOutbox;
  readonly instanceId: string;
  readonly log: Logger;

  private _state: RecorderState;
  private _officer: Officer | null = null;
  private _session: SessionInfo | null = null;
  private segment: OpenSegment | null = null;
  /** Markers made while not recording, carried into the next segment. */
  private pendingMarkers: ClipMarker[] = [];
  private readonly clipRecords = new Map<string, ClipRecord>();
  /** Storage each clip takes on the device (bitrate x duration). */
  private readonly storedBytes = new Map<string, number>();
  private readonly producing = new Set<Promise<unknown>>();
  private sessionCount = 0;
  private clipCount = 0;
  private segmentTimer: TimerHandle | undefined;
  private pollTimer: TimerHandle | undefined;
  private running = false;
  private faultCode: string | null = null;
  segmentSeconds: number;
  telemetryIntervalS: number;
  locateUntil = 0;

  constructor(opts: RecorderOptions) {
    super();
    this.serial = opts.serial;
    this.profile = RecorderProfile.parse(opts.profile ?? {});
    this.hw = opts.hardware;
    this.instanceId = opts.instanceId ?? randomBytes(4).toString('hex');
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ serial: this.serial });
    this.outbox = new EventOutbox({
      idPrefix: `${this.instanceId}`,
      capacity: this.profile.outboxCapacity,
      seqStart: opts.seqStart,
    });
    this.outbox.on('event', (e) => this.emit('event', e));
    this.outbox.on('dropped', (e) => this.log.warn({ id: e?.id }, 'outbox full: oldest event dropped'));
    this.segmentSeconds = this.profile.segmentSeconds;
    this.telemetryIntervalS = this.profile.telemetryIntervalS;
    this._state = opts.initialState ?? 'idle';
    this.hw.setState(this._state);
  }

  get state(): RecorderState {
    return this._state;
  }

  get powered(): boolean {
    return this._state !== 'off';
  }

  get officer(): Officer | null {
    return this._officer;
  }

  get session(): Readonly<SessionInfo> | null {
    return this._session;
  }

  get recording(): boolean {
    return this._state === 'recording';
  }

  get fault(): string | null {
    return this.faultCode;
  }

  /** Starts the firmware's poll loop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedulePoll();
  }

  /** Stops all timers; the state stays as it is. */
  stop(): void {
    this.running = false;
    this.hw.clock.clearTimer(this.pollTimer);
    this.hw.clock.clearTimer(this.segmentTimer);
    this.pollTimer = undefined;
    this.segmentTimer = undefined;
  }

  deviceNow(): number {
    return this.hw.deviceClock.now();
  }

  // ---- officer actions -------------------------------------------------------------------

  powerOn(): void {
    if (this._state !== 'off') return;
    if (this.hw.battery().pct <= this.profile.battery.criticalPct) {
      throw new DeviceSimError('BAD_STATE', `${this.serial}: battery empty, cannot power on`);
    }
    this.setState('idle');
    this.emit('power', true);
  }

  powerOff(): void {
    if (this._state === 'off') return;
    if (this._state === 'recording') this.haltRecording('normal');
    this.setState('off');
    this.emit('power', false);
  }

  startSession(opts: { activity?: Activity; caseNo?: string } = {}): SessionInfo {
    this.require(this._state === 'idle', 'start a session', 'idle');
    if (this._session) {
      throw new DeviceSimError('BAD_STATE', `${this.serial}: session ${this._session.sessionId} still open`);
    }
    this.checkCanRecord();
    this.sessionCount++;
    const s: SessionInfo = {
      sessionId: `${this.serial}-S${this.instanceId}-${this.sessionCount}`,
      activity: opts.activity,
      caseNo: opts.caseNo,
      officerId: this._officer?.id,
      startedAt: this.deviceNow(),
      segments: 0,
    };
    this._session = s;
    this.record({
      type: 'session-started',
      sessionId: s.sessionId,
      ...(s.activity ? { activity: s.activity } : {}),
      ...(s.caseNo ? { caseNo: s.caseNo } : {}),
      ...(s.officerId ? { officerId: s.officerId } : {}),
    });
    this.beginRecording();
    return s;
  }

  /** R16 notice-given, R17 statement, R19 resume-statement. */
  marker(marker: Marker, note?: string): void {
    const s = this.requireSession();
    const at = this.deviceNow();
    const m: ClipMarker = { marker, at, ...(note ? { note } : {}) };
    if (this.segment) this.segment.markers.push(m);
    else this.pendingMarkers.push(m);
    this.record({ type: 'marker', sessionId: s.sessionId, marker, ...(note ? { note } : {}) }, at);
  }

  /** The officer stops recording within the session, for a cause (R19). */
  stopRecording(cause: StopCause): void {
    this.require(this._state === 'recording', 'stop recording', 'recording');
    this.haltRecording(cause);
  }

  /** Recording goes on in the same session; after an interruption, with a resume statement (R19). */
  resume(opts: { statement?: boolean; note?: string } = {}): void {
    const s = this.requireSession();
    this.require(this._state === 'idle', 'resume', 'idle');
    this.checkCanRecord();
    const after = s.stoppedFor;
    this.beginRecording();
    if ((opts.statement ?? true) && after && after !== 'normal') {
      this.marker('resume-statement', opts.note ?? `resumed after ${after}`);
    }
  }

  /** Departure from the scene (R18): the session closes. */
  endSession(): void {
    const s = this.requireSession();
    if (this._state === 'recording') this.haltRecording('normal');
    this.record({ type: 'session-ended', sessionId: s.sessionId });
    this._session = null;
    this.pendingMarkers = [];
  }

  raiseFault(code: string, message: string): void {
    if (this._state === 'off') throw new DeviceSimError('BAD_STATE', `${this.serial}: off`);
    this.faultCode = code;
    this.record({ type: 'fault-raised', code, message });
    if (this._state === 'recording') this.haltRecording('fault', 'fault');
    else this.setState('fault');
  }

  clearFault(): void {
    this.require(this._state === 'fault', 'clear a fault', 'fault');
    const code = this.faultCode ?? 'unknown';
    this.faultCode = null;
    this.setState('idle');
    this.record({ type: 'fault-cleared', code });
  }

  /** Put in the dock: an open session ends, the battery charges, power comes on if it was off. */
  dock(): void {
    if (this._state === 'docked') return;
    const wasOff = this._state === 'off';
    if (this._session) {
      if (wasOff) this.setState('idle'); // the dock powers the device so it can close the session
      this.endSession();
    }
    this.setState('docked');
    if (wasOff) this.emit('power', true);
  }

  undock(): void {
    this.require(this._state === 'docked', 'undock', 'docked');
    this.setState('idle');
  }

  /** Check-out to an officer (R21) or back to nobody. */
  pair(officer: Officer | null): void {
    this._officer = officer;
  }

  /** Sets the device clock to the gateway's time; returns the device time just before. */
  syncTime(gatewayTime: number): number {
    const before = this.deviceNow();
    this.hw.deviceClock.set(gatewayTime);
    this.log.debug({ before, gatewayTime }, 'clock set');
    return before;
  }

  locate(seconds: number): void {
    this.locateUntil = this.deviceNow() + seconds * 1000;
    this.emit('locate', seconds);
  }

  configure(c: { segmentSeconds?: number; telemetryIntervalS?: number; officer?: Officer | null }): void {
    if (c.segmentSeconds !== undefined) this.segmentSeconds = c.segmentSeconds;
    if (c.telemetryIntervalS !== undefined) this.telemetryIntervalS = c.telemetryIntervalS;
    if (c.officer !== undefined) this.pair(c.officer);
  }

  // ---- readings ---------------------------------------------------------------------------

  telemetry(): Telemetry {
    const t: Telemetry = {
      v: PROTOCOL_VERSION,
      at: this.deviceNow(),
      state: this._state,
      battery: this.hw.battery(),
      storage: this.hw.storage(),
      firmware: this.profile.firmware,
    };
    if (this._state !== 'docked' && this._state !== 'off') {
      const p = this.hw.position();
      if (p) t.position = p;
      const s = this.hw.signalDbm();
      if (s !== undefined) t.signalDbm = s;
    }
    if (this._session) t.sessionId = this._session.sessionId;
    return t;
  }

  /** Clips on the device, oldest first (for the dock side). */
  clips(): ClipRecord[] {
    return [...this.clipRecords.values()];
  }

  readClip(clipId: string, offset: number, length: number): Promise<Buffer> {
    this.clipRecord(clipId);
    return this.hw.clips.read(clipId, offset, length);
  }

  /** Frees a clip's storage; the gateway asks for this only after verifying its hash (R22). */
  async releaseClip(clipId: string): Promise<void> {
    const rec = this.clipRecord(clipId);
    this.clipRecords.delete(clipId);
    this.hw.releaseClip(this.storedBytes.get(clipId) ?? rec.bytes);
    this.storedBytes.delete(clipId);
    await this.hw.clips.release(clipId);
  }

  /** Resolves when every segment's content has been made and logged. */
  async settled(): Promise<void> {
    while (this.producing.size > 0) await Promise.allSettled([...this.producing]);
  }

  // ---- internals --------------------------------------------------------------------------

  private setState(s: RecorderState): void {
    if (s === this._state) return;
    this._state = s;
    this.hw.setState(s);
    this.emit('state', s);
  }

  private record(body: EventBody, at = this.deviceNow()): void {
    this.outbox.add(at, body);
  }

  private beginRecording(): void {
    const s = this._session!;
    s.stoppedFor = undefined;
    this.setState('recording');
    this.record({ type: 'recording-started', sessionId: s.sessionId });
    this.openSegment();
  }

  private openSegment(): void {
    const s = this._session!;
    this.clipCount++;
    s.segments++;
    this.segment = {
      clipId: `${this.serial}-C${this.instanceId}-${this.clipCount}`,
      start: this.deviceNow(),
      markers: this.pendingMarkers,
    };
    this.pendingMarkers = [];
    this.hw.beginSegment();
    this.segmentTimer = this.hw.clock.setTimer(() => this.rollSegment(), this.segmentSeconds * 1000);
  }

  private rollSegment(): void {
    this.segmentTimer = undefined;
    if (this._state !== 'recording') return;
    this.closeSegment();
    this.openSegment();
  }

  private closeSegment(): void {
    const seg = this.segment;
    const s = this._session;
    if (!seg || !s) return;
    this.hw.clock.clearTimer(this.segmentTimer);
    this.segmentTimer = undefined;
    this.segment = null;
    const end = this.deviceNow();
    const nominal = this.hw.endSegment();
    if (end <= seg.start && seg.markers.length === 0) {
      // A segment that closed the instant it opened holds nothing: no clip.
      s.segments--;
      return;
    }
    this.hw.commitClip(nominal);
    const base = {
      clipId: seg.clipId,
      sessionId: s.sessionId,
      start: seg.start,
      end: Math.max(end, seg.start),
    };
    const officer = this._officer ?? undefined;
    const made = this.hw.clips.produce({ ...base, nominalBytes: nominal }).then((c) => {
      // Storage counts what the sensor wrote at the bitrate; the content served may be a smaller
      // stand-in (an ffmpeg test clip, a capped synthetic clip). Metadata describes the content.
      this.storedBytes.set(seg.clipId, nominal);
      const rec: ClipRecord = {
        ...base,
        bytes: c.bytes,
        sha256: c.sha256,
        mediaType: c.mediaType,
        markers: seg.markers,
        ...(officer ? { officer } : {}),
        ...(s.activity ? { activity: s.activity } : {}),
        ...(s.caseNo ? { caseNo: s.caseNo } : {}),
      };
      this.clipRecords.set(rec.clipId, rec);
      this.emit('clip', rec);
      const body: EventBody = { type: 'segment-closed', ...base, bytes: c.bytes, sha256: c.sha256 };
      return body;
    });
    // Failure is reported through the outbox (fault-raised below); here only completion matters.
    const tracked: Promise<unknown> = made
      .catch(() => undefined)
      .finally(() => this.producing.delete(tracked));
    this.producing.add(tracked);
    this.outbox.add(end, made, (err) => {
      this.hw.releaseClip(nominal);
      this.log.error({ err, clipId: seg.clipId }, 'clip could not be written');
      return {
        type: 'fault-raised',
        code: 'CLIP_WRITE',
        message: `clip ${seg.clipId}: ${String(err)}`.slice(0, 200),
      };
    });
  }

  private haltRecording(cause: StopCause, next: RecorderState = 'idle'): void {
    const s = this._session!;
    this.closeSegment();
    s.stoppedFor = cause;
    this.setState(next);
    this.record({
      type: 'recording-stopped',
      sessionId: s.sessionId,
      cause,
      canContinue: !CANNOT_CONTINUE.has(cause),
    });
  }

  private schedulePoll(): void {
    if (!this.running) return;
    this.pollTimer = this.hw.clock.setTimer(() => {
      try {
        this.poll();
      } catch (err) {
        this.log.error({ err }, 'poll failed');
      }
      this.schedulePoll();
    }, this.profile.pollSeconds * 1000);
  }

  /** The firmware watches battery and storage (R19: it stops in order before it is forced to). */
  poll(): void {
    if (this._state === 'off' || this._state === 'docked') return;
    const b = this.hw.battery();
    if (b.pct <= this.profile.battery.criticalPct) {
      this.log.info({ pct: b.pct }, 'battery exhausted: shutting down');
      if (this._state === 'recording') this.haltRecording('battery', 'off');
      else this.setState('off');
      this.emit('power', false);
      return;
    }
    if (this._state === 'recording' && this.hw.storage().freeBytes <= 0) {
      this.log.info('storage full: recording stopped');
      this.haltRecording('storage');
    }
  }

  private checkCanRecord(): void {
    if (this.hw.battery().pct <= this.profile.battery.criticalPct) {
      throw new DeviceSimError('BAD_STATE', `${this.serial}: battery too low to record`);
    }
    if (this.hw.storage().freeBytes <= 0) {
      throw new DeviceSimError('BAD_STATE', `${this.serial}: storage full`);
    }
  }

  private require(ok: boolean, what: string, want: RecorderState): void {
    if (!ok)
      throw new DeviceSimError(
        'BAD_STATE',
        `${this.serial}: cannot ${what} while ${this._state} (needs ${want})`,
      );
  }

  private requireSession(): SessionInfo {
    if (!this._session) throw new DeviceSimError('NO_SESSION', `${this.serial}: no session open`);
    return this._session;
  }

  private clipRecord(clipId: string): ClipRecord {
    const rec = this.clipRecords.get(clipId);
    if (!rec) throw new DeviceSimError('UNKNOWN_CLIP', `${this.serial}: no clip ${clipId}`);
    return rec;
  }
}
