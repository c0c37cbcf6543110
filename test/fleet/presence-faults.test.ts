/** Staleness timeout and device faults, over real MQTT. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectRecorder, register } from '../broker/mqtt-helpers.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({ mqtt: { staleAfterS: 0.3 } });
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
