/**
 * `npm run bench -- archive [--mb N] [--clip-mb M] [--rounds R]`: replication of N MB of M MB
 * originals to a real Ceph RGW bucket with Object Lock (ArchiveService, the gateway's own path:
 * PUT under COMPLIANCE retention with the SHA-256 attached, the sidecar, read-back of the version
 * hashed whole, the lock as the bucket reports it, the durable queue and the audit entries) against
 * plain `PutObject` of the same files through the same SDK client settings, one object at a time
 * on both sides (the service replicates one item at a time).
 *
 * Equal work: both sides move every original's bytes from the store's files into the same bucket;
 * the replication also proves each copy (verify included, as the issue asks) — that is what the
 * ratio prices. Clock: from the first request to the last copy recorded (replication: the service
 * started on a fresh queue until every clip's copy is recorded; baseline: the first PUT to the last
 * PUT's response). Each round writes new keys (a per-round prefix) so no side finds its objects
 * already there. Cache: warm (the files are read once, untimed, before the first round).
 * Ceph is started by the test helper (single node, loopback, data under a temp dir).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
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
  },
});
const totalMb = Number(values.mb);
const clipMb = Number(values['clip-mb']);
const rounds = Math.max(3, Number(values.rounds));
const host = machine();
const log = createLogger({ level: 'silent' });
const progress = (msg: string) => process.stderr.write(`[bench archive] ${msg}\n`);

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

const dir = await mkdtemp(join(tmpdir(), 'bench-archive-'));
progress('starting Ceph');
const ceph = await startCeph();
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
        }),
        timeZone: 'Asia/Shanghai',
        db: rdb,
        store,
        bus: new EventBus(),
        alerts: { raise: async (a) => a as never, clear: async () => true },
        log,
      });
      try {
        return await timed(async () => {
          await archive.start();
          for (;;) {
            const s = await archive.queue.stats();
            if (s.depth === 0) break;
            if (s.lastError) {
              failed++;
              throw new Error(`replication failed: ${s.lastError}`);
            }
            await new Promise((r) => setTimeout(r, 5));
          }
        });
      } finally {
        await archive.stop();
        await rdb.close();
        progress(`round ${round}: replicated`);
      }
    },
    put: () =>
      timed(async () => {
        for (const [i, f] of files.entries()) {
          await bucket.client.send(
            new PutObjectCommand({
              Bucket: 'bench',
              Key: `put-${round}/${i}`,
              Body: createReadStream(f.path),
              ContentLength: f.bytes,
            }),
          );
        }
        progress(`round ${round}: plain PUT`);
      }),
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
      mb: round2(mb),
      originals: n,
      clip_mb: clipMb,
      concurrency: 1,
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
