/**
 * The demo's fleet when no scenario file is given: recorders in the dock, checked out to officers,
 * each working a seeded random 10-hour shift (see random-shifts.ts).
 */
import { SeededRng } from '../recorder/rng.js';
import { parseScenario, type Scenario } from './schema.js';

const SURNAMES = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Zhao', 'Huang', 'Zhou', 'Wu', 'Xu', 'Sun'];
const GIVEN = ['Wei', 'Fang', 'Min', 'Jing', 'Lei', 'Jun', 'Yan', 'Tao', 'Ming', 'Hui', 'Qiang', 'Li'];

export function defaultFleetScenario(opts: {
  count: number;
  seed?: string | number;
  serialPrefix?: string;
}): Scenario {
  const seed = opts.seed ?? 1;
  const rng = new SeededRng(`${seed}:officers`);
  const prefix = opts.serialPrefix ?? 'BC';
  const recorders = Array.from({ length: opts.count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    return {
      serial: `${prefix}${n}`,
      officer: {
        id: `O${n}`,
        name: `${rng.pick(SURNAMES)} ${rng.pick(GIVEN)}`,
        certNo: `ZF${String(rng.int(100000, 999999))}`,
      },
      profile: {
        battery: { initialPct: Math.round(rng.between(85, 100)) },
        clock: { offsetMs: Math.round(rng.between(-3000, 3000)), driftPpm: Math.round(rng.between(-40, 40)) },
      },
    };
  });
  return parseScenario(
    {
      name: 'default-fleet',
      description:
        'Seeded random shifts: sessions with notice and statement markers, occasional interruptions.',
      seed,
      fleet: { count: opts.count, serialPrefix: prefix, initialState: 'docked', recorders },
      random: {},
    },
    'default fleet',
  );
}
