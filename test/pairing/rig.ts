/**
 * The real gateway with docks on socat PTY pairs (serialport on both ends), the real store in a
 * temp dir, and simulated recorders seated on the device ends. Shared by the pairing and clip tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPtyPair, type PtyPair } from '../../device-sim/pty.js';
import { type DockFaults, dockOnSerialPort, type RecorderDock } from '../../device-sim/recorder/dock-link.js';
import type { Recorder } from '../../device-sim/recorder/recorder.js';
import type { GatewayConfigInput } from '../../gateway/config.js';
import type { DockSlotInfo, SlotState } from '../../gateway/dock/slot.js';
import type { Officer } from '../../protocol/common.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

export interface DockRig {
  gw: TestGateway;
  dir: string;
  register(serial: string): Promise<void>;
  /** A new cable: a PTY pair whose gateway end the dock watcher picks up. */
  plug(name?: string): Promise<{ pair: PtyPair; slot: string }>;
  /** Puts the recorder in the dock on the device end of the cable. */
  seat(recorder: Recorder, pair: PtyPair, faults?: DockFaults): Promise<RecorderDock>;
  /** Takes the recorder out: its side closes, the cable goes; resolves when the gateway saw it. */
  takeOut(device: RecorderDock, pair: PtyPair, slot: string): Promise<void>;
  slotState(slot: string, state: SlotState | SlotState[]): Promise<DockSlotInfo>;
  close(): Promise<void>;
}

/** Polls `fn` until it returns something truthy (the test timeout bounds the wait). */
export function until<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
): Promise<T> {
  return waitFor(fn, 'condition', Number.POSITIVE_INFINITY, 40);
}

export function officerOf(client: ApiClient, name = '张警官'): Officer {
  return { id: client.username, name, certNo: `ZF${client.username.replace(/\D/g, '').slice(-8)}` };
}

export async function dockRig(config: GatewayConfigInput = {}): Promise<DockRig> {
  const dir = await mkdtemp(join(tmpdir(), 'pairing-pty-'));
  const gw = await startGateway({
    ...config,
    dock: {
      ports: [join(dir, 'dock*')],
      chunkBytes: 16 * 1024,
      readWindow: 8,
      checkpointBytes: 64 * 1024,
      ...config.dock,
    },
  });
  const pairs: PtyPair[] = [];
  const devices: RecorderDock[] = [];
  let n = 0;
  const slotState = (slot: string, state: SlotState | SlotState[]) => {
    const want = Array.isArray(state) ? state : [state];
    return until(() => gw.app.docks.list().find((s) => s.slot === slot && want.includes(s.state)));
  };
  return {
    gw,
    dir,
    async register(serial) {
      await gw.app.field.registry.register({ serial }, 'test');
    },
    async plug(name) {
      const id = name ?? `dock${++n}`;
      const pair = await createPtyPair(join(dir, id), join(dir, `dev-${id}-${Date.now()}-${pairs.length}`));
      pairs.push(pair);
      return { pair, slot: join(dir, id) };
    },
    async seat(recorder, pair, faults) {
      const d = await dockOnSerialPort(recorder, pair.devicePath, {
        helloRetryMs: 200,
        ...(faults ? { faults } : {}),
      });
      devices.push(d);
      return d;
    },
    async takeOut(device, pair, slot) {
      await device.stop();
      await pair.unplug();
      await until(() => {
        const s = gw.app.docks.list().find((x) => x.slot === slot);
        return !s || s.state === 'empty';
      });
    },
    slotState,
    async close() {
      for (const d of devices) await d.stop().catch(() => {});
      for (const p of pairs) await p.unplug();
      await gw.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
