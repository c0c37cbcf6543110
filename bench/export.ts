/**
 * `npm run bench -- export [--gb N] [--clip-mb M] [--rounds R]`: evidence discs (R23).
 *
 * Setup, untimed: the real gateway (GatewayApp, its store, custody and exports) in a temp data dir;
 * N GB of synthetic clips (default 2 GB as 16 MB clips) ingested through the real store (temp
 * writer, commit: fsync, SHA-256 check, link, index, audit).
 *
 * Three sets, each side run once per round, interleaved A B A B … (bench/README.md):
 * 1. export: the principal's approval to a ready disc, end to end — legal hold, every original
 *    checked, manifest.json + manifest.pdf, `export-built`, a signed checkpoint, custody files,
 *    xorriso packing the originals mapped from the store, the image hashed as xorriso writes it
 *    and fsynced — against xorriso alone packing the same files (the same argv, the same originals
 *    and disc root, its image written straight to a file by xorriso and fsynced). MB/s = clip
 *    bytes / wall time. Two export sides: `export`, as the gateway runs (each original checked by
 *    its identity against its chunk table, made after ingest from a whole hash that matched;
 *    exports/disc.ts), and `export_rehash`, every original re-hashed (its table removed before
 *    the round and put back after, untimed): that is the work xorriso alone does not do, shown
 *    as `ratio_rehash` beside `ratio`.
 * 2. verify.mjs (a child `node verify.mjs DIR`, must pass) over the extracted disc against
 *    `sha256sum` of the same files (every file of the extracted disc). MB/s = bytes of those files.
 *    For context also `openssl dgst -sha256` (SHA extensions; coreutils here has none).
 * 3. a full store verify (ClipStore.verify: every blob re-hashed, sidecars, the audit chain) against
 *    `sha256sum` of the same blobs.
 * Page cache: warm for both sides of every pair — every file read is read once, untimed, before
 * the first round (the data fit in RAM many times over); each round's image is deleted after it
 * was timed, so both sides write into the same cache state.
 * Prints one JSON line; ratios are of medians.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs, promisify } from 'node:util';
import { GatewayApp } from '../gateway/app.js';
import { type ChunkTable, ChunkTables } from '../gateway/clips/chunk-table.js';
import { parseConfig } from '../gateway/config.js';
import { discPaths } from '../gateway/exports/disc.js';
import { volumeIdFor, xorrisoArgs } from '../gateway/exports/xorriso.js';
import { createLogger } from '../gateway/log.js';
import { sha256Hex } from '../gateway/store/canonical.js';
import type { ClipStore } from '../gateway/store/index.js';
import { fields, interleave, machine, ratioOfMedians, round2, spread } from './lib/rounds.js';
import { synth } from './lib/synth.js';

const { values } = parseArgs({
  options: {
    gb: { type: 'string', default: '2' },
    'clip-mb': { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
  },
});
const run = promisify(execFile);
const MB = 1024 * 1024;
const clipBytes = Math.round(Number(values['clip-mb']) * MB);
const nClips = Math.max(1, Math.round((Number(values.gb) * 1024 * MB) / clipBytes));
const rounds = Math.max(3, Number(values.rounds));

async function put(store: ClipStore, i: number, bytes: Buffer): Promise<string> {
  const clipId = `bench-${String(i).padStart(5, '0')}`;
  const source = { kind: 'recorder' as const, id: `REC-${i % 8}` };
  const w = await store.createTempWriter({ clipId, source, expectedBytes: bytes.length });
  for (let at = 0; at < bytes.length; at += MB) await w.append(bytes.subarray(at, at + MB), at);
  const start = Date.now() - 3_600_000 + i * 1000;
  await store.commit(w, {
    clipId,
    source,
    sessionId: `S-${Math.floor(i / 16)}`,
    officer: { id: `off-${i % 20}`, name: '测试警官', certNo: `ZJ-${i % 20}` },
    caseNo: 'BENCH-1',
    activity: 'inspection',
    start,
    end: start + 900,
    bytes: bytes.length,
    sha256: sha256Hex(bytes),
  });
  return clipId;
}

async function readAll(paths: string[]): Promise<number> {
  let n = 0;
  for (const p of paths) for await (const c of createReadStream(p, { highWaterMark: 4 * MB })) n += c.length;
  return n;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

/** CPU seconds so far of this process (every thread) and of its children that have exited. */
async function cpuSeconds(): Promise<number> {
  const self = process.cpuUsage();
  // /proc/self/stat fields 16, 17: cutime, cstime of waited-for children, in clock ticks (100 Hz).
  const stat = await readFile('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (self.user + self.system) / 1e6 + (Number(f[13]) + Number(f[14])) / 100;
}

/** CPU seconds spent by each side's timed runs (this process and xorriso/cat), per round. */
const cpu: Record<string, number[]> = {};

/** Seconds of wall time of `fn`; its CPU seconds go to `cpu[side]`. */
async function timed(fn: () => Promise<unknown>, side?: string): Promise<number> {
  const c0 = side ? await cpuSeconds() : 0;
  const t0 = performance.now();
  await fn();
  const secs = (performance.now() - t0) / 1000;
  if (side) {
    cpu[side] ??= [];
    cpu[side].push((await cpuSeconds()) - c0);
  }
  return secs;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((res, rej) => {
    child.once('error', rej);
    child.once('close', res);
  });

/**
 * xorriso alone, the same argv (so the same `-stdio_sync off`), the image fsynced at the end,
 * written either by xorriso itself into the file (`file`, as the gateway has it write) or into a
 * pipe that plain `cat` drains into the file (`pipe`). Both are measured; the faster median is the
 * baseline.
 */
async function xorrisoAlone(plan: Parameters<typeof xorrisoArgs>[0], dest: string, mode: 'file' | 'pipe') {
  const fh = await open(dest, 'w', 0o600);
  try {
    if (mode === 'file') {
      const code = await exited(
        spawn('xorriso', xorrisoArgs(plan), { stdio: ['ignore', 'ignore', 'ignore', fh.fd] }),
      );
      if (code !== 0) throw new Error(`xorriso exited ${code}`);
    } else {
      const x = spawn('xorriso', xorrisoArgs(plan), { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
      const cat = spawn('cat', [], { stdio: [x.stdio[3] as Readable, fh.fd, 'ignore'] });
      // cat holds its own copy of the pipe's read end; ours must close or xorriso never 'close's.
      (x.stdio[3] as Readable).destroy();
      const [a, b] = await Promise.all([exited(x), exited(cat)]);
      if (a !== 0 || b !== 0) throw new Error(`xorriso | cat exited ${a}, ${b}`);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function sha256sum(paths: string[]): Promise<void> {
  await run('sha256sum', ['--', ...paths], { maxBuffer: 64 * MB });
}

/** Context only: Debian's coreutils sha256sum does not use the CPU's SHA extensions; OpenSSL does. */
async function opensslSha256(paths: string[]): Promise<void> {
  await run('openssl', ['dgst', '-sha256', ...paths], { maxBuffer: 64 * MB });
}

const dir = await mkdtemp(join(tmpdir(), 'bench-export-'));
const config = parseConfig({
  dataDir: join(dir, 'data'),
  logLevel: 'silent',
  mqtt: { port: 0, host: '127.0.0.1' },
  http: { port: 0, host: '127.0.0.1' },
  dock: { ports: [] },
});
const app = new GatewayApp({ config, log: createLogger({ level: 'silent' }) });
await app.start();
try {
  if (!app.custodyPort) throw new Error('the custody service is not wired in: no checkpoints, no disc');
  await app.users.add({
    username: 'legal',
    displayName: '法规处',
    roles: ['legal-affairs'],
    password: 'bench-password-1',
  });
  await app.users.add({
    username: 'chief',
    displayName: '局长',
    roles: ['principal'],
    password: 'bench-password-2',
  });
  const legal = (await app.users.get('legal'))!;
  const chief = (await app.users.get('chief'))!;

  const payload = synth(7, clipBytes);
  const clipIds: string[] = [];
  for (let i = 0; i < nClips; i++) {
    payload.writeUInt32LE(i, 0);
    clipIds.push(await put(app.store, i, payload));
  }
  const blobs = await Promise.all(
    clipIds.map(async (id) => app.store.layout.blobPath('blobs', (await app.store.index.get(id))!.sha256)),
  );
  const totalBytes = clipBytes * nClips;
  await readAll(blobs);
  // The chunk tables the gateway makes after each ingest (in the background).
  const tables = new ChunkTables(app.db);
  const shas = await Promise.all(clipIds.map(async (id) => (await app.store.index.get(id))!.sha256));
  for (const sha of shas) {
    while (!(await tables.get(sha))) await new Promise((r) => setTimeout(r, 50));
  }
  const saved = (await Promise.all(shas.map((sha) => tables.get(sha)))) as ChunkTable[];
  const checks = { export: [] as number[], export_rehash: [] as number[] };

  const exportsDir = join(config.dataDir, 'exports');
  let lastRoot = '';
  let lastImage = '';
  let previousImage = '';
  const exportOnce = (side: 'export' | 'export_rehash') => async () => {
    if (side === 'export_rehash') for (const sha of shas) await tables.delete(sha);
    const view = await app.exports.request(
      {
        clipIds,
        sessionIds: [],
        hearingIds: [],
        interruptionIds: [],
        caseNo: 'BENCH-1',
        purpose: 'benchmark',
        recipient: { kind: 'court', name: '测试法院' },
        sensitivity: 'normal',
      },
      legal,
    );
    const secs = await timed(async () => {
      await app.exports.approve(view.id, chief);
      await app.exports.settled(view.id);
    }, side);
    const done = await app.exports.get(view.id, chief);
    if (done.state !== 'ready') throw new Error(`export ${view.id} ${done.state}: ${done.error}`);
    if (side === 'export_rehash') for (const t of saved) await tables.put(t);
    checks[side].push(done.originals?.rehashed ?? -1);
    const paths = discPaths(exportsDir, view.id);
    if (previousImage) await rm(previousImage, { force: true });
    previousImage = lastImage;
    lastRoot = paths.root;
    lastImage = paths.image;
    return totalBytes / MB / secs;
  };
  const plan = () => ({
    rootDir: lastRoot,
    files: clipIds.map((id, i) => ({ from: blobs[i]!, to: `/clips/${id}.bin` })),
    volumeId: volumeIdFor('bench'),
  });
  const aloneImage = join(dir, 'alone.iso');
  const xorrisoOnce = (mode: 'file' | 'pipe') => async () => {
    const secs = await timed(() => xorrisoAlone(plan(), aloneImage, mode), `xorriso_${mode}`);
    await rm(aloneImage, { force: true });
    return totalBytes / MB / secs;
  };
  // An untimed export first: the disc root the xorriso side maps too, and a warm xorriso binary.
  await exportOnce('export')();
  checks.export.length = 0;
  cpu.export = [];
  const raw = await interleave(rounds, {
    export: exportOnce('export'),
    export_rehash: exportOnce('export_rehash'),
    xorriso_file: xorrisoOnce('file'),
    xorriso_pipe: xorrisoOnce('pipe'),
  });
  const best = spread(raw.xorriso_file).median >= spread(raw.xorriso_pipe).median ? 'file' : 'pipe';
  const pack = { export: raw.export, xorriso: best === 'file' ? raw.xorriso_file : raw.xorriso_pipe };

  // The last disc, extracted with a foreign tool, for the verifiers.
  const extracted = join(dir, 'extracted');
  await run('xorriso', ['-indev', lastImage, '-osirrox', 'on', '-extract', '/', extracted]);
  const discFiles = await filesUnder(extracted);
  const discBytes = await readAll(discFiles);
  const verifyMjs = join(extracted, 'verify.mjs');
  const verify = await interleave(rounds, {
    verify_mjs: async () => {
      const secs = await timed(() =>
        run(process.execPath, [verifyMjs, extracted, '--json'], { maxBuffer: 64 * MB }),
      );
      return discBytes / MB / secs;
    },
    sha256sum: async () => discBytes / MB / (await timed(() => sha256sum(discFiles))),
    openssl: async () => discBytes / MB / (await timed(() => opensslSha256(discFiles))),
  });
  const blobBytes = (await Promise.all(blobs.map((b) => stat(b)))).reduce((s, x) => s + x.size, 0);
  const storeVerify = await interleave(rounds, {
    store: async () => {
      let ok = false;
      const secs = await timed(async () => {
        ok = (await app.store.verify()).ok;
      });
      if (!ok) throw new Error('store verify failed');
      return blobBytes / MB / secs;
    },
    sha256sum: async () => blobBytes / MB / (await timed(() => sha256sum(blobs))),
  });

  const med = (xs: number[]) => round2(spread(xs).median);
  console.log(
    JSON.stringify({
      bench: 'export',
      gb: round2(totalBytes / (1024 * MB)),
      clips: nClips,
      clip_mb: round2(clipBytes / MB),
      export_mb_per_s: med(pack.export),
      xorriso_mb_per_s: med(pack.xorriso),
      ratio: ratioOfMedians(pack.export, pack.xorriso),
      export_rehash_mb_per_s: med(raw.export_rehash),
      ratio_rehash: ratioOfMedians(raw.export_rehash, pack.xorriso),
      originals_rehashed: { export: checks.export, export_rehash: checks.export_rehash },
      // CPU seconds per run (this process, its workers, xorriso and cat): what wall time becomes
      // on a machine whose cores are busy with other work.
      export_cpu_s: med(cpu.export!),
      export_rehash_cpu_s: med(cpu.export_rehash!),
      xorriso_cpu_s: med(cpu[`xorriso_${best}`]!),
      xorriso_file_cpu_s: med(cpu.xorriso_file!),
      xorriso_pipe_cpu_s: med(cpu.xorriso_pipe!),
      verify_mjs_mb_per_s: med(verify.verify_mjs),
      sha256sum_mb_per_s: med(verify.sha256sum),
      verify_ratio: ratioOfMedians(verify.verify_mjs, verify.sha256sum),
      openssl_sha256_mb_per_s: med(verify.openssl),
      verify_vs_openssl_ratio: ratioOfMedians(verify.verify_mjs, verify.openssl),
      store_verify_mb_per_s: med(storeVerify.store),
      store_sha256sum_mb_per_s: med(storeVerify.sha256sum),
      store_verify_ratio: ratioOfMedians(storeVerify.store, storeVerify.sha256sum),
      ...fields('export_mb_per_s', pack.export),
      ...fields('xorriso_mb_per_s', pack.xorriso),
      xorriso_baseline: best,
      xorriso_file_mb_per_s: med(raw.xorriso_file),
      xorriso_pipe_mb_per_s: med(raw.xorriso_pipe),
      ...fields('verify_mjs_mb_per_s', verify.verify_mjs),
      ...fields('sha256sum_mb_per_s', verify.sha256sum),
      cache: 'warm (every file read once untimed before the first round)',
      rounds,
      ...machine(),
    }),
  );
} finally {
  await app.stop();
  await rm(dir, { recursive: true, force: true });
}
