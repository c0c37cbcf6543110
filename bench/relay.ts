/**
 * `npm run bench -- relay [--cameras N] [--seconds S] [--rounds R]`
 *
 * What the loopback RTSP relay (gateway/recording/rtsp-relay.ts) costs. N simulated cameras (in a
 * child process, so their CPU is not counted) are read by N ffmpeg processes at once, each
 * `-rtsp_transport tcp -c copy -f null` (the recording's input side, no disk), for S seconds:
 * - direct: ffmpeg connects to the cameras itself (the baseline; the bench's throwaway password is
 *   on its argv, which is exactly what the relay exists to avoid);
 * - relay: ffmpeg opens one-time loopback URLs; this process relays and authenticates.
 * Interleaved rounds (direct, relay, ...). Per side: CPU of this process plus the ffmpeg children
 * over the S seconds (100 = one core), from /proc. Reported: `relay_process_cpu_pct` (this process
 * while relaying: the relay's own cost), `total_cpu_pct` per side, `cpu_ratio` (relay / direct, of
 * medians), the relayed rate. Prints one JSON line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { silentLogger } from '../gateway/log.js';
import { RtspRelay } from '../gateway/recording/rtsp-relay.js';
import type { StreamTicket } from '../gateway/recording/stream-access.js';
import { fields, interleave, machine, ratioOfMedians, round2, spread } from './lib/rounds.js';

const PASSWORD = 'Bench-relay-pw1';
const FIRST_OCTET = 170;
const CLK_TCK = 100;

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    'sim-child': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const N = Number(values.cameras);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);

async function simChild(n: number): Promise<void> {
  const { startCameras } = await import('../device-sim/camera/index.js');
  const fleet = await startCameras(n, {
    firstOctet: FIRST_OCTET,
    common: { user: 'admin', password: PASSWORD },
  });
  process.stdout.write(`${JSON.stringify({ urls: fleet.cameras.map((c) => c.rtspUrl) })}\n`);
  for await (const line of createInterface({ input: process.stdin })) if (line === 'quit') break;
  await fleet.stop();
  process.exit(0);
}

async function ticks(pid: number | 'self'): Promise<number> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = text
      .slice(text.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return f[11]! + f[12]!;
  } catch {
    return 0;
  }
}

/** N ffmpeg readers for SECONDS; CPU % of this process and of the readers over that time. */
async function readAll(urls: string[]): Promise<{ self: number; ffmpeg: number; failed: number }> {
  const procs: ChildProcess[] = urls.map((url) =>
    spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-rtsp_transport',
        'tcp',
        '-i',
        url,
        '-c',
        'copy',
        '-f',
        'null',
        '-',
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    ),
  );
  // Connected and streaming before the window opens.
  await new Promise((r) => setTimeout(r, 3000));
  const t0 = Date.now();
  const self0 = await ticks('self');
  const ff0 = await Promise.all(procs.map((p) => ticks(p.pid!)));
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const ms = Date.now() - t0;
  const self1 = await ticks('self');
  const ff1 = await Promise.all(procs.map((p) => ticks(p.pid!)));
  const failed = procs.filter((p) => p.exitCode !== null).length;
  await Promise.all(
    procs.map(
      (p) =>
        new Promise((r) => {
          if (p.exitCode !== null) return r(null);
          p.once('exit', r);
          p.kill('SIGINT');
        }),
    ),
  );
  const pct = (t: number) => round2(((t / CLK_TCK) * 1000 * 100) / ms);
  return {
    self: pct(self1 - self0),
    ffmpeg: pct(ff1.reduce((s, x) => s + x, 0) - ff0.reduce((s, x) => s + x, 0)),
    failed,
  };
}

async function main(): Promise<void> {
  const file = fileURLToPath(import.meta.url);
  const sim = spawn(process.execPath, ['--import', 'tsx', file, '--sim-child', '--cameras', String(N)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const first = await createInterface({ input: sim.stdout! })[Symbol.asyncIterator]().next();
  const urls = (JSON.parse(first.value as string) as { urls: string[] }).urls;
  const relay = new RtspRelay({ log: silentLogger });
  await relay.start();
  const m = machine();
  const self: Record<'direct' | 'relay', number[]> = { direct: [], relay: [] };
  const ff: Record<'direct' | 'relay', number[]> = { direct: [], relay: [] };
  let failed = 0;
  let relayedBytes = 0;
  let relayedSeconds = 0;
  try {
    const total = await interleave(ROUNDS, {
      direct: async () => {
        const r = await readAll(urls.map((u) => u.replace('rtsp://', `rtsp://admin:${PASSWORD}@`)));
        self.direct.push(r.self);
        ff.direct.push(r.ffmpeg);
        failed += r.failed;
        return r.self + r.ffmpeg;
      },
      relay: async () => {
        const tickets: StreamTicket[] = urls.map((url, i) =>
          relay.open({ cameraId: `c${i}`, url, transport: 'tcp', username: 'admin', password: PASSWORD }),
        );
        const b0 = relay.stats.bytesToFfmpeg;
        const t0 = Date.now();
        const r = await readAll(tickets.map((t) => t.url));
        relayedBytes += relay.stats.bytesToFfmpeg - b0;
        relayedSeconds += (Date.now() - t0) / 1000;
        for (const t of tickets) t.close();
        self.relay.push(r.self);
        ff.relay.push(r.ffmpeg);
        failed += r.failed;
        return r.self + r.ffmpeg;
      },
    });
    console.log(
      JSON.stringify({
        bench: 'relay',
        cameras: N,
        seconds: SECONDS,
        rounds: ROUNDS,
        ...fields('relay_process_cpu_pct', self.relay),
        ...fields('direct_process_cpu_pct', self.direct),
        ...fields('relay_ffmpeg_cpu_pct', ff.relay),
        ...fields('direct_ffmpeg_cpu_pct', ff.direct),
        ...fields('relay_total_cpu_pct', total.relay),
        ...fields('direct_total_cpu_pct', total.direct),
        cpu_ratio: ratioOfMedians(total.relay, total.direct),
        relay_cpu_pct_per_camera: round2(
          (spread(self.relay).median - spread(self.direct).median) / Math.max(1, N),
        ),
        relayed_mbit_s: round2((relayedBytes * 8) / 1e6 / Math.max(1e-9, relayedSeconds)),
        readers_failed: failed,
        ...m,
      }),
    );
  } finally {
    await relay.stop();
    sim.stdin!.write('quit\n');
    await new Promise((r) => sim.once('exit', r));
  }
}

if (values['sim-child']) await simChild(N);
else await main();
