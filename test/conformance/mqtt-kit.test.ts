/**
 * The MQTT conformance kit (conformance/mqtt/) against the simulated recorder over real TCP with
 * mqtt.js: every check passes on the simulator, and each simulator variant that breaks one rule of
 * PROTOCOL.md §2 is caught by the check of that rule's section.
 */
import { describe, expect, it } from 'vitest';
import { runMqttConformance } from '../../conformance/mqtt/kit.js';
import { junitReport, textReport } from '../../conformance/report.js';
import { RealClock } from '../../device-sim/clock.js';
import { SyntheticClipSource } from '../../device-sim/recorder/clip-source.js';
import { SimHardware } from '../../device-sim/recorder/hardware.js';
import { type MqttFaults, MqttLink } from '../../device-sim/recorder/mqtt-link.js';
import { RecorderProfile } from '../../device-sim/recorder/profile.js';
import { Recorder } from '../../device-sim/recorder/recorder.js';
import { SeededRng } from '../../device-sim/recorder/rng.js';

let n = 0;
async function runKit(faults: MqttFaults = {}) {
  const serial = `MQK${String(++n).padStart(4, '0')}`;
  const clock = new RealClock({ speed: 1 });
  const profile = RecorderProfile.parse({});
  const recorder = new Recorder({
    serial,
    profile,
    hardware: new SimHardware({
      clock,
      profile,
      clips: new SyntheticClipSource({ seed: serial, maxBytes: 20_000 }),
      rng: new SeededRng(serial).fork('hw'),
    }),
  });
  let link: MqttLink | undefined;
  /** A short session: start, marker, stop, end (the officer's buttons). */
  const session = async () => {
    recorder.startSession({ activity: 'inspection', caseNo: 'KIT-1' });
    recorder.marker('notice-given');
    await new Promise((r) => setTimeout(r, 300));
    recorder.endSession();
  };
  try {
    const results = await runMqttConformance({
      serial,
      stepTimeoutMs: 8000,
      onListening: ({ url, credential }) => {
        link = new MqttLink({
          recorder,
          brokerUrl: url,
          password: credential,
          reconnectMinMs: 100,
          reconnectMaxMs: 400,
          faults,
        });
      },
      say: process.env.KIT_SAY ? (l) => console.log(`${Date.now() % 100000} ${l}`) : undefined,
      act: async (step) => {
        if (step === 'connect') {
          recorder.start();
          link!.start();
        } else if (step === 'record' || step === 'record-offline') await session();
        else if (step === 'power-off') recorder.powerOff();
      },
    });
    return { results, failed: results.filter((r) => !r.ok) };
  } finally {
    await link?.stop();
    recorder.stop();
  }
}

describe('MQTT conformance kit', () => {
  it.concurrent('passes the simulator on every check, with a report per section and JUnit XML', async () => {
    const { results, failed } = await runKit();
    expect(failed.map((f) => `§${f.section} ${f.name}: ${f.detail}\n${f.frames.join('\n')}`)).toEqual([]);
    const sections = new Set(results.map((r) => r.section));
    for (const s of ['2', '2.1', '2.2', '2.3', '2.4', '2.5', '2.6']) expect(sections).toContain(s);
    expect(results.length).toBeGreaterThanOrEqual(15);
    expect(textReport(results)).toMatch(/\d+ passed, 0 failed$/);
    const xml = junitReport(results, 'mqtt-conformance');
    expect(xml).toContain(`<testsuites name="mqtt-conformance" tests="${results.length}" failures="0">`);
    const replay = results.find((r) => r.name.startsWith('events made while the network was cut'))!;
    expect(replay.detail).toMatch(/events replayed/);
  });

  const variants: [string, MqttFaults, string, RegExp][] = [
    ['sets a last will that is not retained', { willNotRetained: true }, '2.5', /last will/],
    ['leaves gaps in event seq', { seqGaps: true }, '2.4', /seq rises by one/],
    ['ignores a bad command with a readable tid', { silentOnBadCommands: true }, '2.6', /fails validation/],
    ['drops events made offline', { forgetsOfflineEvents: true }, '2.4', /network was cut/],
    ['sends telemetry at QoS 1', { telemetryQos1: true }, '2.3', /telemetry is QoS 0/],
  ];
  for (const [what, faults, section, check] of variants) {
    it.concurrent(`catches a recorder that ${what} (§${section})`, async () => {
      const { failed } = await runKit(faults);
      expect(failed.length).toBeGreaterThan(0);
      const named = failed.find((f) => f.section === section && check.test(f.name));
      expect(named, failed.map((f) => `§${f.section} ${f.name}: ${f.detail}`).join('\n')).toBeDefined();
    });
  }
});
