/** Staleness timeout and device faults, over real MQTT. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectRecorder, register, telemetry } from '../broker/mqtt-helpers.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

let gw: TestGateway;
beforeAll(async () => {
  // A 12 s clock window: estimates count after 3 s of samples.
  gw = await startGateway({ mqtt: { staleAfterS: 0.3 }, fleet: { clockOffsetWindowS: 12 } });
});
afterAll(() => gw.stop());

it('marks a connected but silent recorder offline after staleAfterS, and online with its next message', async () => {
  const r = await connectRecorder(gw, 'PF-1', await register(gw, 'PF-1'));
  try {
    await r.telemetry({ state: 'recording' });
    await waitFor(() => gw.app.field.health.get('PF-1')?.online, 'online');
    await waitFor(() => gw.app.field.health.get('PF-1')?.online === false, 'stale -> offline');
    expect(r.client.connected).toBe(true);
    expect(gw.app.alerts.activeFor('recorder-offline', 'PF-1')).toBeDefined();
    await r.telemetry({ state: 'recording' });
    await waitFor(() => gw.app.field.health.get('PF-1')?.online, 'online again');
    await waitFor(() => !gw.app.alerts.activeFor('recorder-offline', 'PF-1'), 'offline alert cleared');
  } finally {
    await r.end();
  }
});

it('keeps device faults in health and as alerts until cleared', async () => {
  const r = await connectRecorder(gw, 'PF-2', await register(gw, 'PF-2'));
  try {
    await r.event({ type: 'fault-raised', code: 'LENS-HEAT', message: 'sensor over temperature', at: 5000 });
    await gw.app.field.ingest.idle();
    expect(gw.app.field.health.get('PF-2')!.faults).toEqual({
      'LENS-HEAT': { message: 'sensor over temperature', at: 5000 },
    });
    await waitFor(() => gw.app.alerts.activeFor('recorder-fault', 'PF-2/LENS-HEAT'), 'fault alert');
    await r.event({ type: 'fault-cleared', code: 'LENS-HEAT', at: 9000 });
    await gw.app.field.ingest.idle();
    expect(gw.app.field.health.get('PF-2')!.faults).toEqual({});
    await waitFor(() => !gw.app.alerts.activeFor('recorder-fault', 'PF-2/LENS-HEAT'), 'fault alert cleared');
  } finally {
    await r.end();
  }
});

it('takes no clock drift from packets the gateway read seconds late, and still alerts a 2-minute skew (R21)', async () => {
  const r = await connectRecorder(gw, 'PF-3', await register(gw, 'PF-3'));
  const skewed = await connectRecorder(gw, 'PF-4', await register(gw, 'PF-4'));
  try {
    while (gw.app.field.health.get('PF-3')?.clockOffsetMs == null) {
      await r.telemetry({ state: 'recording' });
      await new Promise((res) => setTimeout(res, 200));
    }
    // Ten packets sent now and read after the loop is held 3 s (a gateway busy with 5000 recorders).
    let last = 0;
    for (let i = 0; i < 10; i++) {
      last = Date.now();
      await r.telemetry({ state: 'recording', at: last });
    }
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      // Busy: the packets wait in the socket.
    }
    await waitFor(() => gw.app.field.health.get('PF-3')?.lastDeviceAt === last, 'late packets read');
    const h = gw.app.field.health.get('PF-3')!;
    expect(Math.abs(h.clockOffsetMs!)).toBeLessThan(1000);
    expect(h.conditions).not.toContain('clock-drift');
    // The fleet path itself, handed samples late by seconds.
    for (let i = 0; i < 10; i++) {
      const at = Date.now();
      gw.app.field.health.telemetry('PF-3', telemetry({ state: 'recording', at }), at + 2500 + i * 50);
    }
    expect(gw.app.field.health.get('PF-3')!.conditions).not.toContain('clock-drift');
    expect(gw.app.alerts.activeFor('clock-drift', 'PF-3')).toBeUndefined();

    // A real skew alerts once its samples span the settle time (3 s here).
    while (!gw.app.alerts.activeFor('clock-drift', 'PF-4')) {
      await skewed.telemetry({ state: 'recording', at: Date.now() - 120_000 });
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(gw.app.field.health.get('PF-4')!.clockOffsetMs).toBeLessThan(-119_000);
  } finally {
    await r.end();
    await skewed.end();
  }
});
