/**
 * `npm run bench -- ingest [--mb N] [--docks K] [--chunk B] [--window W]`
 *
 * Verified dock ingest over socat PTY pairs, against raw serialport throughput on PTY pairs of the
 * same kind, measured in the same run. The recorders (or the raw writers) run in a child process,
 * as a docked camera is another device; the gateway side (DockService + ClipStore + LevelDB) runs
 * here. Both modes read the same clip bytes from the same synthetic clip source, held in memory
 * (DEVICE_IO below: the device side sends as firmware would, so the bench measures the gateway).
 *
 * (a) one dock: MB/s from telling the device side to start (it then opens its port and sends
 *     HELLO; the raw runs start at the same point) to every clip verified, fsynced, indexed and
 *     released, vs one raw stream of the same bytes (stopped at its last byte received: it
 *     stores nothing, which favours the baseline); (b) K docks at once, aggregate vs K raw streams;
 * Raw is measured twice: through the `serialport` package as shipped (`raw_*`, `ratio`: the
 * issue's baseline) and through the gateway's own port binding with no protocol on top, the
 * writers sending as the simulated recorders do (`raw_loop_*`, `ratio_loop`: what the protocol and
 * the store cost on the same I/O layer).
 * (c) the cost of resuming after an unplug half way through a clip (active link time of both
 *     sessions vs a clean ingest of the same clip, the time without a cable not counted).
 * The physical limit of the link (`limit_*`, `ratio_limit`, `agg_ratio_limit`): a plain byte pump,
 * `dd bs=1M` from a file of the same bytes into the device end of the same kind of PTY pair,
 * `head -c` reading them at the gateway end; clock from the writers' spawn to the last reader's
 * exit (readers already waiting), so both sides start when the first byte may move.
 * Each mode runs `--rounds` (≥ 5) times, interleaved A B A B …; every ratio is a ratio of medians
 * (bench/README.md), each side reported as min/median/max.
 * Prints one JSON line. BENCH_VERBOSE=1: per run, MB/s, CPU ms per MB of each process (gateway
 * user+sys, device child, socat) and when the slots reached each state; `--ingest-only` skips the
 * baselines (for profiles: BENCH_CHILD_PROF=DIR profiles the device child).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPtyPair, type PtyPair } from '../device-sim/pty.js';
import { recorderWithClips } from '../device-sim/recorder/dock-fixture.js';
import { dockOnSerialPort, type RecorderDock } from '../device-sim/recorder/dock-link.js';
import type { Recorder } from '../device-sim/recorder/recorder.js';
import { DockConfig } from '../gateway/config.js';
import { type Db, openDb } from '../gateway/db.js';
import { DockService } from '../gateway/dock/service.js';
import { EventBus } from '../gateway/events.js';
import { createLogger } from '../gateway/log.js';
import { ClipStore } from '../gateway/store/index.js';
import type { DockPort } from '../protocol/dock/link/binding.js';
import { SerialPortBinding } from '../protocol/dock/link/serialport-binding.js';
import { fields, machine, ratioOfMedians } from './lib/rounds.js';
import { synth } from './lib/synth.js';
import { StockSerialPortBinding } from './stock-serialport.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '64' },
    docks: { type: 'string', default: '8' },
    chunk: { type: 'string', default: String(60 * 1024) },
    window: { type: 'string', default: '32' },
    'clip-mb': { type: 'string', default: '16' },
    rounds: { type: 'string', default: '5' },
    /** Debugging: run only some parts (a, b, c). */
    only: { type: 'string', default: 'abc' },
    /** Profiling: skip the raw and limit runs (no ratios). */
    'ingest-only': { type: 'boolean', default: false },
    child: { type: 'string' },
  },
  allowPositionals: true,
});

const MB = 1024 * 1024;
const BAUD = 921_600;
/**
 * How the simulated recorders send: as firmware's TX path does, handing whole frames to the port
 * (a blocking write waited for in the thread pool, sized for every dock in the child) and reading
 * clip bytes from memory (the flash read is DMA); recorderWithClips' `holdContent` covers the latter.
 */
const DEVICE_IO = { blockingWrites: true } as const;
const THIS_FILE = fileURLToPath(import.meta.url);

