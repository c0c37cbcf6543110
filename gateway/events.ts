/**
 * The typed event bus inside the gateway. Services publish facts; the API's live stream and other
 * services subscribe. A throwing listener is logged and cannot break the others (zigbee2mqtt style).
 */
import type { ClipMeta } from '../protocol/common.js';
import type { Telemetry } from '../protocol/mqtt/messages.js';
import type { Logger } from './log.js';
import type { SourceKind } from './store/schema.js';

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface Alert {
  id: string;
  /** UTC ISO time raised. */
  at: string;
  severity: AlertSeverity;
  /** Stable rule id, e.g. battery-low, interruption-unresumed, clip-overdue (R19, R22). */
  rule: string;
  /** Recorder serial, camera id, clip id... what the alert is about. */
  subject: string;
  message: string;
  /** Who must be told at once (R19: the principal). */
  notify: readonly string[];
  details?: Record<string, unknown>;
}

export interface GatewayEvents {
  'recorder.online': { serial: string; online: boolean; at: string };
  'recorder.telemetry': { serial: string; telemetry: Telemetry; receivedAt: string };
  'recorder.health': { serial: string };
  'recorder.rejected': { serial: string | null; topic: string; code: string; reason: string };
  'recorder.event': { serial: string; type: string; id: string; at: string };
  /** A clip closed in the field (MQTT segment-closed, de-duplicated): its 24 h clock starts (R22). */
  'recorder.segment': ClipMeta & { serial: string };
  /** R19 record opened; `device` is the recorder serial or camera id. */
  'interruption.opened': {
    id: string;
    source: SourceKind;
    device: string;
    cause: string;
    sessionId: string | null;
  };
  'interruption.updated': { id: string; status: string };
  'session.flagged': { serial: string; sessionId: string; flag: string };
  'alert.raised': Alert;
  'alert.cleared': { id: string; rule: string; subject: string };
  'dock.changed': { slot: string; serial: string | null; state: string; reason?: string };
  'ingest.progress': { clipId: string; serial: string; bytesDone: number; bytes: number };
  'clip.stored': { clipId: string; sha256: string; source: SourceKind };
  /** An original's copy in the central archive stored (checked on receipt) and locked, or newly held (R23). */
  'clip.archived': ArchivedClip;
  'pairing.changed': { serial: string; officerId: string | null };
  'camera.changed': { cameraId: string };
  'hearing.changed': { sessionId: string; roomId: string; state: string };
  'hearing.segment': { sessionId: string; clipId: string; bytes: number };
  /** An evidence export changed state or made progress (R23, R25). */
  'export.changed': { id: string; state: string; bytesDone?: number; bytesTotal?: number };
  /**
   * A stored original (or the log) is not what was recorded (R25). `audited`: the store already
   * wrote the `integrity-failure` entry (with the index change it made).
   */
  'integrity.failed': IntegrityFailure;
}

export interface ArchivedClip {
  clipId: string;
  bucket: string;
  key: string;
  versionId: string;
  sha256: string;
  bytes: number;
  retainUntil: string;
  legalHold: boolean;
  source: { kind: SourceKind; id: string };
  activity: string | null;
  /** Recording start and end, UTC ISO. */
  start: string;
  end: string;
}

export interface IntegrityFailure {
  kind: 'altered' | 'altered-held' | 'missing' | 'writable' | 'audit-chain' | 'store';
  /** `clip:<id>`, `audit:log`, `store:<root>`... one open alert per subject. */
  subject: string;
  message: string;
  /** How it was found: `serve`, `sweep`, `verify`... */
  detectedBy: string;
  details: Record<string, unknown>;
  audited: boolean;
}

export type EventName = keyof GatewayEvents;
type Listener<K extends EventName> = (payload: GatewayEvents[K]) => void;

export class EventBus {
  readonly #listeners = new Map<EventName, Set<Listener<never>>>();

  constructor(private readonly log?: Logger) {}

  on<K extends EventName>(name: K, fn: Listener<K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(fn as Listener<never>);
    return () => set.delete(fn as Listener<never>);
  }

  /** Subscribe to every event (the live stream). */
  onAny(fn: <K extends EventName>(name: K, payload: GatewayEvents[K]) => void): () => void {
    this.#any.add(fn);
    return () => this.#any.delete(fn);
  }

  /** Live subscribers to every event (the open live streams). */
  get anyListenerCount(): number {
    return this.#any.size;
  }

  readonly #any = new Set<<K extends EventName>(name: K, payload: GatewayEvents[K]) => void>();

  emit<K extends EventName>(name: K, payload: GatewayEvents[K]): void {
    const set = this.#listeners.get(name);
    if (set) {
      for (const fn of set) {
        try {
          (fn as Listener<K>)(payload);
        } catch (err) {
          this.log?.error({ err, event: name }, 'event listener failed');
        }
      }
    }
    for (const fn of this.#any) {
      try {
        fn(name, payload);
      } catch (err) {
        this.log?.error({ err, event: name }, 'event listener failed');
      }
    }
  }
}

/** A service wired by the composition root. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Stops services in the reverse of their start order; one that fails to stop does not keep the rest running. */
export async function stopServices(
  services: readonly Service[],
  log: { error(o: object, msg: string): void },
): Promise<void> {
  for (const s of [...services].reverse()) {
    try {
      await s.stop();
    } catch (err) {
      log.error({ err, service: s.name }, 'service stop failed');
    }
  }
}
