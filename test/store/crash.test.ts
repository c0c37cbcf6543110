/**
 * Crashes are survivable: kill -9 a process that is writing to the store, reopen, and nothing
 * acknowledged is lost, partial transfers resume, the chain still verifies, nothing is doubled.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDb } from '../../gateway/db.js';
import { ClipStore } from '../../gateway/store/clip-store.js';
import { clipBytes, factsFor, ingest, makeStore, sha256 } from './helpers.js';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

/** Run the child until `stop(lines)` says so, then SIGKILL it; returns every line it printed. */
async function runAndKill(
  args: string[],
  stop: (lines: string[]) => boolean,
  maxDelayMs = 0,
): Promise<string[]> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout! });
  const closed = new Promise<void>((resolve) => rl.once('close', () => resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve) => {
    rl.on('line', (line) => {
      lines.push(line);
      if (stop(lines)) resolve();
    });
    void exited.then(() => resolve());
  });
  // A random extra moment lands the kill at a different step of the next commit each run.
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * maxDelayMs)));
  child.kill('SIGKILL');
  await exited;
  await closed;
  return lines;
}

describe('crash survival (kill -9)', () => {
  let dir: string;
  let root: string;
  let dbPath: string;
  let db: Db | undefined;
  let store: ClipStore | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-crash-'));
    root = join(dir, 'store');
    dbPath = join(dir, 'index');
  });
  afterEach(async () => {
    await store?.stop();
    await db?.close();
    store = undefined;
    db = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('a transfer killed mid-way resumes at its last checkpoint and ends with the right hash', async () => {
    const lines = await runAndKill(['transfer', root, dbPath], (ls) => ls.at(-1) === 'ready');
    const ckpts = lines.filter((l) => l.startsWith('ckpt ')).map((l) => Number(l.slice(5)));
    expect(ckpts.at(-1)).toBe(4 * 1024 * 1024);
    db = await openDb(dbPath);
    store = await ClipStore.open({ root, db });
    expect((await store.tempTransfers()).map((t) => t.key)).toEqual(['recorder_REC-K_crash-1']);
    const w = await store.createTempWriter({ clipId: 'crash-1', source: { kind: 'recorder', id: 'REC-K' } });
    expect(w.resumedAt).toBe(4 * 1024 * 1024);
    const bytes = clipBytes(900, 8 * 1024 * 1024);
    await w.append(bytes.subarray(w.offset), w.offset);
    const rec = await store.commit(
      w,
      factsFor(bytes, { clipId: 'crash-1', source: { kind: 'recorder', id: 'REC-K' } }),
    );
    expect(rec.sha256).toBe(sha256(bytes));
  });

  it('commits killed at a random step: every acknowledged clip is there once, the rest completes', async () => {
    const lines = await runAndKill(['commits', root, dbPath], (ls) => ls.length >= 6, 40);
    const acked = lines.map((l) => l.replace('committed ', ''));
    db = await openDb(dbPath);
    store = await ClipStore.open({ root, db });
    for (const id of acked) expect((await store.index.get(id))?.state).toBe('verified');
    // The recorder re-offers every clip it was not told to release: the one in flight, and the one
    // after it in case the kill came between a commit and its `committed` line.
    const offered = [acked.length, acked.length + 1];
    for (const i of offered) {
      const bytes = clipBytes(1000 + i, 200_000);
      const facts = factsFor(bytes, { clipId: `c${i}`, start: i, end: i + 1 });
      let rec = await store.commitExisting(facts);
      if (!rec) {
        const w = await store.createTempWriter({ clipId: facts.clipId, source: facts.source });
        await w.append(bytes.subarray(w.offset), w.offset);
        rec = await store.commit(w, facts);
      }
      expect(rec.state).toBe('verified');
    }
    const all = [...acked, ...offered.map((i) => `c${i}`)];
    // No partial transfer is left for a clip that is stored, and no clip was logged twice.
    expect(await store.tempTransfers()).toEqual([]);
    for (const id of all) {
      const ingests = (await store.audit.bySubject(`clip:${id}`)).filter((e) => e.type === 'ingest');
      expect(ingests).toHaveLength(1);
    }
    const report = await store.verify();
    expect(report.summary).toMatchObject({
      clips: all.length,
      altered: 0,
      missing: 0,
      orphans: 0,
      sidecarProblems: 0,
      writable: 0,
    });
    expect(report.audit.ok).toBe(true);
    expect(report.ok).toBe(true);
  });
});

describe('lost index batch (power cut after the audit fsync)', () => {
  it('rolls the audit entry forward and restores the clip rows from the sidecar', async () => {
    const t = await makeStore();
    try {
      const a = clipBytes(950, 5000);
      const b = clipBytes(951, 6000);
      await ingest(t.store, a, factsFor(a, { clipId: 'kept' }));
      const headBefore = await t.db.sublevel('audit', { valueEncoding: 'json' }).get('head');
      const q = factsFor(b, { clipId: 'lost-q', sha256: sha256(Buffer.from('claim')) });
      const w = await t.store.createTempWriter({ clipId: 'lost-q', source: q.source });
      await w.append(b, 0);
      const quarantined = await t.store.quarantine(w, q, 'lying');
      const verified = await ingest(t.store, a, factsFor(a, { clipId: 'lost-v', start: 9, end: 10 }));
      await t.close();
      // Undo what the two unsynced batches wrote: audit head, audit copies/subject rows, clip rows.
      const db = await openDb(t.dbPath);
      const audit = db.sublevel('audit', { valueEncoding: 'json' });
      await audit.put('head', headBefore!);
      await audit.sublevel('seq', { valueEncoding: 'json' }).clear({ gt: '0000000000000001' });
      await audit.sublevel('subject', { valueEncoding: 'json' }).clear();
      const index = new ClipStore({ root: t.root, db }).index;
      await index.clearAll();
      await db.close();
      await t.reopen();
      expect(t.store.audit.rolledForward).toEqual({ fromSeq: 2, toSeq: 3 });
      expect(await t.store.index.get('lost-v')).toEqual(verified);
      expect(await t.store.index.get('lost-q')).toEqual(quarantined);
      // 'kept' had its rows cleared too, and no entry past the head: reindex is the tool for that.
      expect(await t.store.index.get('kept')).toBeUndefined();
      expect((await t.store.audit.bySubject('clip:lost-v')).map((e) => e.type)).toEqual(['ingest']);
      await t.store.reindex();
      expect((await t.store.verify()).ok).toBe(true);
    } finally {
      await t.cleanup();
    }
  });
});