/** CPU ms used so far by the processes whose command line mentions `needle` (socat of a run). */
async function cpuOf(needle: string, isPid = false): Promise<number> {
  const { readdir, readFile } = await import('node:fs/promises');
  let ms = 0;
  for (const pid of isPid ? [needle] : await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (!isPid && !(cmd.startsWith('socat') && cmd.includes(needle))) continue;
      const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
      ms += (Number(f[11]) + Number(f[12])) * 10;
    } catch {}
  }
  return ms;
}

/** Clip sizes making up `total` bytes, at most `clip` each. */
function clipSizes(total: number, clip: number): number[] {
  const out: number[] = [];
  for (let left = total; left > 0; left -= clip) out.push(Math.min(clip, left));
  return out;
}

// ---- child: the docked recorders, or raw writers ----------------------------------------------

type ToChild =
  | { cmd: 'dock'; docks: { path: string; serial: string; sizes: number[]; stallAt?: number }[] }
  | { cmd: 'raw'; kind: RawKind; streams: { path: string; serial: string; sizes: number[] }[] }
  | { cmd: 'go' }
  | { cmd: 'redock'; i: number; path: string }
  | { cmd: 'done' }
  | { cmd: 'exit' };
/** `stock`: the serialport package's stream; `loop`: the gateway's binding (gateway/dock). */
type RawKind = 'stock' | 'loop';
const rawBinding = (kind: RawKind) =>
  kind === 'stock' ? new StockSerialPortBinding() : new SerialPortBinding();

type FromChild =
  | { ev: 'armed' }
  | { ev: 'sent'; i: number; bytes: number }
  | { ev: 'done' }
  | { ev: 'error'; message: string };

async function child(): Promise<void> {
  const send = (m: FromChild) => process.send!(m);
  const recorders: Recorder[] = [];
  const docks: RecorderDock[] = [];
  let raw: { port: DockPort; recorder: Recorder }[] = [];
  // One child serves every run of the bench, so its code is as warm as the gateway's from the
  // second round on (the best round counts); each run starts from nothing.
  const finish = async () => {
    for (const d of docks) await d.stop().catch(() => {});
    for (const r of raw) await r.port.close().catch(() => {});
    docks.length = 0;
    recorders.length = 0;
    raw = [];
    pendingDocks = undefined;
  };
  let pendingDocks: Extract<ToChild, { cmd: 'dock' }>['docks'] | undefined;
  process.on('message', async (m: ToChild) => {
    try {
      if (m.cmd === 'dock') {
        await finish();
        // Clips first (hashing them is not part of the measurement), then dock on 'go'.
        for (const d of m.docks) {
          const { recorder } = await recorderWithClips({
            serial: d.serial,
            clipBytes: d.sizes,
            seed: d.serial,
            holdContent: true,
          });
          recorders.push(recorder);
        }
        pendingDocks = m.docks;
        send({ ev: 'armed' });
      } else if (m.cmd === 'redock') {
        await docks[m.i]!.stop();
        docks[m.i] = await dockOnSerialPort(recorders[m.i]!, m.path, {
          baudRate: BAUD,
          ...DEVICE_IO,
          helloRetryMs: 100,
          window: 64,
        });
      } else if (m.cmd === 'raw') {
        await finish();
        const binding = rawBinding(m.kind);
        for (const s of m.streams) {
          const { recorder } = await recorderWithClips({
            serial: s.serial,
            clipBytes: s.sizes,
            seed: s.serial,
            holdContent: true,
          });
          // `loop`: the device side of the docks' own I/O (DEVICE_IO), without the protocol.
          const opts = m.kind === 'loop' ? { baudRate: BAUD, ...DEVICE_IO } : { baudRate: BAUD };
          raw.push({ port: await binding.open(s.path, opts), recorder });
        }
        send({ ev: 'armed' });
      } else if (m.cmd === 'go' && pendingDocks) {
        const list = pendingDocks;
        pendingDocks = undefined;
        for (const [i, d] of list.entries()) {
          docks.push(
            await dockOnSerialPort(recorders[i]!, d.path, {
              baudRate: BAUD,
              ...DEVICE_IO,
              helloRetryMs: 100,
              window: 64,
              ...(d.stallAt ? { faults: { stallAfterDataBytes: d.stallAt } } : {}),
            }),
          );
        }
      } else if (m.cmd === 'go') {
        // The same bytes the dock would serve, read from the same source, no protocol.
        await Promise.all(
          raw.map(async ({ port, recorder }, i) => {
            let sent = 0;
            let writing: Promise<void> = Promise.resolve();
            for (const c of recorder.clips()) {
              for (let off = 0; off < c.bytes; off += 60 * 1024) {
                // Read the next chunk while the previous one is being written, as the dock does.
                const chunk = await recorder.readClip(c.clipId, off, 60 * 1024);
                await writing;
                writing = port.write(chunk);
                sent += chunk.length;
              }
            }
            await writing;
            send({ ev: 'sent', i, bytes: sent });
          }),
        );
      } else if (m.cmd === 'done') {
        await finish();
        send({ ev: 'done' });
      } else if (m.cmd === 'exit') {
        await finish();
        process.exit(0);
      }
    } catch (err) {
      send({ ev: 'error', message: String(err) });
    }
  });
}

