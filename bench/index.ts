/**
 * `npm run bench -- index [--clips N] [--queries Q] [--reindex-clips M] [--build live|sorted]`: the
 * clip index (gateway/store/clip-index.ts) in LevelDB at N clips.
 *
 * - Build `live` (default): N verified records written as the index writes them (`opsFor`: record,
 *   secondary keys and a journal row), 1000 clips per batch in recording order (the bulk path
 *   `reindex` uses; a live commit writes one synced batch per clip, which the `store` bench
 *   measures). Keys of most indexes arrive in random order, so LevelDB compacts them again and
 *   again as the store grows: at 10M on a loaded 2-core box this ran for over 30 minutes at under
 *   a thousand clips a second.
 * - Build `sorted`: the same rows (`keysFor`, the same records), written one index at a time in
 *   key order, so LevelDB only appends files; the journal holds the one "every session" row a
 *   reindex leaves (live rows are dropped once the digest has read them). The resulting index is
 *   the one a live gateway has after compaction; the queries, bytes and reindex figures measure
 *   it. `build_clips_per_s` is then the rate of this load, not of live writes.
 * - Fleet: 400 officers, 400 recorders, clips spread evenly over 365 days, so an officer-day holds
 *   N/146,000 clips.
 * - Queries: Q random officer-days (`listByOfficer` with a day range) and Q recorder-days
 *   (`listByRecorder`), p50/p99 in ms, records fully read.
 * - Disk: bytes of the LevelDB directory after close (compaction as LevelDB left it) ÷ N.
 * - Reindex: rebuilding the index from sidecars walks the store's files, so it is timed on a real
 *   store of M committed clips (`reindex_clips`), not on the synthetic N.
 * No baseline: the issue asks for absolute goals at 10M clips (p99 < 10 ms, < 300 B per clip).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Db, openDb } from '../gateway/db.js';
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
    build: { type: 'string', default: 'live' },
  },
});
const buildMode = values.build === 'sorted' ? 'sorted' : 'live';
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

/** 0 … n-1 in the order of their decimal strings (0, 1, 10, 100, 101, …, 11, …). */
function* lexNumbers(n: number): Generator<number> {
  if (n <= 0) return;
  yield 0;
  let cur = 1;
  for (let k = 1; k < n; k++) {
    yield cur;
    if (cur * 10 < n) cur *= 10;
    else {
      while (cur % 10 === 9 || cur + 1 >= n) cur = Math.floor(cur / 10);
      cur++;
    }
  }
}

/** Clip numbers i (record(i)) in the key order of one index's rows. */
function* sortedOrder(name: string): Generator<number> {
  const byString = (ids: number[], key: (i: number) => string) => {
    const keyed = ids.map((i) => [key(i), i] as const);
    keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return keyed.map(([, i]) => i);
  };
  const sortedNames = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, k) => k).sort((a, b) => (`${prefix}${a}!` < `${prefix}${b}!` ? -1 : 1));
  const every = (first: number, stride: number) => {
    const out: number[] = [];
    for (let i = first; i < N; i += stride) out.push(i);
    return out;
  };
  if (name === 'time' || name === 'state') {
    // Start and deadline grow with i.
    for (let i = 0; i < N; i++) yield i;
  } else if (name === 'source') {
    for (const r of sortedNames(RECORDERS, 'REC-')) yield* every(r, RECORDERS);
  } else if (name === 'officer') {
    // Officer (i * 7) % 400: i ≡ o * 343 (mod 400), 343 being 7's inverse mod 400.
    for (const o of sortedNames(OFFICERS, 'off-')) yield* every((o * 343) % OFFICERS, OFFICERS);
  } else if (name === 'clips') {
    // Clip ids REC-r-i: recorders as strings ('REC-1-' < 'REC-10-'), then i as a string.
    for (const r of sortedNames(RECORDERS, 'REC-'))
      yield* byString(every(r, RECORDERS), (i) => `REC-${r}-${i}`);
  } else if (name === 'session') {
    // Sessions S-<floor(i/4)> in string order.
    for (const sess of lexNumbers(Math.ceil(N / 4)))
      for (let i = 4 * sess; i < Math.min(N, 4 * sess + 4); i++) yield i;
  } else throw new Error(`no order for ${name}`);
}

/**
 * Writes every row of the index one index at a time in key order (see the header). Rows go to the
 * root with each sublevel's prefix and JSON already applied: the bytes LevelDB stores are those of
 * `opsFor`, without abstract-level's per-row re-encoding.
 */
async function buildSorted(db: Db, index: ClipIndex): Promise<void> {
  const sample = record(0);
  const ops0 = index.opsFor(undefined, sample);
  const names = index.keysFor(sample).map(([n]) => n);
  await index.clearAll(); // on the empty index: the one "every session" journal row a reindex leaves
  const prefixOf = (name: string) =>
    (name === 'clips' ? ops0[0]! : ops0[1 + names.indexOf(name as (typeof names)[number])]!).sublevel!.prefix;
  const utf8 = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const;
  for (const name of ['clips', ...names]) {
    const prefix = prefixOf(name);
    let ops: { type: 'put'; key: string; value: string }[] = [];
    for (const i of sortedOrder(name)) {
      const r = record(i);
      if (name === 'clips') ops.push({ type: 'put', key: prefix + r.clipId, value: JSON.stringify(r) });
      else {
        const key = index.keysFor(r).find(([n]) => n === name)?.[1];
        if (key !== undefined) ops.push({ type: 'put', key: prefix + key, value: JSON.stringify(r.clipId) });
      }
      if (ops.length >= 5000) {
        await db.batch(ops, utf8);
        ops = [];
      }
    }
    if (ops.length) await db.batch(ops, utf8);
    progress(`${name} written`);
  }
}

const startedAt = performance.now();
/** Progress on stderr with seconds since start and the load (a long build shows its curve). */
const progress = (msg: string) =>
  process.stderr.write(
    `[bench index] ${((performance.now() - startedAt) / 1000).toFixed(0)} s, load ${loadavg()[0]?.toFixed(1)}: ${msg}\n`,
  );

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
  if (buildMode === 'sorted') await buildSorted(db, index);
  else
    for (let i = 0; i < N; i += 1000) {
      const ops = [];
      for (let k = i; k < Math.min(N, i + 1000); k++) ops.push(...index.opsFor(undefined, record(k)));
      await db.batch(ops);
      if ((i + 1000) % 1_000_000 === 0) progress(`${i + 1000} clips written`);
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
      build: buildMode,
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
