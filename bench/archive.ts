/**
 * `npm run bench -- archive [--mb N] [--clip-mb M] [--rounds R] [--concurrency C]`: replication of
 * N MB of M MB originals to a real Ceph RGW bucket with Object Lock against plain `PutObject` of the
 * same files through the same SDK client settings, C uploads in flight on both sides.
 *
 * - replicate: ArchiveService, the gateway's own path, on a fresh queue: per original a HEAD (is it
 *   there already?), the PUT streamed from the store's file under COMPLIANCE retention with the
 *   SHA-256 as the signed payload hash (RGW hashes what it receives and refuses a mismatch before
 *   storing: the verification, s3.ts), the sidecar's PUT the same way, the lock as the bucket
 *   reports it (GetObjectRetention for both), the copy's record and an audit entry, the durable
 *   queue's rows. No whole read-back: that moved to eviction and the scheduled pass (service.ts).
 * - put: PutObject of the same files streamed from disk (UNSIGNED-PAYLOAD: nothing checks the bytes
 *   on arrival), nothing else.
 *
 * Clock: from the first request to the last copy recorded (replication: the service started on a
 * fresh queue until the queue is empty; baseline: the first PUT to the last PUT's response). Each
 * round writes new keys (a per-round prefix) so no side finds its objects already there. Cache: warm
 * (the files are read once, untimed, before the first round). CPU: seconds of this process and of
 * the Ceph daemons (mon, osd, rgw from /proc) per round, medians reported, less disturbed by the
 * load of a shared box than the rates. Ceph is started by the test helper (single node, loopback,
 * data under a temp dir).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ArchiveConfig } from '../gateway/archive/config.js';
import { ArchiveBucket } from '../gateway/archive/s3.js';
import { ArchiveService } from '../gateway/archive/service.js';
import { openDb } from '../gateway/db.js';
import { EventBus } from '../gateway/events.js';
import { createLogger } from '../gateway/log.js';
import { sha256Hex } from '../gateway/store/canonical.js';
import { ClipStore } from '../gateway/store/clip-store.js';
import { startCeph } from '../test/helpers/ceph.js';
import { fields, interleave, machine, ratioOfMedians, round2, spread } from './lib/rounds.js';
import { synth } from './lib/synth.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '1024' },
    'clip-mb': { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
  },
});
const concurrency = Math.max(1, Number(values.concurrency));
const totalMb = Number(values.mb);
const clipMb = Number(values['clip-mb']);
const rounds = Math.max(3, Number(values.rounds));
// The test cluster's OSD is an 8 GiB file and full at 95 %; replicated copies are locked for
// months and cannot be deleted (the baseline's objects are, after each round). Refuse rather than
// hang on a full OSD.
if (totalMb * (rounds + 1) > 6500)
  throw new Error(
    `--mb ${totalMb} × ${rounds} rounds does not fit the 8 GiB test cluster (keep mb × (rounds + 1) ≤ 6500)`,
  );
const host = machine();
const log = createLogger({ level: 'silent' });
const progress = (msg: string) => process.stderr.write(`[bench archive] ${msg}\n`);

/** CPU seconds so far of this process (`bench`) and of each Ceph daemon with a pid file under `dir`. */
async function cpuSeconds(dir: string): Promise<Record<string, number>> {
  const own = process.cpuUsage();
  const out: Record<string, number> = { bench: (own.user + own.system) / 1e6 };
  for (const f of await readdir(join(dir, 'run'))) {
    if (!f.endsWith('.pid')) continue;
    const pid = (await readFile(join(dir, 'run', f), 'utf8')).trim();
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // USER_HZ is 100 on Linux.
    out[f.replace(/\.pid$/, '').replace(/^client\./, '')] =
      (Number(rest[11] ?? 0) + Number(rest[12] ?? 0)) / 100;
  }
  return out;
}

type Side = 'replicate' | 'put';
const cpu: Record<Side, Record<string, number>[]> = { replicate: [], put: [] };
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
/** Median CPU seconds per process of one side. */
const cpuBy = (side: Side) =>
  Object.fromEntries(
    Object.keys(cpu[side][0] ?? {}).map((k) => [k, round2(spread(cpu[side].map((c) => c[k] ?? 0)).median)]),
  );
let cephDir = '';

async function timed(side: Side, f: () => Promise<unknown>): Promise<number> {
  const c0 = await cpuSeconds(cephDir);
  const t = performance.now();
  await f();
  const ms = performance.now() - t;
  const c1 = await cpuSeconds(cephDir);
  cpu[side].push(Object.fromEntries(Object.entries(c1).map(([k, v]) => [k, v - (c0[k] ?? 0)])));
  return ms;
}

