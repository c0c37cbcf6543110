/**
 * `npm run bench -- verify [--mb N] [--clip-mb M] [--rounds R]`: a full store re-verification
 * (`ClipStore.verify()`, the path behind `gateway verify`) against `sha256sum` of the same blobs.
 *
 * Equal work: both sides hash every committed original once; the gateway also reads sidecars,
 * walks the areas and checks the audit chain (counted against it, not excluded). Clock: from the
 * call (or the spawn) to the report (or the child's exit). Cache: warm for both (one untimed
 * read of every blob before the first round). Each side at its best: `sha256sum` gets every path
 * in one process; `openssl dgst -sha256` is reported for context only — coreutils' sha256sum on
 * this machine is not built with the CPU's SHA extensions while OpenSSL uses them, so the
 * physical limit of hashing here is OpenSSL's figure (`openssl_mb_per_s`).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDb } from '../gateway/db.js';
import { sha256Hex } from '../gateway/store/canonical.js';
import { ClipStore } from '../gateway/store/clip-store.js';
import { fields, interleave, machine, ratioOfMedians, round2 } from './lib/rounds.js';
import { synth } from './lib/synth.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '256' },
    'clip-mb': { type: 'string', default: '8' },
    rounds: { type: 'string', default: '5' },
  },
});
const totalMb = Number(values.mb);
const clipMb = Number(values['clip-mb']);
const rounds = Math.max(5, Number(values.rounds));
const host = machine();

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

const dir = await mkdtemp(join(tmpdir(), 'bench-verify-'));
const db = await openDb(join(dir, 'index'));
const store = await ClipStore.open({ root: join(dir, 'store'), db });
try {
  const clipBytes = Math.round(clipMb * 1024 * 1024);
  const n = Math.max(1, Math.round(totalMb / clipMb));
  const payload = synth(1, clipBytes);
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    payload.writeUInt32LE(i, 0); // a distinct blob per clip without regenerating the payload
    const clipId = `clip-${i}`;
    const sha256 = sha256Hex(payload);
    const w = await store.createTempWriter({
      clipId,
      source: { kind: 'recorder', id: `REC-${i % 8}` },
      expectedBytes: payload.length,
    });
    await w.append(payload, 0);
    await store.commit(w, {
      clipId,
      source: { kind: 'recorder', id: `REC-${i % 8}` },
      sessionId: `S-${i}`,
      officer: { id: `off-${i % 20}`, name: 'Bench', certNo: 'B-1' },
      start: 1_736_150_400_000 + i * 600_000,
      end: 1_736_150_400_000 + i * 600_000 + 300_000,
      bytes: payload.length,
      sha256,
    });
    paths.push(store.layout.blobPath('blobs', sha256));
  }
  const mb = (n * clipBytes) / 1e6;

  // Warm cache for every side: one untimed pass.
  await run('sha256sum', paths);
  let bad = 0;
  const ms = await interleave(rounds, {
    gateway: () =>
      timed(async () => {
        const r = await store.verify();
        if (!r.ok || r.summary.blobsChecked !== n) bad++;
      }),
    sha256sum: () => timed(() => run('sha256sum', paths)),
    openssl: () => timed(() => run('openssl', ['dgst', '-sha256', ...paths])),
  });
  const rate = (xs: number[]) => xs.map((t) => mb / (t / 1000));
  const gw = rate(ms.gateway);
  const coreutils = rate(ms.sha256sum);
  const ossl = rate(ms.openssl);

  console.log(
    JSON.stringify({
      bench: 'verify',
      ...host,
      rounds,
      cache: 'warm',
      mb: round2(mb),
      blobs: n,
      failed_rounds: bad,
      ...fields('gateway_mb_per_s', gw),
      ...fields('sha256sum_mb_per_s', coreutils),
      ...fields('openssl_mb_per_s', ossl),
      ratio: ratioOfMedians(gw, coreutils),
      ratio_openssl: ratioOfMedians(gw, ossl),
      note: "coreutils sha256sum here lacks the CPU's SHA extensions; openssl uses them (context, not the goal's baseline)",
    }),
  );
} finally {
  await store.stop();
  await db.close();
  await rm(dir, { recursive: true, force: true });
}
