/**
 * Dock test fixture: a real store and DB in a temp dir, the dock service over the in-memory
 * binding (or serialport), alerts, and simulated recorders docked on the other end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { type RecorderWithClipsSpec, recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { type DockFaults, RecorderDock } from '../../device-sim/recorder/dock-link.js';
import type { Recorder } from '../../device-sim/recorder/recorder.js';
import { AlertService } from '../../gateway/alerts/service.js';
import { DockConfig } from '../../gateway/config.js';
import { type Db, openDb } from '../../gateway/db.js';
import { DockService, type DockServiceOptions } from '../../gateway/dock/service.js';
import { EventBus, type GatewayEvents } from '../../gateway/events.js';
import { createLogger } from '../../gateway/log.js';
import { ClipStore } from '../../gateway/store/index.js';
import type { DockBinding } from '../../protocol/dock/link/binding.js';
import { MemoryBinding } from '../../protocol/dock/link/memory-binding.js';

export interface DockFixture {
  dir: string;
  db: Db;
  store: ClipStore;
  bus: EventBus;
  alerts: AlertService;
  docks: DockService;
  binding: MemoryBinding;
  known: Set<string>;
  changes: GatewayEvents['dock.changed'][];
  /** Docks a recorder with clips on a new in-memory slot. */
  dock(
    spec: RecorderWithClipsSpec,
    opts?: { path?: string; faults?: DockFaults },
  ): Promise<{ recorder: Recorder; device: RecorderDock; path: string }>;
  close(): Promise<void>;
}

let slots = 0;

export async function dockFixture(
  opts: {
    config?: z.input<typeof DockConfig>;
    service?: Partial<DockServiceOptions>;
    binding?: DockBinding;
  } = {},
): Promise<DockFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'dock-test-'));
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
  const db = await openDb(join(dir, 'index'));
  const bus = new EventBus(log);
  const store = await ClipStore.open({ root: join(dir, 'store'), db, bus, log });
  const alerts = new AlertService({ db, bus, log });
  await alerts.start();
  const binding = new MemoryBinding();
  const known = new Set<string>();
  const changes: GatewayEvents['dock.changed'][] = [];
  bus.on('dock.changed', (e) => changes.push(e));
  const docks = new DockService({
    config: DockConfig.parse({ ports: [], reserveBytes: 0, readWindow: 4, chunkBytes: 4096, ...opts.config }),
    db,
    store,
    bus,
    log,
    alerts,
    registry: { isKnown: (s) => known.has(s) },
    binding: opts.binding ?? binding,
    watchPorts: false,
    checkpointBytes: 16 * 1024,
    diskPollMs: 20,
    freeBytes: async () => 1e15,
    ...opts.service,
  });
  await docks.start();
  const devices: RecorderDock[] = [];
  return {
    dir,
    db,
    store,
    bus,
    alerts,
    docks,
    binding,
    known,
    changes,
    async dock(spec, o = {}) {
      const { recorder } = await recorderWithClips(spec);
      const path = o.path ?? `mem-dock${++slots}`;
      const port = binding.pair(path);
      docks.addPort(path);
      const device = new RecorderDock({
        recorder,
        port,
        helloRetryMs: 100,
        ...(o.faults ? { faults: o.faults } : {}),
      });
      devices.push(device);
      device.start();
      return { recorder, device, path };
    },
    async close() {
      for (const d of devices) await d.stop();
      await docks.stop();
      await alerts.stop();
      await store.stop();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const officer = { id: 'P1024', name: '李明', certNo: 'GD-2024-00123' };
