/**
 * The dock conformance kit (conformance/) against the simulated recorder over socat PTY pairs with
 * serialport on both ends: every check passes on the simulator, and each simulator variant that
 * breaks one rule is caught by the check of that rule's section (and only a few others).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDockConformance } from '../../conformance/dock/kit.js';
import { junitReport, textReport } from '../../conformance/report.js';
import { createPtyPair, type PtyPair } from '../../device-sim/pty.js';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { type DockFaults, dockOnSerialPort, type RecorderDock } from '../../device-sim/recorder/dock-link.js';
import { SerialPortBinding } from '../../protocol/dock/link/serialport-binding.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dock-kit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let n = 0;
/** The kit on one end of a PTY cable, a simulated recorder (with `faults`) on the other. */
async function runKit(faults: DockFaults = {}, release = true) {
  const id = ++n;
  const kitPath = join(dir, `kit${id}`);
  const devPath = join(dir, `dev${id}`);
  const { recorder } = await recorderWithClips({ serial: `KIT${id}`, clipBytes: [150_000, 9_000, 40_000] });
  let pair: PtyPair = await createPtyPair(kitPath, devPath);
  let device: RecorderDock = await dockOnSerialPort(recorder, devPath, { maxRead: 8192, window: 4, faults });
  const binding = new SerialPortBinding();
  try {
    const results = await runDockConformance({
      open: () => binding.open(kitPath, { baudRate: 921600 }),
      // The cable is pulled and plugged back: a new PTY pair, the same recorder (its clips kept).
      onCut: async () => {
        await device.stop();
        await pair.unplug();
        pair = await createPtyPair(kitPath, devPath);
        device = await dockOnSerialPort(recorder, devPath, { maxRead: 8192, window: 4, faults });
      },
      release,
    });
    return { results, failed: results.filter((r) => !r.ok) };
  } finally {
    await device.stop();
    await pair.unplug();
  }
}

describe('dock conformance kit', () => {
  it('passes the simulator on every check, with a report per section and JUnit XML', async () => {
    const { results, failed } = await runKit();
    expect(failed.map((f) => `§${f.section} ${f.name}: ${f.detail}\n${f.frames.join('\n')}`)).toEqual([]);
    const sections = new Set(results.map((r) => r.section));
    for (const s of ['3.2', '3.5', '3.6.1', '3.7', '3.8', '3.9', '3.9.2', '3.9.3', '3.9.4', '3.11'])
      expect(sections).toContain(s);
    expect(results.length).toBeGreaterThanOrEqual(20);
    const text = textReport(results);
    expect(text).toContain('PROTOCOL.md §3.9.3');
    expect(text).toMatch(/\d+ passed, 0 failed$/);
    const xml = junitReport(results);
    expect(xml).toContain(`<testsuites name="dock-conformance" tests="${results.length}" failures="0">`);
    expect(xml.match(/<testcase /g)).toHaveLength(results.length);
    // Each check keeps the frames that proved it.
    const windowed = results.find((r) => r.name.startsWith('windowed READs'))!;
    expect(windowed.frames.some((f) => f.startsWith('< DATA'))).toBe(true);
  });

  const variants: [string, DockFaults, string, RegExp][] = [
    ['answers no ERROR for frames it cannot serve', { silentOnBadFrames: true }, '3.5', /BAD_VERSION/],
    ['serves a READ above maxRead cut short', { truncateOverMaxRead: true }, '3.6.1', /READ above maxRead/],
    ['frees a clip on a RELEASE with a wrong hash', { releaseIgnoresHash: true }, '3.9.4', /wrong sha256/],
    ['sends a DATA chunk whose CRC is wrong', { flipDataBits: 1 }, '3.9.3', /windowed READs/],
    [
      'claims a SHA-256 its clips do not have',
      { lieAboutHash: { times: 'always' } },
      '3.9.3',
      /windowed READs/,
    ],
  ];
  for (const [what, faults, section, check] of variants) {
    it.concurrent(`catches a recorder that ${what} (§${section})`, async () => {
      const { failed } = await runKit(faults, false);
      expect(failed.length).toBeGreaterThan(0);
      const named = failed.find((f) => f.section === section && check.test(f.name));
      expect(named, failed.map((f) => `§${f.section} ${f.name}`).join('\n')).toBeDefined();
    });
  }
});
