/**
 * `npm run bench -- cameras [--cameras N] [--seconds S] [--segment S] [--rounds R]`
 *
 * N simulated ONVIF cameras (in a child process, so their CPU is not counted) recorded at once by
 * the real gateway (in this process) into its store, one hearing room per camera:
 * - first_segment_ms: hearing start -> the camera's first segment on disk with media in it (p50);
 * - cpu_pct / rss_mb: this process (the gateway) plus its ffmpeg children, read from /proc over
 *   S seconds of steady recording (100 = one core);
 * - coverage: recorded / wall time of those uninterrupted sessions (mean), started once every
 *   camera is warm (pre-roll cache, gateway/recording/preroll.ts): the lead-in covers the start-up;
 *   `coverage_after_first_data` counts only the session's own segments from its first one on;
 *   `lead_in_ms` how far before the start the lead-in reaches (p50), `tail_short_ms_max` how much
 *   the last segment ended before the stop time (worst session, 0 = it reached it);
 * - warm_cpu_pct: the warm ffmpegs plus gateway while idle (every camera warm, no hearing);
 * - loss_detect_p50/p99_ms: stall injected on every camera -> interruption record opened; a loss
 *   never detected (30 s) counts in `losses_undetected`, not in the percentiles;
 * Every camera sends G.711 (PCMA) with its audio before the first keyframe, as most cameras do; the
 * gateway keeps it as sent (QuickTime), as the baseline does (Matroska):
 * - audio_cameras: sessions whose stored segments carry an audio track (must equal `cameras`);
 * - coverage_without_lead_in: the session's own segments over [start, stop] (no lead-in);
 * - false_interruptions: interruption records of the phase-1 sessions, where no fault was injected;
 * - baseline_cpu_pct / cpu_ratio: plain `ffmpeg -c copy` (Matroska, which holds G.711 as sent)
 *   recording the same N streams for the same time with no gateway; cpu_ratio = cpu_pct / that.
 *   The baseline's ffmpeg gets the bench camera's URL with its password on argv: it is the naive
 *   way the gateway does not do (rtsp-relay.ts), and only the simulator's bench password.
 * Prints one JSON line.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { GatewayApp } from '../gateway/app.js';
import { parseConfig } from '../gateway/config.js';
import { coverageOf } from '../gateway/hearings/summary.js';
import { createLogger } from '../gateway/log.js';
import { SEGMENT_FILE } from '../gateway/recording/ffmpeg-args.js';
import { fields, interleave, machine, ratioOfMedians, spread } from './lib/rounds.js';

const PASSWORD = 'Bench-pw1';
const FIRST_OCTET = 150;
const CLK_TCK = 100;

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '60' },
    segment: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    'sim-child': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const N = Number(values.cameras);
const SECONDS = Number(values.seconds);
const SEGMENT = Number(values.segment);
const ROUNDS = Math.max(1, Number(values.rounds));

// ---- the simulated cameras, in their own process ------------------------------------------------
async function simChild(n: number): Promise<void> {
  const { startCameras } = await import('../device-sim/camera/index.js');
  const fleet = await startCameras(n, {
    firstOctet: FIRST_OCTET,
    common: { user: 'admin', password: PASSWORD, audio: 'pcma', audioFirst: true },
  });
  const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  say({ ready: fleet.cameras.map((c) => ({ xaddr: c.xaddr, rtsp: c.rtspUrlWithCredentials })) });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'stall') {
      const at = fleet.cameras.map((c) => {
        c.faults.stall();
        return Date.now();
      });
      say({ stalled: at });
    } else if (line === 'resume') {
      for (const c of fleet.cameras) c.faults.resume();
      say({ resumed: Date.now() });
    } else if (line === 'quit') break;
  }
  await fleet.stop();
  process.exit(0);
}

class Sim {
  readonly #proc: ChildProcess;
  readonly #lines: AsyncIterator<string>;
  constructor() {
    const file = fileURLToPath(import.meta.url);
    this.#proc = spawn(process.execPath, ['--import', 'tsx', file, '--sim-child', '--cameras', String(N)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.#lines = createInterface({ input: this.#proc.stdout! })[Symbol.asyncIterator]();
  }
  async next<T>(): Promise<T> {
    const r = await this.#lines.next();
    if (r.done) throw new Error('camera simulator ended');
    return JSON.parse(r.value) as T;
  }
  send(cmd: string): void {
    this.#proc.stdin!.write(`${cmd}\n`);
  }
  async quit(): Promise<void> {
    this.send('quit');
    await new Promise((r) => this.#proc.once('exit', r));
  }
}

// ---- /proc accounting: this process plus its ffmpeg children ----------------------------------
interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  ticks: number;
  childTicks: number;
  rssBytes: number;
}

async function procStat(pid: number | 'self'): Promise<ProcStat | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text
      .slice(close + 2)
      .split(' ')
      .map(Number);
    // Fields after the command, counted from `state` (field 3 of proc(5)).
    return {
      pid: Number(text.slice(0, text.indexOf(' '))),
      comm,
      ppid: f[1]!,
      ticks: f[11]! + f[12]!,
      childTicks: f[13]! + f[14]!,
      rssBytes: f[21]! * 4096,
    };
  } catch {
    return null;
  }
}

interface Usage {
  gatewayTicks: number;
  /** Ticks of the children reaped so far (ffprobe, ended ffmpeg runs), whole lives. */
  reapedTicks: number;
  /** Ticks of each live ffmpeg child so far. */
  live: Map<number, number>;
  gatewayRss: number;
  ffmpegRss: number;
  /** Proportional set size: shared library pages split between the processes that map them. */
  pss: number;
}

