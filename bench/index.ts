/**
 * `npm run bench -- index [--clips N] [--queries Q] [--reindex-clips M]`: the clip index
 * (gateway/store/clip-index.ts) in LevelDB at N clips.
 *
 * - Build: N verified records written as the index writes them (`opsFor`: record + secondary
 *   keys), 1000 clips per batch (the bulk path `reindex` uses; a live commit writes one synced
 *   batch per clip, which the `store` bench measures). Fleet: 400 officers, 400 recorders, clips
 *   spread evenly over 365 days, so an officer-day holds N/146,000 clips.
 * - Queries: Q random officer-days (`listByOfficer` with a day range) and Q recorder-days
 *   (`listByRecorder`), p50/p99 in ms, records fully read.
 * - Disk: bytes of the LevelDB directory after close (compaction as LevelDB left it) ÷ N.
 * - Reindex: rebuilding the index from sidecars walks the store's files, so it is timed on a real
 *   store of M committed clips (`reindex_clips`), not on the synthetic N.
 * No baseline: the issue asks for absolute goals at 10M clips (p99 < 10 ms, < 300 B per clip).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDb } from '../gateway/db.js';
import { sha256Hex } from '../gateway/store/canonical.js';
import { ClipIndex } from '../gateway/store/clip-index.js';
import { ClipStore } from '../gateway/store/clip-store.js';
import { type ClipRecord, UPLOAD_DEADLINE_MS } from '../gateway/store/schema.js';
import { machine, round2 } from './lib/rounds.js';
import { synth } from './lib/synth.js';

const { values } = parseArgs({
  options: {
    clips: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '500' },
    'reindex-clips': { type: 'string', default: '500' },
  },
});
const N = Number(values.clips);
const Q = Number(values.queries);
const M = Number(values['reindex-clips']);
const host = machine();

const OFFICERS = 400;
const RECORDERS = 400;
const DAYS = 365;
const DAY = 86_400_000;
const T0 = 1_735_660_800_000; // 2025-01-01T00:00:00Z
const step = (DAYS * DAY) / N;

function record(i: number): ClipRecord {
  const start = Math.floor(T0 + i * step);
  const end = start + 300_000;
  const sha256 = (i.toString(16).padStart(8, '0') + '0'.repeat(56)).slice(0, 64);
  return {
    clipId: `REC-${i % RECORDERS}-${i}`,
    source: { kind: 'recorder', id: `REC-${i % RECORDERS}` },
    sessionId: `S-${Math.floor(i / 4)}`,
    officer: { id: `off-${(i * 7) % OFFICERS}`, name: 'Bench Officer', certNo: 'B-0001' },
    start,
    end,
    bytes: 150_000_000,
    sha256,
    markers: [],
    state: 'verified',
    deadline: end + UPLOAD_DEADLINE_MS,
    uploadedBytes: 150_000_000,
    ingestedAt: new Date(end + 3_600_000).toISOString(),
    blob: `blobs/${sha256.slice(0, 2)}/${sha256}`,
  };
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return total;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

// A seeded choice of days and people, so runs query the same things.
let seed = 12345;
const rnd = (n: number) => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
};

const dir = await mkdtemp(join(tmpdir(), 'bench-index-'));
try {
  const dbPath = join(dir, 'index');
  let db = await openDb(dbPath);
  let index = new ClipIndex(db);
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) {
    const ops = [];
    for (let k = i; k < Math.min(N, i + 1000); k++) ops.push(...index.opsFor(undefined, record(k)));
    await db.batch(ops);
  }
  await db.batch([], { sync: true });
  const buildS = (performance.now() - t0) / 1000;
  await db.close();
  const bytes = await dirBytes(dbPath);

  db = await openDb(dbPath);
  index = new ClipIndex(db);
  const officerMs: number[] = [];
  const recorderMs: number[] = [];
  let officerHits = 0;
  let recorderHits = 0;
  for (let q = 0; q < Q; q++) {
    const from = T0 + rnd(DAYS) * DAY;
    let t = performance.now();
    officerHits += (await index.listByOfficer(`off-${rnd(OFFICERS)}`, { from, to: from + DAY })).length;
    officerMs.push(performance.now() - t);
    t = performance.now();
    recorderHits += (await index.listByRecorder(`REC-${rnd(RECORDERS)}`, { from, to: from + DAY })).length;
    recorderMs.push(performance.now() - t);
  }
  await db.close();
  await rm(dbPath, { recursive: true, force: true });

  // Reindex on a real store (sidecars and blobs on disk).
  const sdb = await openDb(join(dir, 'store-index'));
  const store = await ClipStore.open({ root: join(dir, 'store'), db: sdb });
  let reindexS = Number.NaN;
  try {
    for (let i = 0; i < M; i++) {
      const bytes = synth(i + 1, 4096);
      const r = record(i);
      const w = await store.createTempWriter({ clipId: r.clipId, source: r.source, expectedBytes: 4096 });
      await w.append(bytes, 0);
      await store.commit(w, {
        clipId: r.clipId,
        source: r.source,
        sessionId: r.sessionId,
        officer: r.officer,
        start: r.start,
        end: r.end,
        bytes: 4096,
        sha256: sha256Hex(bytes),
      });
    }
    const t = performance.now();
    const rep = await store.reindex();
    reindexS = (performance.now() - t) / 1000;
    if (rep.summary.verified !== M) throw new Error(`reindex found ${rep.summary.verified} of ${M}`);
  } finally {
    await store.stop();
    await sdb.close();
  }

  console.log(
    JSON.stringify({
      bench: 'index',
      ...host,
      clips: N,
      queries: Q,
      build_s: round2(buildS),
      build_clips_per_s: Math.round(N / buildS),
      officer_day_clips_avg: round2(officerHits / Q),
      officer_day_p50_ms: round2(pct(officerMs, 50)),
      officer_day_p99_ms: round2(pct(officerMs, 99)),
      recorder_day_clips_avg: round2(recorderHits / Q),
      recorder_day_p50_ms: round2(pct(recorderMs, 50)),
      recorder_day_p99_ms: round2(pct(recorderMs, 99)),
      bytes_per_clip: Math.round(bytes / N),
      reindex_clips: M,
      reindex_s: round2(reindexS),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
