/**
 * The dock service (#4): dock slots follow the serial ports named in config (paths and globs,
 * hot-plug by watching the filesystem); each slot runs the dock link and the verified ingest.
 * Exposes per-slot state, pairing operations over the link (PAIR/UNPAIR), STATUS for readiness
 * forecasts, and the clock drift history per recorder.
 */
import { hostname } from 'node:os';
import type { Officer } from '../../protocol/common.js';
import type { Status } from '../../protocol/dock/index.js';
import type { DockBinding } from '../../protocol/dock/link/binding.js';
import { SerialPortBinding } from '../../protocol/dock/link/serialport-binding.js';
import type { AlertService } from '../alerts/service.js';
import type { GatewayConfig } from '../config.js';
import type { Db } from '../db.js';
import { GatewayError } from '../errors.js';
import type { EventBus, Service } from '../events.js';
import type { Logger } from '../log.js';
import type { ClipStore } from '../store/index.js';
import { DiskGuard, type FreeBytesSource } from './disk-guard.js';
import { PortWatcher } from './port-watcher.js';
import { DockSlot, type DockSlotInfo, type KnownRecorders } from './slot.js';
import { type ClockSample, TimeSync } from './time-sync.js';

export interface DockServiceOptions {
  config: GatewayConfig['dock'];
  db: Db;
  store: ClipStore;
  bus: EventBus;
  log: Logger;
  registry: KnownRecorders;
  alerts?: Pick<AlertService, 'raise' | 'clear'>;
  /** Port access; serialport by default, MemoryBinding in unit tests. */
  binding?: DockBinding;
  /** Where free disk space is read from (default: the store's filesystem). */
  freeBytes?: FreeBytesSource;
  /** Overrides config.checkpointBytes (unit tests use tiny clips). */
  checkpointBytes?: number;
  /** How often a paused ingest re-checks free space (ms). */
  diskPollMs?: number;
  /** Watch config.ports (default true); false: slots only through `addPort`. */
  watchPorts?: boolean;
  gatewayId?: string;
  /** Request timeout before a retransmission (ms; PROTOCOL.md §3.8 default). */
  timeoutMs?: number;
}

export class DockService implements Service {
  readonly name = 'dock';
  readonly disk: DiskGuard;
  readonly timeSync: TimeSync;
  readonly #o: DockServiceOptions;
  readonly #slots = new Map<string, DockSlot>();
  readonly #binding: DockBinding;
  readonly #watcher: PortWatcher | undefined;
  #started = false;

  constructor(opts: DockServiceOptions) {
    this.#o = opts;
    this.#binding = opts.binding ?? new SerialPortBinding();
    this.disk = new DiskGuard({
      freeBytes: opts.freeBytes ?? (() => opts.store.disk.freeBytes()),
      reserveBytes: opts.config.reserveBytes,
      reclaim: async (bytes) => opts.store.disk.reclaim(bytes),
      log: opts.log,
      ...(opts.alerts ? { alerts: opts.alerts } : {}),
      ...(opts.diskPollMs ? { pollMs: opts.diskPollMs } : {}),
    });
    this.timeSync = new TimeSync({ db: opts.db, audit: () => opts.store.audit });
    if (opts.watchPorts !== false && opts.config.ports.length > 0) {
      this.#watcher = new PortWatcher({
        patterns: opts.config.ports,
        onAdded: (p) => this.addPort(p),
        onRemoved: (p) => void this.removePort(p),
      });
    }
  }

  async start(): Promise<void> {
    this.#started = true;
    for (const s of this.#slots.values()) s.start();
    await this.#watcher?.start();
  }

  async stop(): Promise<void> {
    this.#started = false;
    await this.#watcher?.stop();
    await Promise.all([...this.#slots.values()].map((s) => s.stop()));
    this.#slots.clear();
  }

  /** A port appeared (hot-plug, or a test's in-memory pair). */
  addPort(path: string): DockSlot {
    let slot = this.#slots.get(path);
    if (slot) return slot;
    const o = this.#o;
    slot = new DockSlot(path, {
      binding: this.#binding,
      config: o.config,
      store: o.store,
      disk: this.disk,
      timeSync: this.timeSync,
      registry: o.registry,
      bus: o.bus,
      log: o.log,
      ...(o.alerts ? { alerts: o.alerts } : {}),
      gatewayId: o.gatewayId ?? gatewayIdFor(hostname()),
      checkpointBytes: o.checkpointBytes ?? o.config.checkpointBytes,
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    });
    this.#slots.set(path, slot);
    o.log.info({ slot: path }, 'dock slot added');
    if (this.#started) slot.start();
    return slot;
  }

  /** The port went away (unplugged dock, removed PTY). */
  async removePort(path: string): Promise<void> {
    const slot = this.#slots.get(path);
    if (!slot) return;
    this.#slots.delete(path);
    await slot.stop();
    this.#o.log.info({ slot: path }, 'dock slot removed');
    this.#o.bus.emit('dock.changed', { slot: path, serial: null, state: 'removed' });
  }

  list(): DockSlotInfo[] {
    return [...this.#slots.values()].map((s) => s.info()).sort((a, b) => a.slot.localeCompare(b.slot));
  }

  slot(path: string): DockSlot | undefined {
    return this.#slots.get(path);
  }

  /** The slot a recorder sits in now. */
  slotFor(serial: string): DockSlot | undefined {
    for (const s of this.#slots.values()) if (s.serial === serial && s.state !== 'refused') return s;
    return undefined;
  }

  #docked(serial: string): DockSlot {
    const s = this.slotFor(serial);
    if (!s) throw new GatewayError('NOT_DOCKED', `recorder ${serial} is not in a dock`, { serial });
    return s;
  }

  /** PAIR over the link: the recorder stamps every later clip with this officer. */
  async pair(serial: string, officer: Officer): Promise<Status> {
    return this.#docked(serial).pair(officer);
  }

  /** UNPAIR over the link. */
  async unpair(serial: string): Promise<Status> {
    return this.#docked(serial).unpair();
  }

  /** Fresh STATUS of a docked recorder (battery, storage, officer, pending clips). */
  async status(serial: string): Promise<Status> {
    return this.#docked(serial).refreshStatus();
  }

  clockHistory(serial: string, limit?: number): Promise<ClockSample[]> {
    return this.timeSync.history(serial, limit);
  }
}

function gatewayIdFor(host: string): string {
  const id = `gw-${host.replace(/[^A-Za-z0-9._:-]/g, '-')}`;
  return id.slice(0, 64);
}
