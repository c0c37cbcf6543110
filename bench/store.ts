/**
 * `npm run bench -- store [--mb N] [--clip-mb M] [--small K]`: the clip store alone (issue #4).
 *
 * 1. Ingest N MB as clips of M MB each, streamed into temp writers in 64 KiB appends with a
 *    checkpoint every 4 MiB, then committed (fsync, SHA-256 check, link, sidecar, dir fsync,
 *    audit fsync + one synced LevelDB batch). Reports end-to-end MB/s and the commit step alone.
 * 2. K tiny clips (4 KiB): the fixed durability cost per clip (commit latency, ms).
 * 3. The same per-clip cost with 8 commits in flight (audit group commit).
 * 4. `verify()` over everything: re-hash MB/s.
 * 5. Audit appends/s, one at a time and 64 in flight.
 * Prints one JSON line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDb } from '../gateway/db.js';
import { sha256Hex } from '../gateway/store/canonical.js';
import { ClipStore } from '../gateway/store/clip-store.js';
import type { ClipFactsInput } from '../gateway/store/schema.js';
import { synth } from './lib/synth.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '256' },
    'clip-mb': { type: 'string', default: '16' },
    small: { type: 'string', default: '200' },
  },
});
const totalMb = Number(values.mb);
const clipMb = Number(values['clip-mb']);
const smallN = Number(values.small);

function facts(clipId: string, bytes: Buffer, i: number): ClipFactsInput {
  return {
    clipId,
    source: { kind: 'recorder', id: `REC-${i % 8}` },
    sessionId: `S-${Math.floor(i / 10)}`,
    officer: { id: `off-${i % 20}`, name: 'Bench', certNo: 'B-1' },
    start: 1_736_150_400_000 + i * 600_000,
    end: 1_736_150_400_000 + i * 600_000 + 300_000,
    bytes: bytes.length,
    sha256: sha256Hex(bytes),
  };
}

async function put(store: ClipStore, clipId: string, bytes: Buffer, i: number): Promise<number> {
  const f = facts(clipId, bytes, i);
  const w = await store.createTempWriter({ clipId, source: f.source, expectedBytes: bytes.length });
  const chunk = 64 * 1024;
  let sinceCkpt = 0;
  let last: Promise<void> = Promise.resolve();
  for (let at = 0; at < bytes.length; at += chunk) {
    last = w.append(bytes.subarray(at, at + chunk), at);
    if (w.writableNeedDrain) await last;
    sinceCkpt += chunk;
    if (sinceCkpt >= 4 * 1024 * 1024) {
      await w.checkpoint();
      sinceCkpt = 0;
    }
  }
  await last;
  const t = performance.now();
  await store.commit(w, f);
  return performance.now() - t;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

const dir = await mkdtemp(join(tmpdir(), 'bench-store-'));
const db = await openDb(join(dir, 'index'));
const store = await ClipStore.open({ root: join(dir, 'store'), db });
try {
  // 1. big clips
  const clipBytes = Math.round(clipMb * 1024 * 1024);
  const nBig = Math.max(1, Math.round(totalMb / clipMb));
  const payloads = Array.from({ length: Math.min(nBig, 4) }, (_, i) => synth(i + 1, clipBytes));
  const bigCommit: number[] = [];
  let t0 = performance.now();
  for (let i = 0; i < nBig; i++) {
    const b = payloads[i % payloads.length]!;
    // Vary the first word so every clip is a distinct blob without regenerating the payload.
    b.writeUInt32LE(i, 0);
    bigCommit.push(await put(store, `big-${i}`, b, i));
  }
  const bigSecs = (performance.now() - t0) / 1000;
  const ingestMb = (nBig * clipBytes) / 1e6;

  // 2. small clips, one at a time
  const small: number[] = [];
  for (let i = 0; i < smallN; i++) small.push(await put(store, `small-${i}`, synth(10_000 + i, 4096), i));

  // 3. small clips, 8 in flight
  t0 = performance.now();
  const par: number[] = [];
  for (let i = 0; i < smallN; i += 8) {
    const batch = Array.from({ length: Math.min(8, smallN - i) }, (_, k) =>
      put(store, `par-${i + k}`, synth(20_000 + i + k, 4096), i + k),
    );
    par.push(...(await Promise.all(batch)));
  }
  const parClipsPerS = smallN / ((performance.now() - t0) / 1000);

  // 4. verify
  const report = await store.verify();
  if (!report.ok) throw new Error(`verify failed: ${JSON.stringify(report.summary)}`);
  const verifyMbPerS = report.blobs.bytes / 1e6 / (report.durationMs / 1000);

  // 5. audit appends
  const nAudit = 500;
  t0 = performance.now();
  for (let i = 0; i < nAudit; i++) {
    await store.audit.append({ type: 'time-sync', actor: 'bench', subject: `recorder:REC-${i % 8}` });
  }
  const auditSerial = nAudit / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < nAudit; i += 64) {
    await Promise.all(
      Array.from({ length: Math.min(64, nAudit - i) }, () =>
        store.audit.append({ type: 'time-sync', actor: 'bench', subject: 'recorder:REC-0' }),
      ),
    );
  }
  const auditConcurrent = nAudit / ((performance.now() - t0) / 1000);

  console.log(
    JSON.stringify({
      bench: 'store',
      mb: r1(ingestMb),
      clip_mb: clipMb,
      ingest_mb_per_s: r1(ingestMb / bigSecs),
      commit_ms_big_p50: r1(median(bigCommit)),
      commit_ms_small_p50: r1(median(small)),
      commit_ms_small_8_in_flight_p50: r1(median(par)),
      small_clips_per_s_8_in_flight: r1(parClipsPerS),
      verify_mb_per_s: r1(verifyMbPerS),
      verify_blobs: report.summary.blobsChecked,
      audit_appends_per_s_serial: Math.round(auditSerial),
      audit_appends_per_s_64_in_flight: Math.round(auditConcurrent),
    }),
  );
} finally {
  await store.stop();
  await db.close();
  await rm(dir, { recursive: true, force: true });
}