/** Runs `work(i)` for i in [0, n) with `width` at a time. */
async function pool(n: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

const dir = await mkdtemp(join(tmpdir(), 'bench-archive-'));
progress('starting Ceph');
const ceph = await startCeph();
cephDir = ceph.dir;
const db = await openDb(join(dir, 'index'));
const store = await ClipStore.open({ root: join(dir, 'store'), db });
const credentials = { accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey };
const credentialsFile = join(dir, 'credentials.json');
await writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
const bucket = new ArchiveBucket({
  endpoint: ceph.endpoint,
  region: 'us-east-1',
  bucket: 'bench',
  credentials,
});
try {
  await bucket.ensureBucket(true);
  const clipBytes = Math.round(clipMb * 1024 * 1024);
  const n = Math.max(1, Math.round(totalMb / clipMb));
  const payload = synth(7, clipBytes);
  const files: { path: string; bytes: number }[] = [];
  progress(`storing ${n} originals of ${clipMb} MB`);
  for (let i = 0; i < n; i++) {
    payload.writeUInt32LE(i, 0);
    const sha256 = sha256Hex(payload);
    const clipId = `clip-${i}`;
    const w = await store.createTempWriter({
      clipId,
      source: { kind: 'recorder', id: 'REC-1' },
      expectedBytes: clipBytes,
    });
    await w.append(payload, 0);
    const start = 1_736_150_400_000 + i * 600_000;
    await store.commit(w, {
      clipId,
      source: { kind: 'recorder', id: 'REC-1' },
      sessionId: `S-${i}`,
      start,
      end: start + 300_000,
      bytes: clipBytes,
      sha256,
    });
    files.push({ path: store.layout.blobPath('blobs', sha256), bytes: clipBytes });
  }
  for (const f of files) await readFile(f.path); // warm, untimed
  const mb = (n * clipBytes) / 1e6;

  let round = 0;
  let failed = 0;
  const ms = await interleave(rounds, {
    replicate: async () => {
      round++;
      // A fresh queue and a new office prefix: every original is replicated again, for real.
      const rdb = await openDb(join(dir, `archive-${round}`));
      const archive = new ArchiveService({
        config: ArchiveConfig.parse({
          endpoint: ceph.endpoint,
          bucket: 'bench',
          office: `replicate-${round}`,
          credentialsFile,
          retryMs: 100,
          concurrency,
          readBack: { everyHours: 0, budgetMb: 1 },
        }),
        timeZone: 'Asia/Shanghai',
        db: rdb,
        store,
        bus: new EventBus(),
        alerts: { raise: async (a) => a as never, clear: async () => true },
        log,
      });
      try {
        return await timed('replicate', async () => {
          await archive.start();
          for (;;) {
            const first = await archive.queue.oldest();
            if (!first) break;
            if (first.lastError) {
              failed++;
              throw new Error(`replication failed: ${first.lastError}`);
            }
            await new Promise((r) => setTimeout(r, 20));
          }
        });
      } finally {
        await archive.stop();
        await rdb.close();
        progress(`round ${round}: replicated`);
      }
    },
    put: () => {
      const versions: (string | undefined)[] = [];
      return timed('put', async () => {
        await pool(files.length, concurrency, async (i) => {
          const f = files[i]!;
          const out = await bucket.client.send(
            new PutObjectCommand({
              Bucket: 'bench',
              Key: `put-${round}/${i}`,
              Body: createReadStream(f.path),
              ContentLength: f.bytes,
            }),
          );
          versions[i] = out.VersionId;
        });
        progress(`round ${round}: plain PUT`);
      }).finally(async () => {
        // Unlocked: each version deleted so the test cluster holds every round (untimed).
        await pool(files.length, concurrency, async (i) => {
          await bucket.client.send(
            new DeleteObjectCommand({ Bucket: 'bench', Key: `put-${round}/${i}`, VersionId: versions[i] }),
          );
        });
      });
    },
  });
  const rate = (xs: number[]) => xs.map((t) => mb / (t / 1000));
  const rep = rate(ms.replicate);
  const put = rate(ms.put);
  console.log(
    JSON.stringify({
      bench: 'archive',
      replicate_mb_per_s: round2(spread(rep).median),
      put_mb_per_s: round2(spread(put).median),
      ratio: ratioOfMedians(rep, put),
      ...fields('replicate_mb_per_s', rep),
      ...fields('put_mb_per_s', put),
      replicate_cpu_s: round2(spread(cpu.replicate.map(total)).median),
      put_cpu_s: round2(spread(cpu.put.map(total)).median),
      cpu_ratio: ratioOfMedians(cpu.replicate.map(total), cpu.put.map(total)),
      replicate_cpu_s_by: cpuBy('replicate'),
      put_cpu_s_by: cpuBy('put'),
      mb: round2(mb),
      originals: n,
      clip_mb: clipMb,
      concurrency,
      failed_rounds: failed,
      rounds,
      cache: 'warm',
      ...host,
    }),
  );
} finally {
  bucket.destroy();
  await store.stop();
  await db.close();
  await ceph.stop();
  await rm(dir, { recursive: true, force: true });
}
