/**
 * device-sim: simulated body-camera recorders on the MQTT field link.
 *
 *   device-sim --broker mqtt://localhost:1883 --credentials creds.json --recorders 20 --speed 60
 *   device-sim --scenario device-sim/scenarios/network-loss.json --credentials creds.json
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { DeviceSimError } from './recorder/errors.js';
import { defaultFleetScenario } from './scenario/default-fleet.js';
import { type FleetHandle, startFleet } from './scenario/fleet.js';
import { loadScenario, type Scenario } from './scenario/schema.js';

const positiveNumber = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const program = new Command('device-sim')
  .description(
    'Simulated body-camera recorders: each connects to the gateway broker with its own credential, ' +
      'publishes status, telemetry and events, answers commands, and plays a scenario timeline.',
  )
  .option('-b, --broker <url>', 'MQTT broker URL (the gateway)', 'mqtt://localhost:1883')
  .option(
    '-c, --credentials <file>',
    'JSON file {"<serial>": "<password>"} with the passwords the gateway issued',
  )
  .option('-s, --scenario <file>', 'scenario JSON (default: seeded random shifts)')
  .option('-n, --recorders <n>', 'number of recorders (overrides the scenario fleet count)', positiveInt)
  .option('-x, --speed <x>', 'simulated time runs this many times faster than real time', positiveNumber, 1)
  .option('--seed <seed>', 'seed for the default random fleet', '1')
  .option('--clips <kind>', 'clip content: synthetic | ffmpeg', 'synthetic')
  .option(
    '--max-clip-bytes <n>',
    'cap synthetic clip content (bytes); default: none at --speed 1, 1 MiB when faster (hashing a 216 MB segment per recorder every few seconds would swamp the machine)',
    positiveInt,
  )
  .option('--exit', 'exit when the scenario has run its length (default: keep running until Ctrl-C)')
  .option('--log-level <level>', 'pino level: fatal|error|warn|info|debug', 'info')
  .addHelpText(
    'after',
    `
Scenario files: see device-sim/scenarios/*.json and device-sim/scenario/schema.ts.
Credentials: there are no default passwords; register the recorders on the gateway and save
the passwords it issues as {"BC0001": "...", ...}.`,
  );

interface CliOptions {
  broker: string;
  credentials?: string;
  scenario?: string;
  recorders?: number;
  speed: number;
  seed: string;
  clips: string;
  maxClipBytes?: number;
  exit?: boolean;
  logLevel: string;
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<CliOptions>();
  const log = pino({ level: o.logLevel, base: { svc: 'device-sim' } });
  if (o.clips !== 'synthetic' && o.clips !== 'ffmpeg')
    throw new InvalidArgumentError('--clips: synthetic or ffmpeg');

  const scenario: Scenario = o.scenario
    ? await loadScenario(o.scenario)
    : defaultFleetScenario({ count: o.recorders ?? 5, seed: o.seed });
  const credentials = o.credentials ? await readCredentials(o.credentials) : {};

  const fleet: FleetHandle = await startFleet({
    scenario,
    brokerUrl: o.broker,
    credentials,
    count: o.recorders,
    speed: o.speed,
    clips: o.clips,
    maxClipBytes: o.maxClipBytes ?? (o.speed > 1 ? 1 << 20 : undefined),
    logger: log,
  });
  log.info(
    { recorders: fleet.recorders.length, speed: o.speed, broker: o.broker, scenario: scenario.name },
    'device-sim running',
  );

  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'stopping');
    await fleet.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await fleet.done;
  log.info({ refused: fleet.failures.length }, 'scenario complete');
  if (o.exit) {
    await fleet.settled(10_000).catch((err) => log.warn({ err: String(err) }, 'not all events delivered'));
    await shutdown('done');
  }
}

async function readCredentials(path: string): Promise<Record<string, string>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new DeviceSimError('NO_CREDENTIALS', `${path}: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DeviceSimError('NO_CREDENTIALS', `${path}: expected {"<serial>": "<password>"}`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(json)) {
    if (typeof v !== 'string')
      throw new DeviceSimError('NO_CREDENTIALS', `${path}: password of ${k} is not a string`);
    out[k] = v;
  }
  return out;
}

main().catch((err) => {
  process.stderr.write(`device-sim: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof DeviceSimError ? 2 : 1);
});
