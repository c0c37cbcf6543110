/**
 * The real gateway with its dock watcher on a temp dir, and PTY "cables" (socat pairs, serialport
 * on both ends) to seat simulated recorders on. Registers its own beforeAll/afterAll.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { createPtyPair, type PtyPair } from '../../device-sim/pty.js';
import {
  type DockFaults,
  dockOnSerialPort,
  type RecorderDock,
  type RecorderDockOptions,
} from '../../device-sim/recorder/dock-link.js';
import type { Recorder } from '../../device-sim/recorder/recorder.js';
import type { DockSlotInfo, SlotState } from '../../gateway/dock/slot.js';
import type { Role } from '../../gateway/roles.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

export interface PtyDockHarness {
  readonly gw: TestGateway;
  readonly api: ApiClient;
  readonly dir: string;
  register(serial: string): Promise<void>;
  /** A new cable: a PTY pair whose gateway end the dock watcher picks up. */
  plug(name?: string): Promise<{ pair: PtyPair; slot: string }>;
  seat(
    recorder: Recorder,
    pair: PtyPair,
    opts?: { faults?: DockFaults } & Omit<RecorderDockOptions, 'recorder' | 'port' | 'faults'>,
  ): Promise<RecorderDock>;
  /** Polls GET /api/docks until the slot is in `state`. */
  apiState(slot: string, state: SlotState): Promise<DockSlotInfo>;
  /** Polls GET /api/docks until the slot is gone or empty (the cable was pulled). */
  apiGone(slot: string): Promise<void>;
}

export function ptyDockHarness(prefix: string, role: Role): PtyDockHarness {
  let gw: TestGateway;
  let api: ApiClient;
  let dir: string;
  const pairs: PtyPair[] = [];
  const devices: RecorderDock[] = [];
  let n = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    gw = await startGateway({
      dock: { ports: [join(dir, 'dock*')], chunkBytes: 16 * 1024, readWindow: 8, checkpointBytes: 64 * 1024 },
    });
    api = await gw.as(role);
  });

  afterAll(async () => {
    for (const d of devices) await d.stop().catch(() => {});
    for (const p of pairs) await p.unplug();
    await gw?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const docks = async () => {
    const r = await api.get('/api/docks');
    expect(r.status).toBe(200);
    return r.body.docks as DockSlotInfo[];
  };

  return {
    get gw() {
      return gw;
    },
    get api() {
      return api;
    },
    get dir() {
      return dir;
    },
    async register(serial) {
      await gw.app.field.registry.register({ serial }, 'test');
    },
    async plug(name) {
      const id = name ?? `dock${++n}`;
      const pair = await createPtyPair(join(dir, id), join(dir, `dev-${id}-${Date.now()}`));
      pairs.push(pair);
      return { pair, slot: join(dir, id) };
    },
    async seat(recorder, pair, opts = {}) {
      const d = await dockOnSerialPort(recorder, pair.devicePath, { helloRetryMs: 200, ...opts });
      devices.push(d);
      return d;
    },
    apiState(slot, state) {
      return waitFor(
        async () => (await docks()).find((d) => d.slot === slot && d.state === state),
        `${slot} ${state}`,
        20_000,
        50,
      );
    },
    async apiGone(slot) {
      await waitFor(
        async () => {
          const s = (await docks()).find((d) => d.slot === slot);
          return !s || s.state === 'empty' ? true : undefined;
        },
        `${slot} gone`,
        20_000,
        50,
      );
    },
  };
}
