import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { startCameras } from './fleet.js';

/**
 * Runs N simulated cameras until interrupted; prints one JSON line per camera, then reads fault
 * commands from stdin: `stall N`, `resume N`, `drop N`, `hang N`, `reboot N MS` (N is 1-based).
 *
 *   npx tsx device-sim/camera/cli.ts --cameras 4 --user admin --password admin
 */

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

const program = new Command()
  .name('camera-sim')
  .option('-n, --cameras <n>', 'number of cameras', int, 1)
  .option('--first-octet <n>', 'first camera is 127.0.0.<n>', int, 2)
  .option('--user <user>', 'ONVIF/RTSP user', 'admin')
  .option('--password <password>', 'ONVIF/RTSP password', 'admin')
  .option('--width <px>', 'picture width', int, 640)
  .option('--height <px>', 'picture height', int, 360)
  .option('--fps <n>', 'frames per second', int, 15)
  .option('--own-encoders', 'one ffmpeg per camera instead of one shared', false)
  .option('--clock-offset-ms <ms>', 'camera clock minus host clock', (v) => Number(v), 0)
  .option('--no-discovery', 'do not answer WS-Discovery')
  .option('--log-level <level>', 'pino level', 'info');

const o = program.parse().opts<{
  cameras: number;
  firstOctet: number;
  user: string;
  password: string;
  width: number;
  height: number;
  fps: number;
  ownEncoders: boolean;
  clockOffsetMs: number;
  discovery: boolean;
  logLevel: string;
}>();

const logger = pino({ level: o.logLevel }, pino.destination(2));
const fleet = await startCameras(o.cameras, {
  firstOctet: o.firstOctet,
  common: { user: o.user, password: o.password, clockOffsetMs: o.clockOffsetMs, discovery: o.discovery },
  sharedSource: !o.ownEncoders,
  sourceOptions: { width: o.width, height: o.height, fps: o.fps },
  logger,
});
fleet.cameras.forEach((c, i) => {
  process.stdout.write(
    `${JSON.stringify({ camera: i + 1, name: c.identity.name, endpoint: c.endpoint, xaddr: c.xaddr, rtsp: c.rtspUrl, snapshot: c.snapshotUrl })}\n`,
  );
});

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await fleet.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, n, arg] = line.trim().split(/\s+/);
  const cam = fleet.cameras[Number(n) - 1];
  if (!cmd) return;
  if (!cam) {
    logger.warn({ line }, 'no such camera');
    return;
  }
  switch (cmd) {
    case 'stall':
      cam.faults.stall();
      break;
    case 'resume':
      cam.faults.resume();
      break;
    case 'drop':
      cam.faults.drop();
      break;
    case 'hang':
      cam.faults.hang();
      break;
    case 'reboot':
      cam.faults.reboot(Number(arg ?? 5000)).catch((err) => logger.error({ err }, 'reboot failed'));
      break;
    default:
      logger.warn({ line }, 'commands: stall N | resume N | drop N | hang N | reboot N MS');
      return;
  }
  logger.info({ camera: Number(n), fault: cmd }, 'fault applied');
});
