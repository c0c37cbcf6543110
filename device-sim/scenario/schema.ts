/**
 * Scenario files: a fleet of simulated recorders and a timeline of what happens to them.
 *
 *   { "name": "...", "seed": 7, "start": "2025-03-03T08:00:00+08:00", "duration": "10h",
 *     "fleet": { "count": 3, "serialPrefix": "BC", "defaults": { <profile> },
 *                "recorders": [ { "serial": "BC0001", "profile": { ... }, "officer": { ... } } ] },
 *     "timeline": [ { "at": "00:05", "recorder": "BC0001", "action": "start-session", ... } ],
 *     "random": { ...seeded random shifts for every recorder... } }
 *
 * Profiles are `RecorderProfile` inputs (any subset; defaults fill the rest).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { Activity, Marker, Officer, Serial, StopCause } from '../../protocol/common.js';
import { DeviceSimError } from '../recorder/errors.js';
import { RecorderProfile } from '../recorder/profile.js';
import { Duration } from './duration.js';

/** A profile as written: checked against `RecorderProfile`, kept raw so fleet defaults and per-recorder overrides merge. */
export const ProfileInput = z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
  const r = RecorderProfile.safeParse(v);
  if (!r.success)
    for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
});

const Target = z.union([z.literal('*'), Serial, z.array(Serial).min(1)]);

const at = {
  /** Offset from the scenario start. */
  at: Duration,
  /** One serial, a list, or "*" / omitted for every recorder. */
  recorder: Target.optional(),
};

export const ScenarioAction = z.discriminatedUnion('action', [
  z.object({ ...at, action: z.literal('power-on') }),
  z.object({ ...at, action: z.literal('power-off') }),
  z.object({
    ...at,
    action: z.literal('start-session'),
    activity: Activity.optional(),
    caseNo: z.string().max(64).optional(),
  }),
  z.object({ ...at, action: z.literal('marker'), marker: Marker, note: z.string().max(500).optional() }),
  /** Recording stops within the session: obstruction, weather, or the officer's own pause (R19). */
  z.object({ ...at, action: z.literal('stop'), cause: StopCause }),
  /** Recording resumes; `statement: false` leaves out the R19 resume statement. */
  z.object({
    ...at,
    action: z.literal('resume'),
    statement: z.boolean().default(true),
    note: z.string().max(500).optional(),
  }),
  z.object({ ...at, action: z.literal('end-session') }),
  /** Leaves charge for `within` of the present draw; the firmware then stops with cause battery. */
  z.object({ ...at, action: z.literal('battery-exhaustion'), within: Duration.default(0) }),
  /** Leaves space for `within` of recording; recording then stops with cause storage. */
  z.object({ ...at, action: z.literal('storage-full'), within: Duration.default(0) }),
  z.object({
    ...at,
    action: z.literal('device-fault'),
    code: z.string().min(1).max(32).default('E_SENSOR'),
    message: z.string().max(200).default('image sensor not responding'),
  }),
  z.object({ ...at, action: z.literal('clear-fault') }),
  /** The field link is down for `duration` (simulated time); events wait on the device. */
  z.object({ ...at, action: z.literal('network-loss'), duration: Duration }),
  /** Changes the drift of the device clock and/or jumps it. */
  z.object({
    ...at,
    action: z.literal('clock-drift'),
    driftPpm: z.number().min(-10_000).max(10_000).optional(),
    jumpMs: z.number().int().optional(),
  }),
  /** Dock placeholder: charging starts, an open session ends (the dock link comes later). */
  z.object({ ...at, action: z.literal('dock') }),
  z.object({ ...at, action: z.literal('undock') }),
  /** Check-out to an officer (null: back to nobody). */
  z.object({ ...at, action: z.literal('pair'), officer: Officer.nullable() }),
]);
export type ScenarioAction = z.infer<typeof ScenarioAction>;

export const InitialState = z.enum(['idle', 'docked', 'off']);
export type InitialState = z.infer<typeof InitialState>;

export const FleetRecorder = z.object({
  serial: Serial,
  profile: ProfileInput.optional(),
  officer: Officer.optional(),
  initialState: InitialState.optional(),
});
export type FleetRecorder = z.infer<typeof FleetRecorder>;

export const Fleet = z
  .object({
    /** Recorders beyond those listed are made up to this count, named prefix + 4 digits. */
    count: z.number().int().min(0).max(100_000).optional(),
    serialPrefix: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$/)
      .default('BC'),
    defaults: ProfileInput.default({}),
    initialState: InitialState.default('idle'),
    recorders: z.array(FleetRecorder).default([]),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.recorders.forEach((r, i) => {
      if (seen.has(r.serial)) {
        ctx.addIssue({
          code: 'custom',
          path: ['recorders', i, 'serial'],
          message: `duplicate serial ${r.serial}`,
        });
      }
      seen.add(r.serial);
    });
  });
