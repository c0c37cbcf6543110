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
import { clipBytes, factsFor, sha256 } from './helpers.js';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

/** Run the child until `stop(lines)` says so, then SIGKILL it; returns the lines it printed. */
async function runAndKill(
  args: string[],
  stop: (lines: string[]) => boolean,
  maxDelayMs = 0,
): Promise<string[]> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line);
    if (stop(lines)) break;
  }
  // A random extra moment lands the kill at a different step of the next commit each run.
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * maxDelayMs)));
  child.kill('SIGKILL');
  for await (const line of createInterface({ input: child.stdout! })) lines.push(line);
  await exited;
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
    // The dock re-offers the clip that was in flight: finish it without a duplicate.
    const next = `c${acked.length}`;
    const bytes = clipBytes(1000 + acked.length, 200_000);
    const facts = factsFor(bytes, { clipId: next, start: acked.length, end: acked.length + 1 });
    let rec = await store.commitExisting(facts);
    if (!rec) {
      const w = await store.createTempWriter({ clipId: next, source: facts.source });
      await w.append(bytes.subarray(w.offset), w.offset);
      rec = await store.commit(w, facts);
    }
    expect(rec.state).toBe('verified');
    expect(await store.tempTransfers()).toEqual([]);
    for (const id of [...acked, next]) {
      const ingests = (await store.audit.bySubject(`clip:${id}`)).filter((e) => e.type === 'ingest');
      expect(ingests).toHaveLength(1);
    }
    const report = await store.verify();
    expect(report.blobs.altered).toEqual([]);
    expect(report.blobs.missing).toEqual([]);
    expect(report.audit.ok).toBe(true);
    expect(report.ok).toBe(true);
  });
});
