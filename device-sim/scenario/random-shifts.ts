/**
 * Seeded, realistic-looking shifts for one recorder: leave the dock, a few enforcement sessions
 * with travel between them, notice (R16) and statement (R17) markers, now and then an obstruction
 * or weather stop with a resume statement (R19), a network loss or a device fault, back to the dock.
 * Now and then a marker is left out, so the gateway has R16/R19 flags to raise.
 */
import type { Activity } from '../../protocol/common.js';
import type { SeededRng } from '../recorder/rng.js';
import type { RandomShifts, ScenarioAction } from './schema.js';

const ACTIVITIES: readonly Activity[] = [
  'inspection',
  'inquiry',
  'evidence-collection',
  'sampling',
  'seizure',
  'service',
  'execution',
  'on-site-enforcement',
];
const MIN = 60_000;

type ActionBody = ScenarioAction extends infer A
  ? A extends ScenarioAction
    ? Omit<A, 'at' | 'recorder'>
    : never
  : never;

export function randomShift(rng: SeededRng, p: RandomShifts, serial: string): ScenarioAction[] {
  const out: ScenarioAction[] = [];
  const add = (at: number, a: ActionBody) =>
    out.push({ ...a, at: Math.round(at), recorder: serial } as ScenarioAction);
  const start = p.shiftStart + rng.between(0, p.startJitter);
  const end = start + p.shiftLength;
  add(start, { action: 'undock' });
  let t = start + rng.between(2, 10) * MIN;
  const sessions = rng.int(p.sessionsPerShift[0], p.sessionsPerShift[1]);
  for (let i = 0; i < sessions; i++) {
    t += rng.between(p.travelMinutes[0], p.travelMinutes[1]) * MIN;
    const len = rng.between(p.sessionMinutes[0], p.sessionMinutes[1]) * MIN;
    if (t + len > end - 5 * MIN) break;
    const caseNo = `ZF-${rng.int(1000, 9999)}`;
    add(t, { action: 'start-session', activity: rng.pick(ACTIVITIES), caseNo });
    if (!rng.chance(p.missingNoticeChance))
      add(t + rng.between(5, 40) * 1000, { action: 'marker', marker: 'notice-given' });
    add(t + rng.between(1, 3) * MIN, { action: 'marker', marker: 'statement' });
    if (rng.chance(p.interruptionChance)) {
      const at = t + rng.between(0.3, 0.6) * len;
      const cause = rng.pick(['obstruction', 'weather'] as const);
      add(at, { action: 'stop', cause });
      add(at + rng.between(1, 5) * MIN, {
        action: 'resume',
        statement: !rng.chance(p.missingResumeStatementChance),
      });
    }
    if (rng.chance(p.networkLossChance)) {
      add(t + rng.between(0.1, 0.8) * len, {
        action: 'network-loss',
        duration: Math.round(rng.between(2, 12) * MIN),
      });
    }
    if (rng.chance(p.deviceFaultChance)) {
      const at = t + rng.between(0.7, 0.9) * len;
      add(at, { action: 'device-fault', code: 'E_SENSOR', message: 'image sensor not responding' });
      const cleared = at + rng.between(1, 3) * MIN;
      add(cleared, { action: 'clear-fault' });
      add(cleared + MIN, { action: 'end-session' });
    } else {
      add(t + len, { action: 'end-session' });
    }
    t += len;
  }
  if (p.dockAtEnd) add(end, { action: 'dock' });
  return out.sort((a, b) => a.at - b.at);
}