async function pssBytes(pid: number | 'self'): Promise<number> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  const kb = /^Pss:\s+(\d+) kB/m.exec(text)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

async function usage(): Promise<Usage> {
  const self = (await procStat('self'))!;
  const live = new Map<number, number>();
  let ffmpegRss = 0;
  let pss = await pssBytes('self');
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = await procStat(Number(name));
    if (s && s.ppid === self.pid && s.comm === 'ffmpeg') {
      live.set(s.pid, s.ticks);
      ffmpegRss += s.rssBytes;
      pss += await pssBytes(s.pid);
    }
  }
  return {
    gatewayTicks: self.ticks,
    reapedTicks: self.childTicks,
    live,
    gatewayRss: self.rssBytes,
    ffmpegRss,
    pss,
  };
}

/**
 * CPU ticks the children used between two readings. A child reaped meanwhile adds its whole life
 * to the reaped total, so what it had used before `a` is taken off again: otherwise a warm
 * pre-roll ffmpeg that pauses when a hearing starts charges the window with the minutes it ran
 * before it (one reason the last loaded run read cpu_ratio 5.6).
 */
function childTicksBetween(a: Usage, b: Usage): number {
  let t = b.reapedTicks - a.reapedTicks;
  for (const [pid, ticks] of b.live) t += ticks - (a.live.get(pid) ?? 0);
  for (const [pid, ticks] of a.live) if (!b.live.has(pid)) t -= ticks;
  return t;
}

// ---- the run ------------------------------------------------------------------------------------
function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function firstMediaOnDisk(dir: string, since: number): Promise<number> {
  for (;;) {
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const f of files.filter((x) => SEGMENT_FILE.test(x))) {
      const s = await stat(join(dir, f)).catch(() => null);
      // A keyframe fragment, not just the file header.
      if (s && s.size >= 4096) return Date.now() - since;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Plain ffmpeg recording every stream with `-c copy` for `seconds`: its CPU, % of one core. */
async function baselineCpu(urls: string[], seconds: number, dir: string): Promise<number> {
  const procs = urls.map((url, i) =>
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
        '-map',
        '0',
        '-c',
        'copy',
        '-t',
        String(seconds),
        '-y',
        join(dir, `baseline-${i}.mkv`),
      ],
      { stdio: 'ignore' },
    ),
  );
  const t0 = Date.now();
  const ticks = await Promise.all(
    procs.map(
      (p) =>
        new Promise<number>((resolve) => {
          let last = 0;
          const poll = setInterval(async () => {
            const s = await procStat(p.pid!);
            if (s) last = s.ticks;
          }, 200);
          p.once('exit', () => {
            clearInterval(poll);
            resolve(last);
          });
        }),
    ),
  );
  const wallS = (Date.now() - t0) / 1000;
  return (ticks.reduce((a, b) => a + b, 0) / CLK_TCK / wallS) * 100;
}

async function hasAudio(path: string): Promise<boolean> {
  const { stdout } = await promisify(execFile)('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'a',
    '-show_entries',
    'stream=codec_name',
    '-of',
    'csv=p=0',
    path,
  ]);
  return stdout.trim().length > 0;
}

