import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRng } from '../../device-sim/recorder/rng.js';
import { defaultFleetScenario } from '../../device-sim/scenario/default-fleet.js';
import { parseDuration } from '../../device-sim/scenario/duration.js';
import { randomShift } from '../../device-sim/scenario/random-shifts.js';
import {
  fleetSerials,
  loadScenario,
  parseScenario,
  RandomShifts,
  ScenarioAction,
  ScenarioError,
} from '../../device-sim/scenario/schema.js';

const errorsOf = (input: unknown): string[] => {
  try {
    parseScenario(input, 'test.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as ScenarioError).code).toBe('BAD_SCENARIO');
    return (e as ScenarioError).issues;
  }
  throw new Error('scenario was accepted');
};

describe('scenario validation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'device-sim-scn-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses durations in several forms', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1h 30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('08:30')).toBe(30_600_000);
    expect(parseDuration('00:00:15')).toBe(15_000);
    expect(parseDuration('2.5h')).toBe(9_000_000);
    expect(parseDuration('soon')).toBeNull();
    expect(parseDuration('5 parsecs')).toBeNull();
  });

  it('names the path and the reason of each problem', () => {
    const issues = errorsOf({
      fleet: { recorders: [{ serial: 'BC1' }, { serial: 'BC1' }, { serial: 'bad serial!' }] },
      timeline: [
        { at: 'later', action: 'start-session' },
        { at: '1m', action: 'teleport' },
        { at: '2m', action: 'stop', cause: 'boredom' },
        { at: '3m', action: 'marker', marker: 'notice-given', recorder: 'BC9' },
      ],
    });
    const text = issues.join('\n');
    expect(text).toMatch(/fleet\.recorders\.1\.serial: duplicate serial BC1/);
    expect(text).toMatch(/fleet\.recorders\.2\.serial/);
    expect(text).toMatch(/timeline\.0\.at: not a duration: "later"/);
    expect(text).toMatch(/timeline\.1\.action/);
    expect(text).toMatch(/timeline\.2\.cause/);
  });

  it('refuses a timeline naming a recorder not in the fleet', () => {
    const issues = errorsOf({
      fleet: { count: 2 },
      timeline: [{ at: 0, action: 'dock', recorder: 'BC0003' }],
    });
    expect(issues).toEqual(['timeline.0.recorder: recorder BC0003 is not in the fleet']);
  });

  it('checks profiles against the recorder profile schema', () => {
    const issues = errorsOf({
      fleet: {
        defaults: { battery: { capacityMah: -5 } },
        recorders: [{ serial: 'A1', profile: { segmentSeconds: 0 } }],
      },
    });
    expect(issues.some((i) => i.startsWith('fleet.defaults.battery.capacityMah:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('fleet.recorders.0.profile.segmentSeconds:'))).toBe(true);
  });

  it('reports unreadable and non-JSON files with the file name', async () => {
    const f = join(dir, 'broken.json');
    await writeFile(f, '{ "fleet": ');
    await expect(loadScenario(f)).rejects.toThrow(/broken\.json: invalid scenario:\n\s+not JSON/);
    await expect(loadScenario(join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
  });

  it('accepts every example scenario shipped in device-sim/scenarios', async () => {
    const base = join(import.meta.dirname, '../../device-sim/scenarios');
    const files = (await readdir(base)).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const s = await loadScenario(join(base, f));
      expect(s.timeline.length, f).toBeGreaterThan(0);
    }
  });

  it('generates serials up to the fleet count after the listed ones', () => {
    const s = parseScenario({ fleet: { count: 3, serialPrefix: 'X', recorders: [{ serial: 'X0002' }] } });
    expect(fleetSerials(s.fleet)).toEqual(['X0002', 'X0001', 'X0003']);
  });

  it('makes the same random shift from the same seed, valid against the action schema', () => {
    const p = RandomShifts.parse({});
    const a = randomShift(new SeededRng('s:BC0001'), p, 'BC0001');
    const b = randomShift(new SeededRng('s:BC0001'), p, 'BC0001');
    const c = randomShift(new SeededRng('s:BC0002'), p, 'BC0002');
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    for (const x of a) expect(ScenarioAction.safeParse(x).success).toBe(true);
    expect(a[0]?.action).toBe('undock');
    expect(a.at(-1)?.action).toBe('dock');
    expect(a.filter((x) => x.action === 'start-session').length).toBeGreaterThan(0);
    const ats = a.map((x) => x.at);
    expect([...ats].sort((x, y) => x - y)).toEqual(ats);
  });

  it('builds the default demo fleet with officers and random shifts', () => {
    const s = defaultFleetScenario({ count: 4, seed: 9 });
    expect(fleetSerials(s.fleet)).toEqual(['BC0001', 'BC0002', 'BC0003', 'BC0004']);
    expect(s.fleet.recorders.every((r) => r.officer)).toBe(true);
    expect(s.random).toBeDefined();
  });
});