export type Fleet = z.infer<typeof Fleet>;

const Range = (lo: number, hi: number) =>
  z
    .tuple([z.number().min(lo).max(hi), z.number().min(lo).max(hi)])
    .refine(([a, b]) => a <= b, 'range: [min, max] with min <= max');

/** Seeded random shifts for every recorder (the demo's default fleet behaviour). */
export const RandomShifts = z.object({
  /** Offset of the shift start from the scenario start, and per-recorder jitter. */
  shiftStart: Duration.default(0),
  startJitter: Duration.default(15 * 60_000),
  shiftLength: Duration.default(10 * 3_600_000),
  sessionsPerShift: Range(0, 50).default([3, 6] as [number, number]),
  sessionMinutes: Range(1, 600).default([20, 90] as [number, number]),
  travelMinutes: Range(0, 600).default([10, 40] as [number, number]),
  /** Chance per session of an obstruction or weather stop followed by a resume. */
  interruptionChance: z.number().min(0).max(1).default(0.25),
  /** Chance that a resume comes without its statement (R19 flag). */
  missingResumeStatementChance: z.number().min(0).max(1).default(0.05),
  /** Chance per session of no notice-given marker (R16 flag). */
  missingNoticeChance: z.number().min(0).max(1).default(0.05),
  networkLossChance: z.number().min(0).max(1).default(0.1),
  deviceFaultChance: z.number().min(0).max(1).default(0.02),
  /** Dock at the end of the shift. */
  dockAtEnd: z.boolean().default(true),
});
export type RandomShifts = z.infer<typeof RandomShifts>;

export const Scenario = z
  .object({
    name: z.string().min(1).max(100).default('scenario'),
    description: z.string().max(2000).optional(),
    seed: z.union([z.number().int(), z.string()]).default(1),
    /** Start time for virtual-clock runs (tests); real-time runs start now. */
    start: z.iso.datetime({ offset: true }).optional(),
    /** How long the scenario runs; default: the last action plus one minute, or the random shift. */
    duration: Duration.optional(),
    fleet: Fleet.prefault({}),
    timeline: z.array(ScenarioAction).default([]),
    random: RandomShifts.optional(),
  })
  .superRefine((s, ctx) => {
    const serials = new Set(fleetSerials(s.fleet));
    s.timeline.forEach((a, i) => {
      const t = a.recorder;
      if (t === undefined || t === '*') return;
      for (const serial of Array.isArray(t) ? t : [t]) {
        if (!serials.has(serial)) {
          ctx.addIssue({
            code: 'custom',
            path: ['timeline', i, 'recorder'],
            message: `recorder ${serial} is not in the fleet`,
          });
        }
      }
    });
  });
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

/** The serials of a fleet: those listed, then generated ones up to `count`. */
export function fleetSerials(fleet: Fleet, count = fleet.count): string[] {
  const listed = fleet.recorders.map((r) => r.serial);
  const out = count === undefined ? [...listed] : listed.slice(0, count);
  const taken = new Set(out);
  for (let i = 1; count !== undefined && out.length < count; i++) {
    const serial = `${fleet.serialPrefix}${String(i).padStart(4, '0')}`;
    if (!taken.has(serial)) out.push(serial);
  }
  return out;
}

/** A scenario file or object that failed validation; `issues` lists each problem with its path. */
export class ScenarioError extends DeviceSimError {
  readonly issues: string[];

  constructor(source: string, issues: string[]) {
    super('BAD_SCENARIO', `${source}: invalid scenario:\n  ${issues.join('\n  ')}`);
    this.name = 'ScenarioError';
    this.issues = issues;
  }
}

export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const r = Scenario.safeParse(input);
  if (r.success) return r.data;
  throw new ScenarioError(
    source,
    r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
  );
}

export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ScenarioError(path, [`cannot read: ${(err as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(path, [`not JSON: ${(err as Error).message}`]);
  }
  return parseScenario(json, path);
}

/** Where a scenario's timeline ends (ms from its start). */
export function scenarioLength(s: Scenario): number {
  if (s.duration !== undefined) return s.duration;
  let end = 0;
  for (const a of s.timeline) end = Math.max(end, a.at + (a.action === 'network-loss' ? a.duration : 0));
  if (s.random) end = Math.max(end, s.random.shiftStart + s.random.startJitter + s.random.shiftLength);
  return end + 60_000;
}