// ---- parent: the gateway side ----------------------------------------------------------------

function startChild(): {
  proc: ChildProcess;
  next(ev: FromChild['ev']): Promise<FromChild>;
  send(m: ToChild): void;
} {
  const proc = fork(THIS_FILE, ['--child', '1'], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_CHILD_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CHILD_PROF}`]
        : []),
    ],
    stdio: 'inherit',
    // One pool thread per dock's blocking write, and the usual four besides.
    env: { ...process.env, UV_THREADPOOL_SIZE: String(Number(values.docks) + 4) },
  });
  const waiting: { ev: string; resolve(m: FromChild): void }[] = [];
  const inbox: FromChild[] = [];
  proc.on('message', (m: FromChild) => {
    if (m.ev === 'error') {
      console.error(`bench child: ${m.message}`);
      process.exit(1);
    }
    const w = waiting.findIndex((x) => x.ev === m.ev);
    if (w >= 0) waiting.splice(w, 1)[0]!.resolve(m);
    else inbox.push(m);
  });
  return {
    proc,
    send: (m) => proc.send(m),
    next(ev) {
      const i = inbox.findIndex((m) => m.ev === ev);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]!);
      return new Promise((resolve) => waiting.push({ ev, resolve }));
    },
  };
}

let shared: ReturnType<typeof startChild> | undefined;
/** The one device-side child of this bench. */
function child0(): ReturnType<typeof startChild> {
  shared ??= startChild();
  return shared;
}

/** End a run in the child (docks stopped, ports closed); the child stays for the next run. */
async function runDone(c: ReturnType<typeof startChild>): Promise<void> {
  c.send({ cmd: 'done' });
  await c.next('done');
}

async function stopChild(c: ReturnType<typeof startChild>): Promise<void> {
  const exited = new Promise((r) => c.proc.once('exit', r));
  c.send({ cmd: 'exit' });
  await exited;
}

interface Gateway {
  dir: string;
  db: Db;
  store: ClipStore;
  bus: EventBus;
  docks: DockService;
  close(): Promise<void>;
}

async function gateway(dir: string): Promise<Gateway> {
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
  const db = await openDb(join(dir, 'index'));
  const bus = new EventBus(log);
  const store = await ClipStore.open({ root: join(dir, 'store'), db, bus, log });
  const docks = new DockService({
    config: DockConfig.parse({
      ports: [join(dir, 'dock*')],
      baudRate: BAUD,
      reserveBytes: 0,
      chunkBytes: Number(values.chunk),
      readWindow: Number(values.window),
    }),
    db,
    store,
    bus,
    log,
    registry: { isKnown: () => true },
  });
  await docks.start();
  return {
    dir,
    db,
    store,
    bus,
    docks,
    async close() {
      await docks.stop();
      await store.stop();
      await db.close();
    },
  };
}

/** ms from each slot accepting its recorder to all of them `ready`. */
function timeToReady(g: Gateway, slots: string[]): Promise<number> {
  const start = new Map<string, number>();
  const done = new Map<string, number>();
  return new Promise((resolve) => {
    const off = g.bus.on('dock.changed', (e) => {
      if (!slots.includes(e.slot)) return;
      if (e.state === 'syncing' && !start.has(e.slot)) start.set(e.slot, performance.now());
      if (e.state === 'ready' && start.has(e.slot)) done.set(e.slot, performance.now());
      if (done.size === slots.length) {
        off();
        resolve(Math.max(...done.values()) - Math.min(...start.values()));
      }
    });
  });
}

/** performance.now() when every slot is `ready` (its clips verified, fsynced, indexed, released). */
function allReady(g: Gateway, slots: string[]): Promise<number> {
  const done = new Set<string>();
  return new Promise((resolve) => {
    const off = g.bus.on('dock.changed', (e) => {
      if (!slots.includes(e.slot) || e.state !== 'ready') return;
      done.add(e.slot);
      if (done.size === slots.length) {
        off();
        resolve(performance.now());
      }
    });
  });
}

async function pairs(dir: string, k: number, tag: string): Promise<PtyPair[]> {
  const out: PtyPair[] = [];
  for (let i = 0; i < k; i++)
    out.push(await createPtyPair(join(dir, `dock-${tag}${i}`), join(dir, `dev-${tag}${i}`)));
  return out;
}

/** K docks ingesting `bytesEach` at once; returns aggregate MB/s. */
async function ingestRun(root: string, k: number, bytesEach: number, clipBytes: number): Promise<number> {
  const dir = await mkdtemp(join(root, `ingest${k}-`));
  const g = await gateway(dir);
  const ps = await pairs(dir, k, 'i');
  const c = child0();
  const ready = allReady(
    g,
    ps.map((p) => p.gatewayPath),
  );
  c.send({
    cmd: 'dock',
    docks: ps.map((p, i) => ({
      path: p.devicePath,
      serial: `BENCH${k}x${i}`,
      sizes: clipSizes(bytesEach, clipBytes),
    })),
  });
  await c.next('armed');
  const cpu = await cpuSnapshot(c.proc.pid!, dir);
  // The same boundary as the raw and limit runs: from telling the device side to start (the first
  // byte may move; the port open and HELLO are part of the job) to the last clip durable.
  const t0 = performance.now();
  const phases = phaseLog(g, t0);
  c.send({ cmd: 'go' });
  const ms = (await ready) - t0;
  phases(`ingest x${k}`);
  await cpuReport(`ingest x${k}`, cpu, k * bytesEach);
  await runDone(c);
  for (const p of ps) await p.unplug();
  await g.close();
  await rm(dir, { recursive: true, force: true });
  return (k * bytesEach) / MB / (ms / 1000);
}

/** With BENCH_VERBOSE: when the slots first entered each state (ms after `t0`, earliest slot). */
function phaseLog(g: Gateway, t0: number): (what: string) => void {
  const first = new Map<string, number>();
  const off = g.bus.on('dock.changed', (e) => {
    if (!first.has(e.state)) first.set(e.state, performance.now() - t0);
  });
  return (what) => {
    off();
    if (!process.env.BENCH_VERBOSE) return;
    const list = [...first].map(([s, ms]) => `${s} ${ms.toFixed(0)}`).join(', ');
    console.error(`${what} phases (ms): ${list}`);
  };
}

interface CpuSnap {
  self: NodeJS.CpuUsage;
  child: number;
  socat: number;
  childPid: number;
  dir: string;
}

async function cpuSnapshot(childPid: number, dir: string): Promise<CpuSnap> {
  return {
    self: process.cpuUsage(),
    child: await cpuOf(`${childPid}`, true),
    socat: await cpuOf(dir),
    childPid,
    dir,
  };
}

/** With BENCH_VERBOSE: CPU ms per MB of this process, the child and socat since the snapshot. */
async function cpuReport(what: string, s: CpuSnap, bytes: number): Promise<void> {
  if (!process.env.BENCH_VERBOSE) return;
  const self = process.cpuUsage(s.self);
  const mb = bytes / MB;
  const child = (await cpuOf(`${s.childPid}`, true)) - s.child;
  const socat = (await cpuOf(s.dir)) - s.socat;
  console.error(
    `${what} cpu ms/MB: gateway ${((self.user + self.system) / 1000 / mb).toFixed(1)} (sys ${(self.system / 1000 / mb).toFixed(1)}), device ${(child / mb).toFixed(1)}, socat ${(socat / mb).toFixed(1)}`,
  );
}

/** K raw streams of the same bytes at once; returns aggregate MB/s. */
async function rawRun(
  root: string,
  k: number,
  bytesEach: number,
  clipBytes: number,
  kind: RawKind,
): Promise<number> {
  const dir = await mkdtemp(join(root, `raw${k}-`));
  const ps = await pairs(dir, k, 'r');
  const binding = rawBinding(kind);
  const c = child0();
  const readers = await Promise.all(ps.map((p) => binding.open(p.gatewayPath, { baudRate: BAUD })));
  c.send({
    cmd: 'raw',
    kind,
    streams: ps.map((p, i) => ({
      path: p.devicePath,
      serial: `BENCH${k}x${i}`,
      sizes: clipSizes(bytesEach, clipBytes),
    })),
  });
  await c.next('armed');
  let got = 0;
  const total = k * bytesEach;
  const done = new Promise<number>((resolve) => {
    for (const r of readers) {
      r.onData((chunk) => {
        got += chunk.length;
        if (got >= total) resolve(performance.now());
      });
    }
  });
  const cpu = await cpuSnapshot(c.proc.pid!, dir);
  const t0 = performance.now();
  c.send({ cmd: 'go' });
  const t1 = await done;
  await cpuReport(`raw ${kind} x${k}`, cpu, total);
  for (const r of readers) await r.close();
  await runDone(c);
  for (const p of ps) await p.unplug();
  await rm(dir, { recursive: true, force: true });
  return total / MB / ((t1 - t0) / 1000);
}

function exited(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'] });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/** K plain byte pumps (dd into the device end, head -c at the gateway end); aggregate MB/s. */
async function limitRun(root: string, k: number, bytesEach: number): Promise<number> {
  const dir = await mkdtemp(join(root, `limit${k}-`));
  const ps = await pairs(dir, k, 'l');
  const file = join(dir, 'bytes');
  await writeFile(file, synth(k, bytesEach));
  const readers = ps.map((p) =>
    exited('sh', ['-c', `head -c ${bytesEach} "$1" >/dev/null`, 'sh', p.gatewayPath]),
  );
  await new Promise((r) => setTimeout(r, 100)); // the readers have the ports open
  const t0 = performance.now();
  await Promise.all(ps.map((p) => exited('dd', [`if=${file}`, `of=${p.devicePath}`, 'bs=1M'])));
  await Promise.all(readers);
  const t1 = performance.now();
  for (const p of ps) await p.unplug();
  await rm(dir, { recursive: true, force: true });
  return (k * bytesEach) / MB / ((t1 - t0) / 1000);
}

/** Clean ingest of one clip vs the same clip with an unplug half way; % extra active link time. */
async function resumeRun(root: string, bytes: number): Promise<number> {
  const cleanMs = (bytes / MB / (await ingestRun(root, 1, bytes, bytes))) * 1000;
  const dir = await mkdtemp(join(root, 'resume-'));
  const g = await gateway(dir);
  let [pair] = await pairs(dir, 1, 'u');
  const slot = pair!.gatewayPath;
  const c = child0();
  const half = Math.floor(bytes / 2);
  let t0 = 0;
  g.bus.on('dock.changed', (e) => {
    if (e.slot === slot && e.state === 'syncing' && t0 === 0) t0 = performance.now();
  });
  c.send({
    cmd: 'dock',
    docks: [{ path: pair!.devicePath, serial: 'BENCHU', sizes: [bytes], stallAt: half }],
  });
  await c.next('armed');
  c.send({ cmd: 'go' });
  // Session 1 runs until the gateway holds everything the recorder sent before it stalled.
  let held = 0;
  for (;;) {
    const t = (await g.store.tempTransfers())[0];
    held = t?.bytes ?? 0;
    if (held >= half) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  const firstMs = performance.now() - t0;
  await pair!.unplug();
  while (g.docks.slot(slot)) await new Promise((r) => setTimeout(r, 5));
  [pair] = await pairs(dir, 1, 'u');
  const second = timeToReady(g, [slot]);
  c.send({ cmd: 'redock', i: 0, path: pair!.devicePath });
  const secondMs = await second;
  await runDone(c);
  await pair!.unplug();
  await g.close();
  await rm(dir, { recursive: true, force: true });
  return ((firstMs + secondMs - cleanMs) / cleanMs) * 100;
}

async function main(): Promise<void> {
  const mb = Number(values.mb);
  const k = Number(values.docks);
  const rounds = Math.max(5, Number(values.rounds));
  const only = values.only;
  const clipBytes = Number(values['clip-mb']) * MB;
  const total = Math.round(mb * MB);
  const root = await mkdtemp(join(tmpdir(), 'bench-ingest-'));
  try {
    const note = (what: string, v: number) => {
      if (process.env.BENCH_VERBOSE) console.error(`${what}: ${v.toFixed(2)}`);
      return v;
    };
    // The machine is shared: interleave the modes; medians count.
    const host = machine();
    const m: Record<string, number[]> = {
      raw1: [],
      loop1: [],
      limit1: [],
      ingest1: [],
      rawK: [],
      loopK: [],
      limitK: [],
      ingestK: [],
    };
    const resumes: number[] = [];
    const each = Math.max(MB, Math.round(total / k));
    const add = (key: string, what: string, v: number) => m[key]!.push(note(what, v));
    for (let round = 0; round < rounds; round++) {
      const baselines = !values['ingest-only'];
      if (only.includes('a')) {
        if (baselines) {
          add('raw1', 'raw stock x1 MB/s', await rawRun(root, 1, total, clipBytes, 'stock'));
          add('loop1', 'raw loop x1 MB/s', await rawRun(root, 1, total, clipBytes, 'loop'));
          add('limit1', 'limit x1 MB/s', await limitRun(root, 1, total));
        }
        add('ingest1', 'ingest x1 MB/s', await ingestRun(root, 1, total, clipBytes));
      }
      if (only.includes('b')) {
        if (baselines) {
          add('rawK', `raw stock x${k} MB/s`, await rawRun(root, k, each, clipBytes, 'stock'));
          add('loopK', `raw loop x${k} MB/s`, await rawRun(root, k, each, clipBytes, 'loop'));
          add('limitK', `limit x${k} MB/s`, await limitRun(root, k, each));
        }
        add('ingestK', `ingest x${k} MB/s`, await ingestRun(root, k, each, clipBytes));
      }
      if (only.includes('c')) {
        resumes.push(note('resume overhead %', await resumeRun(root, Math.min(total, clipBytes))));
      }
    }
    console.log(
      JSON.stringify({
        bench: 'ingest',
        ...host,
        rounds,
        mb,
        docks: k,
        ...fields('ingest_mb_per_s', m.ingest1!),
        ...fields('raw_mb_per_s', m.raw1!),
        ...fields('raw_loop_mb_per_s', m.loop1!),
        ...fields('limit_mb_per_s', m.limit1!),
        ratio: ratioOfMedians(m.ingest1!, m.raw1!),
        ratio_loop: ratioOfMedians(m.ingest1!, m.loop1!),
        ratio_limit: ratioOfMedians(m.ingest1!, m.limit1!),
        ...fields('agg_ingest_mb_per_s', m.ingestK!),
        ...fields('agg_raw_mb_per_s', m.rawK!),
        ...fields('agg_raw_loop_mb_per_s', m.loopK!),
        ...fields('agg_limit_mb_per_s', m.limitK!),
        agg_ratio: ratioOfMedians(m.ingestK!, m.rawK!),
        agg_ratio_loop: ratioOfMedians(m.ingestK!, m.loopK!),
        agg_ratio_limit: ratioOfMedians(m.ingestK!, m.limitK!),
        ...fields('resume_overhead_pct', resumes),
        chunk_bytes: Number(values.chunk),
        window: Number(values.window),
      }),
    );
  } finally {
    if (shared) await stopChild(shared);
    await rm(root, { recursive: true, force: true });
  }
}

if (values.child) await child();
else await main();
