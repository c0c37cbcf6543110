/**
 * The gateway against simulated recorders (device-sim) on a virtual clock, over real MQTT:
 * battery exhaustion (R19: forecast warning before, record, principal alert, explanation, review)
 * and network loss (buffered events replayed in order, once each, at their device times).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../device-sim/clock.js';
import { type FleetHandle, startFleet } from '../../device-sim/scenario/fleet.js';
import { loadScenario, scenarioLength } from '../../device-sim/scenario/schema.js';
import type { GatewayEvents } from '../../gateway/events.js';
import { mqttUrl, register } from '../broker/mqtt-helpers.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { type LiveStream, openLiveStream } from './sse.js';

const SCENARIOS = join(import.meta.dirname, '../../device-sim/scenarios');
const FAST_LINK = { reconnectMinMs: 50, reconnectMaxMs: 500 };
const MIN = 60_000;

let gw: TestGateway | undefined;
let fleet: FleetHandle | undefined;
let live: LiveStream | undefined;

afterEach(async () => {
  live?.close();
  await fleet?.stop();
  await gw?.stop();
  fleet = undefined;
  gw = undefined;
  live = undefined;
});

async function run(scenarioFile: string, serials: string[]) {
  gw = await startGateway();
  const credentials: Record<string, string> = {};
  for (const s of serials) credentials[s] = await register(gw, s);
  const principal = await gw.as('principal');
  live = await openLiveStream(gw.url, principal.token);
  const events: GatewayEvents['recorder.event'][] = [];
  gw.app.bus.on('recorder.event', (e) => events.push(e));
  const scenario = await loadScenario(join(SCENARIOS, scenarioFile));
  const start = Date.parse(scenario.start!);
  const clock = new VirtualClock(start);
  fleet = await startFleet({
    brokerUrl: mqttUrl(gw),
    credentials,
    scenario,
    clock,
    maxClipBytes: 4096,
    link: FAST_LINK,
  });
  const f = fleet;
  await waitFor(() => f.recorders.every((r) => r.link!.isConnected), 'recorders connected');
  return { gw, fleet: f, clock, scenario, start, principal, events, live };
}

describe('battery exhaustion (R19)', () => {
  it('warns by forecast first, records the stop, alerts the principal, and is explained and closed', async () => {
    const { gw, fleet, clock, scenario, principal, live } = await run('battery-exhaustion.json', [
      'BC0101',
      'BC0102',
    ]);
    await clock.runFor(scenarioLength(scenario), 10_000);
    await fleet.settled();
    await gw.app.field.ingest.idle();
    expect(fleet.failures).toEqual([]);

    // The record: battery, cannot continue; ended (not resumed) when the session was closed at the dock.
    const [dead] = await gw.app.interruptions.list({ device: 'BC0101' });
    expect(dead).toMatchObject({ cause: 'battery', canContinue: false, resumed: false, status: 'open' });
    expect(dead!.end).not.toBeNull();
    expect(dead!.alerts).toHaveLength(1);

    // The principal saw it on the live stream, after a forecast warning for the same recorder.
    const names = live.events;
    const alertAt = names.findIndex(
      (e) =>
        e.name === 'alert.raised' &&
        e.data.rule === 'interruption-cannot-continue' &&
        e.data.subject === dead!.id,
    );
    expect(alertAt).toBeGreaterThan(0);
    expect(names[alertAt]!.data.notify).toContain('principal');
    const forecastAt = names.findIndex(
      (e) => e.name === 'alert.raised' && e.data.rule === 'battery-forecast' && e.data.subject === 'BC0101',
    );
    const openedAt = names.findIndex((e) => e.name === 'interruption.opened' && e.data.id === dead!.id);
    expect(forecastAt).toBeGreaterThanOrEqual(0);
    expect(forecastAt).toBeLessThan(openedAt);
    const warned = names[forecastAt]!.data.details.forecast;
    expect(warned.batteryS).toBeLessThan(warned.shiftLeftS);

    // The other recorder was obstructed and resumed with a statement: no principal alert for it.
    const [obstructed] = await gw.app.interruptions.list({ device: 'BC0102' });
    expect(obstructed).toMatchObject({
      cause: 'obstruction',
      resumed: true,
      resumeStatement: true,
      alerts: [],
    });
    expect(obstructed!.end! - obstructed!.start).toBeGreaterThanOrEqual(4 * MIN - 1000);

    // Written explanation, reviewed by legal affairs, closed by the principal (R19 "explain in
    // writing"). No dock pairing in this
    // scenario, so the record names no officer and the custodian (equipment manager) writes it;
    // an officer may explain only records naming them (R24, test/api/interruption-scope.test.ts).
    expect(dead!.officer).toBeNull();
    const custodian = await gw.as('equipment-manager');
    expect((await custodian.post(`/api/interruptions/${dead!.id}/close`, {})).status).toBe(403);
    expect((await principal.post(`/api/interruptions/${dead!.id}/close`, {})).status).toBe(409);
    const ex = await custodian.post(`/api/interruptions/${dead!.id}/explain`, { text: '电池老化，已送修' });
    expect(ex.status).toBe(200);
    expect(ex.body).toMatchObject({
      status: 'explained',
      explanation: { text: '电池老化，已送修', author: custodian.username },
    });
    const legal = await gw.as('legal-affairs');
    expect((await legal.post(`/api/interruptions/${dead!.id}/review`, { accept: true })).body).toMatchObject({
      status: 'reviewed',
      review: { by: legal.username, verdict: 'accepted' },
    });
    const closed = await principal.post(`/api/interruptions/${dead!.id}/close`, { note: 'accepted' });
    expect(closed.body).toMatchObject({ status: 'closed', closure: { by: principal.username } });
    const list = await principal.get('/api/interruptions?status=closed');
    expect(list.body.map((r: { id: string }) => r.id)).toEqual([dead!.id]);

    // The session carries the R19 flag; notice was given, so no R16 flag.
    const sessions = await gw.app.field.sessions.list({ serial: 'BC0101' });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.flags.map((f) => f.flag)).toEqual(['interrupted']);
    expect(sessions[0]).toMatchObject({ noticeGiven: true, activity: 'seizure', requirement: 'continuous' });
  });
});

describe('network loss', () => {
  it('takes buffered events after reconnecting, in order, once each, placed at their device times', async () => {
    const { gw, fleet, clock, scenario, start, events } = await run('network-loss.json', ['BC0201']);
    // Up to just before the loss, everything acknowledged (as in the simulator's own test).
    await clock.runFor(20 * MIN - 10_000, 10_000);
    await fleet.settled();
    await clock.runFor(scenarioLength(scenario) - clock.now() + start, 10_000);
    await fleet.done;
    await fleet.settled();
    await gw.app.field.ingest.idle();
    const { recorder, link } = fleet.get('BC0201');
    expect(link!.stats.connects).toBe(2);

    const mine = events.filter((e) => e.serial === 'BC0201');
    expect(mine.length).toBe(recorder.outbox.stats().acked);
    expect(new Set(mine.map((e) => e.id)).size).toBe(mine.length);
    const times = mine.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // Contact lost while recording, ended when the link came back.
    const all = await gw.app.interruptions.list({ device: 'BC0201' });
    // The weather stop happened offline: recorded at the device's times (+2.5 s offset, 30 ppm).
    const deviceAt = (ms: number) => start + 2500 + Math.round(ms * (1 + 30e-6));
    const lost = all.find((r) => r.cause === 'contact-lost');
    expect(lost).toMatchObject({ resumed: true });
    // From the last telemetry before the loss to the first live message after it (device clock).
    expect(lost!.start).toBeGreaterThan(deviceAt(19 * MIN));
    expect(lost!.start).toBeLessThanOrEqual(deviceAt(20 * MIN));
    expect(lost!.end).toBeGreaterThanOrEqual(deviceAt(40 * MIN));
    expect(lost!.end).toBeLessThan(deviceAt(41 * MIN));
    const weather = all.find((r) => r.cause === 'weather');
    expect(weather).toMatchObject({
      start: deviceAt(25 * MIN),
      end: deviceAt(28 * MIN),
      resumed: true,
      resumeStatement: true,
      alerts: [],
    });
    expect(all).toHaveLength(2);
    const [s] = await gw.app.field.sessions.list({ serial: 'BC0201' });
    expect(s).toMatchObject({ noticeGiven: true, endedAt: expect.any(Number) });
    expect(s!.segments).toBe(mine.filter((e) => e.type === 'segment-closed').length);
  });
});
