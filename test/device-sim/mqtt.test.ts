/**
 * Simulated recorders against a real aedes broker over TCP, watched by an mqtt.js subscriber that
 * validates every payload with the protocol schemas.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../device-sim/clock.js';
import { type FleetHandle, startFleet } from '../../device-sim/scenario/fleet.js';
import { loadScenario, scenarioLength } from '../../device-sim/scenario/schema.js';
import type { CommandResponse, RecorderEvent, Status } from '../../protocol/mqtt/messages.js';
import { waitFor } from '../helpers/wait.js';
import { startBroker, startWatcher, type TestBroker, type Watcher } from './helpers.js';

const MIN = 60_000;
const SCENARIOS = join(import.meta.dirname, '../../device-sim/scenarios');
const WATCHER = { username: 'watcher', password: 'watcher-secret' };
const FAST_LINK = { reconnectMinMs: 50, reconnectMaxMs: 500 };

let broker: TestBroker | undefined;
let watcher: Watcher | undefined;
let fleet: FleetHandle | undefined;

afterEach(async () => {
  await fleet?.stop();
  await watcher?.close();
  await broker?.close();
  fleet = undefined;
  watcher = undefined;
  broker = undefined;
});

function expectOrderedOnce(events: RecorderEvent[]): void {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (let i = 1; i < events.length; i++) expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
}

describe('recorder MQTT link', () => {
  it('publishes valid status, telemetry and events, and answers commands echoing the tid', async () => {
    broker = await startBroker({ BC0001: 'issued-pw-1', [WATCHER.username]: WATCHER.password });
    watcher = await startWatcher(broker.url, WATCHER, ['BC0001']);
    const clock = new VirtualClock(Date.UTC(2025, 2, 3, 0, 0, 0));
    fleet = await startFleet({
      brokerUrl: broker.url,
      recorders: [{ serial: 'BC0001', password: 'issued-pw-1' }],
      clock,
      maxClipBytes: 4096,
      link: FAST_LINK,
      scenario: {
        fleet: { defaults: { telemetryIntervalS: 30 } },
        timeline: [
          { at: '1m', action: 'start-session', activity: 'inquiry', caseNo: 'ZF-9' },
          { at: '1m10s', action: 'marker', marker: 'notice-given' },
          { at: '2m', action: 'marker', marker: 'statement' },
          { at: '20m', action: 'end-session' },
        ],
      },
    });
    const rec = fleet.get('BC0001');
    await waitFor(() => rec.link!.isConnected, 'connect');
    await waitFor(
      () => watcher!.seen.some((s) => s.kind === 'status' && (s.value as Status).online),
      'status online',
    );
    await clock.runFor(30 * MIN, 10_000);
    await fleet.settled();
    await waitFor(() => watcher!.events().length === rec.recorder.outbox.stats().acked, 'events at watcher');

    expect(watcher.bad()).toEqual([]);
    const kinds = new Set(watcher.seen.map((s) => s.kind));
    expect([...kinds].sort()).toEqual(['event', 'status', 'telemetry']);
    expect(watcher.seen.filter((s) => s.kind === 'telemetry').length).toBeGreaterThan(10);
    const events = watcher.events();
    expectOrderedOnce(events);
    expect(events.map((e) => e.type).filter((t) => t !== 'segment-closed')).toEqual([
      'session-started',
      'recording-started',
      'marker',
      'marker',
      'recording-stopped',
      'session-ended',
    ]);
    expect(events.filter((e) => e.type === 'segment-closed')).toHaveLength(4);

    // time-sync: the device reports its clock before the correction, then runs on the gateway's time.
    const deviceBefore = rec.recorder.deviceNow();
    const gatewayTime = deviceBefore + 90_000;
    watcher.command('BC0001', { v: 1, tid: 'sync-1', sentAt: gatewayTime, cmd: 'time-sync', gatewayTime });
    watcher.command('BC0001', { v: 1, tid: 'loc-1', sentAt: gatewayTime, cmd: 'locate', seconds: 5 });
    watcher.command('BC0001', { v: 1, tid: 'bad-1', sentAt: gatewayTime, cmd: 'format-disk' });
    const responses = () =>
      watcher!.seen.filter((s) => s.kind === 'cmd/res').map((s) => s.value as CommandResponse);
    await waitFor(() => responses().length === 3, 'command responses');
    const byTid = Object.fromEntries(responses().map((r) => [r.tid, r]));
    expect(byTid['sync-1']).toMatchObject({ ok: true, deviceTime: deviceBefore, at: gatewayTime });
    expect(rec.recorder.deviceNow()).toBe(gatewayTime);
    expect(byTid['loc-1']).toMatchObject({ ok: true });
    expect(byTid['bad-1']).toMatchObject({ ok: false, error: { code: 'BAD_PAYLOAD' } });
    expect(watcher.bad()).toEqual([]);
  });

  it('buffers events during a network loss and delivers them after reconnect, in order, once each, with their device times', async () => {
    const scenario = await loadScenario(join(SCENARIOS, 'network-loss.json'));
    broker = await startBroker({ BC0201: 'issued-pw-201', [WATCHER.username]: WATCHER.password });
    watcher = await startWatcher(broker.url, WATCHER, ['BC0201']);
    const start = Date.parse(scenario.start!);
    const clock = new VirtualClock(start);
    fleet = await startFleet({
      brokerUrl: broker.url,
      credentials: { BC0201: 'issued-pw-201' },
      scenario,
      clock,
      maxClipBytes: 4096,
      link: FAST_LINK,
    });
    const { recorder, link } = fleet.get('BC0201');
    await waitFor(() => link!.isConnected, 'connect');
    // Run up to just before the loss and let everything be acknowledged, so no event is in
    // flight when the link drops (one in flight then could legitimately arrive twice).
    await clock.runFor(20 * MIN - 10_000, 10_000);
    await fleet.settled();
    await clock.runFor(scenarioLength(scenario) - clock.now() + start, 10_000);
    await fleet.done;
    await fleet.settled();
    await waitFor(() => watcher!.events().length === recorder.outbox.stats().acked, 'events at watcher');

    expect(watcher.bad()).toEqual([]);
    expect(link!.stats.connects).toBe(2);
    // Last will on the loss, online again after it.
    const statuses = watcher.seen.filter((s) => s.kind === 'status').map((s) => (s.value as Status).online);
    expect(statuses).toEqual([true, false, true]);
    const willAt = watcher.seen.findIndex((s) => s.kind === 'status' && !(s.value as Status).online);

    const events = watcher.events();
    expectOrderedOnce(events);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(recorder.outbox.stats()).toMatchObject({ queued: 0, dropped: 0 });

    // Device clock: +2.5 s offset, 30 ppm fast.
    const deviceAt = (simOffsetMs: number) => start + 2500 + Math.round(simOffsetMs * (1 + 30e-6));
    const stop = events.find((e) => e.type === 'recording-stopped' && e.cause === 'weather')!;
    expect(stop.at).toBe(deviceAt(25 * MIN));
    const resumed = events.find((e) => e.type === 'marker' && e.marker === 'resume-statement')!;
    expect(resumed.at).toBe(deviceAt(28 * MIN));
    // Everything that happened during the outage arrived after the last will, i.e. after reconnecting.
    const arrival = (id: string) =>
      watcher!.seen.findIndex((s) => s.kind === 'event' && (s.value as RecorderEvent).id === id);
    const during = events.filter((e) => e.at > deviceAt(20 * MIN) && e.at < deviceAt(40 * MIN));
    expect(during.map((e) => e.type)).toEqual(
      expect.arrayContaining(['segment-closed', 'recording-stopped', 'recording-started', 'marker']),
    );
    for (const e of during) expect(arrival(e.id)).toBeGreaterThan(willAt);
    expect(events.at(-1)?.type).toBe('session-ended');
  });

  it('battery exhaustion: recording-stopped cause battery, canContinue false; the other recorder resumes after an obstruction', async () => {
    const scenario = await loadScenario(join(SCENARIOS, 'battery-exhaustion.json'));
    const creds = { BC0101: 'issued-pw-101', BC0102: 'issued-pw-102' };
    broker = await startBroker({ ...creds, [WATCHER.username]: WATCHER.password });
    watcher = await startWatcher(broker.url, WATCHER, ['BC0101', 'BC0102']);
    const clock = new VirtualClock(Date.parse(scenario.start!));
    fleet = await startFleet({
      brokerUrl: broker.url,
      credentials: creds,
      scenario,
      clock,
      maxClipBytes: 4096,
      link: FAST_LINK,
    });
    await waitFor(() => fleet!.recorders.every((r) => r.link!.isConnected), 'connect');
    const a = fleet.get('BC0101');
    // Past the battery's end (about 00:55); let the orderly shutdown finish before the dock at 01:45.
    await clock.runFor(60 * MIN, 10_000);
    expect(a.recorder.state).toBe('off');
    await waitFor(() => !a.link!.isConnected, 'orderly disconnect');
    await clock.runFor(scenarioLength(scenario) - 60 * MIN, 10_000);
    await fleet.settled();
    await waitFor(() => watcher!.events('BC0101').length === a.recorder.outbox.stats().acked, 'events');

    expect(watcher.bad()).toEqual([]);
    expect(fleet.failures).toEqual([]);
    const ev = watcher.events('BC0101');
    expectOrderedOnce(ev);
    const stops = ev.filter((e) => e.type === 'recording-stopped');
    expect(stops).toMatchObject([{ cause: 'battery', canContinue: false }]);
    // Stopped about 25 min after the drain at 00:30 (within one 5 s poll plus the gauge's 0.1 %
    // resolution, about 20 s at this draw), then the dock closed the session.
    const drainedAt = Date.parse(scenario.start!) + 30 * MIN;
    expect(Math.abs(stops[0]!.at - (drainedAt + 25 * MIN))).toBeLessThan(30_000);
    expect(ev.at(-1)?.type).toBe('session-ended');
    expect(a.recorder.state).toBe('docked');
    // Orderly offline at shutdown (after handing over the stop), online again once the dock powers it.
    await waitFor(() => a.link!.isConnected, 'reconnect after docking');
    const statuses = watcher.seen
      .filter((s) => s.kind === 'status' && s.serial === 'BC0101')
      .map((s) => (s.value as Status).online);
    expect(statuses).toEqual([true, false, true]);
    const offlineAt = watcher.seen.findIndex(
      (s) => s.kind === 'status' && s.serial === 'BC0101' && !(s.value as Status).online,
    );
    const stopAt = watcher.seen.findIndex(
      (s) => s.kind === 'event' && (s.value as RecorderEvent).id === stops[0]!.id,
    );
    expect(stopAt).toBeLessThan(offlineAt);

    const b = watcher.events('BC0102');
    expectOrderedOnce(b);
    const i = b.findIndex((e) => e.type === 'recording-stopped' && e.cause === 'obstruction');
    expect(i).toBeGreaterThan(0);
    expect(b[i]).toMatchObject({ canContinue: true });
    const after = b.slice(i + 1).filter((e) => e.type !== 'segment-closed');
    expect(after[0]).toMatchObject({ type: 'recording-started' });
    expect(after[1]).toMatchObject({ type: 'marker', marker: 'resume-statement' });
  });

  it('is refused with a wrong credential, keeps retrying, and never starts without one', async () => {
    broker = await startBroker({ BC0301: 'right' });
    await expect(
      startFleet({ brokerUrl: broker.url, recorders: [{ serial: 'BC0302' }], scenario: {} }),
    ).rejects.toMatchObject({ code: 'NO_CREDENTIALS' });
    fleet = await startFleet({
      brokerUrl: broker.url,
      recorders: [{ serial: 'BC0301', password: 'wrong' }],
      clock: new VirtualClock(),
      link: FAST_LINK,
    });
    const { link } = fleet.get('BC0301');
    await waitFor(() => broker!.refused.length >= 2, 'two refused attempts');
    expect(broker.refused.every((u) => u === 'BC0301')).toBe(true);
    expect(link!.isConnected).toBe(false);
    expect(link!.stats.connectFailures).toBeGreaterThanOrEqual(1);
  });
});
