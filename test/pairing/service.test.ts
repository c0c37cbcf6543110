/**
 * PairingService over the real dock service on the in-memory binding (fast): assignments survive
 * a gateway restart, and a check-in still happens when the gateway missed the undocking (it was
 * down) because the docking brings clips recorded by that officer since check-out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecorderDock } from '../../device-sim/recorder/dock-link.js';
import type { Recorder } from '../../device-sim/recorder/recorder.js';
import { DockConfig, FleetConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';
import { PairingService } from '../../gateway/pairing/service.js';
import { type DockFixture, dockFixture } from '../dock/fixture.js';
import { until } from './rig.js';

const wu = { id: 'wu', name: '吴警官', certNo: 'ZF-31-0008' };
let fx: DockFixture;
const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
const services: PairingService[] = [];

async function pairingService(): Promise<PairingService> {
  const s = new PairingService({
    db: fx.db,
    bus: fx.bus,
    log,
    docks: fx.docks,
    audit: () => fx.store.audit,
    config: { ...DockConfig.parse({}), shiftHours: FleetConfig.parse({}).shiftHours },
  });
  await s.start();
  services.push(s);
  return s;
}

beforeAll(async () => {
  fx = await dockFixture();
});

afterAll(async () => {
  for (const s of services) await s.stop();
  await fx?.close();
});

describe('PairingService', () => {
  let recorder: Recorder;
  let device: RecorderDock;
  let path: string;
  let first: PairingService;

  it('keeps the active assignment across a restart', async () => {
    fx.known.add('MEM-1');
    ({ recorder, device, path } = await fx.dock({ serial: 'MEM-1', clipBytes: [], clipSeconds: 1 }));
    await fx.docks.slot(path)!.waitFor('ready');
    first = await pairingService();
    const { assignment } = await first.pair({ serial: 'MEM-1', officer: wu }, 'wu');
    expect(recorder.officer).toEqual(wu);
    await first.stop();

    const again = await pairingService();
    expect(again.activeFor('MEM-1')?.id).toBe(assignment.id);
    expect(again.activeForOfficer('wu')?.serial).toBe('MEM-1');
    await again.stop();
  });

  it('checks in after a shift whose undocking it missed, from the clips the officer recorded', async () => {
    // The gateway's pairing is down while the recorder leaves and records.
    await device.stop();
    fx.binding.unplug(path);
    await fx.docks.slot(path)!.waitFor('empty');
    recorder.startSession({ activity: 'inquiry', caseNo: 'XW-7' });
    await until(() => recorder.clips().length >= 1);
    recorder.endSession();
    await recorder.settled();
    expect(recorder.clips().every((c) => c.officer?.id === 'wu')).toBe(true);

    const back = await pairingService();
    expect(back.activeFor('MEM-1')?.leftDockAt).toBeNull();
    const redock = new RecorderDock({ recorder, port: fx.binding.pair(path), helloRetryMs: 100 });
    redock.start();
    try {
      await until(() => back.activeFor('MEM-1') === undefined);
      expect(recorder.officer).toBeNull();
      const [done] = await back.historyForRecorder('MEM-1');
      expect(done?.checkIn).toMatchObject({ trigger: 'dock', clips: { quarantined: 0 } });
      expect(done?.checkIn?.clips.verified).toBeGreaterThanOrEqual(1);
      const types = (await fx.store.audit.bySubject('recorder:MEM-1')).map((e) => e.type);
      expect(types.filter((t) => t !== 'time-sync')).toEqual(['pairing', 'check-in']);
    } finally {
      await redock.stop();
    }
  });
});