async function main(): Promise<void> {
  const host = machine();
  const sim = new Sim();
  const { ready } = await sim.next<{ ready: { xaddr: string; rtsp: string }[] }>();
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-cameras-'));
  const rooms = ready.map((_, i) => ({ id: `R${i + 1}`, name: `Room ${i + 1}` }));
  const config = parseConfig({
    dataDir,
    logLevel: 'silent',
    mqtt: { port: 0, host: '127.0.0.1' },
    http: { port: 0, host: '127.0.0.1' },
    dock: { ports: [] },
    cameras: { rooms, segmentSeconds: SEGMENT, healthPollS: 600 },
  });
  const app = new GatewayApp({ config, log: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }) });
  await app.start();
  try {
    for (const [i, cam] of ready.entries()) {
      await app.cameras.add(
        { id: `cam${i + 1}`, xaddr: cam.xaddr, user: 'admin', password: PASSWORD, roomId: `R${i + 1}` },
        'bench',
      );
    }
    const workDir = join(dataDir, 'recording');

    // Phase 0: every camera warm; what keeping them warm costs while idle.
    const warmDeadline = Date.now() + 60_000;
    while (Date.now() < warmDeadline && ready.some((_, i) => !app.preroll.isWarm(`cam${i + 1}`)))
      await new Promise((r) => setTimeout(r, 100));
    const warm = ready.filter((_, i) => app.preroll.isWarm(`cam${i + 1}`)).length;
    const i0 = await usage();
    const iw0 = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const i1 = await usage();
    const idleS = (Date.now() - iw0) / 1000;
    const warmCpu = ((i1.gatewayTicks - i0.gatewayTicks + childTicksBetween(i0, i1)) / CLK_TCK / idleS) * 100;

    // Phase 1, rounds interleaved with the baseline (bench/README.md): every room starts at once;
    // first media on disk; steady recording; stop -> coverage. Then plain ffmpeg, same streams.
    interface Round {
      cpu: number;
      gwCpu: number;
      ffCpu: number;
      u1: Usage;
      firsts: number[];
      coverages: number[];
      withoutLeadIn: number[];
      afterFirst: number[];
      leadMs: number[];
      tailShort: number[];
      falseInterruptions: number;
      audioCameras: number;
    }
    const gatewayRounds: Round[] = [];
    let roundNo = 0;
    const gatewayRound = async (): Promise<number> => {
      roundNo++;
      const t0 = Date.now();
      const sessions = await Promise.all(
        rooms.map((r) => app.hearings.startSession({ roomId: r.id, caseNo: `B${roundNo}-${r.id}` }, 'bench')),
      );
      const firsts = await Promise.all(
        sessions.map((s) => firstMediaOnDisk(join(workDir, s.id, s.cameras[0]!), t0)),
      );
      const u0 = await usage();
      const w0 = Date.now();
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const u1 = await usage();
      const wallS = (Date.now() - w0) / 1000;
      const stopped = await Promise.all(sessions.map((s) => app.hearings.stopSession(s.id, 'bench')));
      const rowsOf = await Promise.all(stopped.map((s) => app.hearings.segments(s.id)));
      let falseInterruptions = 0;
      let audioCameras = 0;
      for (const s of stopped) {
        falseInterruptions += (await app.interruptions.list({ sessionId: s.id, limit: 1000 })).length;
        const clips = await app.store.index.listBySession(s.id);
        const last = clips.filter((c) => c.blob).at(-1);
        if (last && (await hasAudio(app.store.layout.abs(last.blob!)))) audioCameras++;
      }
      const gwCpu = ((u1.gatewayTicks - u0.gatewayTicks) / CLK_TCK / wallS) * 100;
      const ffCpu = (childTicksBetween(u0, u1) / CLK_TCK / wallS) * 100;
      gatewayRounds.push({
        cpu: gwCpu + ffCpu,
        gwCpu,
        ffCpu,
        u1,
        firsts,
        coverages: stopped.map((s) => s.summary!.coverage),
        withoutLeadIn: stopped.map(
          (s, i) =>
            coverageOf(
              { start: s.startedAt, end: s.stoppedAt! },
              rowsOf[i]!.filter((x) => !x.leadIn),
            ).coverage,
        ),
        afterFirst: stopped.map((s, i) => {
          const own = rowsOf[i]!.filter((x) => !x.leadIn);
          const first = Math.min(...own.map((x) => x.start));
          return coverageOf({ start: first, end: s.stoppedAt! }, own).coverage;
        }),
        leadMs: stopped.flatMap((s, i) => {
          const lead = rowsOf[i]!.filter((x) => x.leadIn);
          return lead.length > 0 ? [s.startedAt - Math.min(...lead.map((x) => x.start))] : [];
        }),
        tailShort: stopped.map((s, i) =>
          Math.max(0, s.stoppedAt! - Math.max(...rowsOf[i]!.filter((x) => !x.leadIn).map((x) => x.end))),
        ),
        falseInterruptions,
        audioCameras,
      });
      // The next round starts on warm cameras again, as a hearing does.
      const warmBy = Date.now() + 30_000;
      while (Date.now() < warmBy && ready.some((_, i) => !app.preroll.isWarm(`cam${i + 1}`)))
        await new Promise((r) => setTimeout(r, 100));
      return gwCpu + ffCpu;
    };
    const sides = await interleave(ROUNDS, {
      gateway: gatewayRound,
      baseline: () =>
        baselineCpu(
          ready.map((c) => c.rtsp),
          SECONDS,
          dataDir,
        ),
    });
    const all = (pick: (r: Round) => number[]) => gatewayRounds.flatMap(pick);
    const coverages = all((r) => r.coverages);
    const withoutLeadIn = all((r) => r.withoutLeadIn);
    const afterFirst = all((r) => r.afterFirst);
    const leadMs = all((r) => r.leadMs).sort((a, b) => a - b);
    const firsts = all((r) => r.firsts).sort((a, b) => a - b);
    const tailShort = all((r) => r.tailShort);
    const falseInterruptions = gatewayRounds.reduce((n, r) => n + r.falseInterruptions, 0);
    // Every round's sessions must carry sound: the worst round counts.
    const audioCameras = Math.min(...gatewayRounds.map((r) => r.audioCameras));
    // The median round's own figures (CPU split, memory).
    const mid = [...gatewayRounds].sort((a, b) => a.cpu - b.cpu)[gatewayRounds.length >> 1]!;
    const u1 = mid.u1;

    // Phase 2: stall every camera; latency until its interruption record exists. Only records
    // opened after the stall count: one opened before (a false interruption still open) would give
    // a negative latency, and a camera whose gap was already open is a loss never detected.
    const again = await Promise.all(
      rooms.map((r) => app.hearings.startSession({ roomId: r.id, caseNo: `L-${r.id}` }, 'bench')),
    );
    await Promise.all(again.map((s) => firstMediaOnDisk(join(workDir, s.id, s.cameras[0]!), Date.now())));
    await new Promise((r) => setTimeout(r, 2000));
    const opened = new Map<string, number>();
    const off = app.bus.on('interruption.opened', (e) => {
      if (!opened.has(e.device)) opened.set(e.device, Date.now());
    });
    sim.send('stall');
    const { stalled } = await sim.next<{ stalled: number[] }>();
    const deadline = Date.now() + 30_000;
    while (opened.size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const detect = stalled
      .map((at, i) => (opened.get(`cam${i + 1}`) ?? Number.NaN) - at)
      .filter((x) => Number.isFinite(x))
      .sort((a, b) => a - b);
    sim.send('resume');
    await sim.next();
    const resumeDeadline = Date.now() + 30_000;
    while (
      Date.now() < resumeDeadline &&
      rooms.some((_, i) => app.interruptions.ongoing('camera', `cam${i + 1}`).length > 0)
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    off();
    await Promise.all(again.map((s) => app.hearings.stopSession(s.id, 'bench')));

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const baseline = spread(sides.baseline).median;
    const { gwCpu, ffCpu } = mid;
    console.log(
      JSON.stringify({
        bench: 'cameras',
        cameras: N,
        cpu_pct: round(gwCpu + ffCpu),
        rss_mb: round((u1.gatewayRss + u1.ffmpegRss) / 1024 ** 2),
        first_segment_ms: pct(firsts, 50),
        loss_detect_p50_ms: pct(detect, 50),
        loss_detect_p99_ms: pct(detect, 99),
        coverage: round(mean(coverages), 5),
        coverage_without_lead_in: round(mean(withoutLeadIn), 5),
        audio_cameras: audioCameras,
        losses_undetected: N - detect.length,
        false_interruptions: falseInterruptions,
        baseline_cpu_pct: round(baseline),
        cpu_ratio: ratioOfMedians(sides.gateway, sides.baseline),
        ...fields('cpu_pct', sides.gateway),
        ...fields('baseline_cpu_pct', sides.baseline),
        seconds: SECONDS,
        segment_s: SEGMENT,
        gateway_cpu_pct: round(gwCpu),
        ffmpeg_cpu_pct: round(ffCpu),
        gateway_rss_mb: round(u1.gatewayRss / 1024 ** 2),
        ffmpeg_rss_mb: round(u1.ffmpegRss / 1024 ** 2),
        pss_mb: round(u1.pss / 1024 ** 2),
        first_segment_max_ms: firsts.at(-1),
        coverage_min: round(Math.min(...coverages), 5),
        coverage_after_first_data: round(mean(afterFirst), 5),
        warm_cameras: warm,
        warm_cpu_pct: round(warmCpu),
        sessions_with_lead_in: leadMs.length,
        lead_in_ms: pct(leadMs, 50),
        tail_short_ms_max: Math.max(...tailShort),
        losses_detected: detect.length,
        rounds: ROUNDS,
        ...host,
      }),
    );
  } finally {
    await app.stop();
    await sim.quit();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (values['sim-child']) await simChild(N);
else await main();
