/**
 * Child process for crash.test.ts: does store work until the parent kills it with SIGKILL.
 * Prints one line per durable step so the parent knows what must survive.
 *   transfer <root> <db>: one clip, checkpoint every 512 KiB; `ready` after 4 MiB, then keeps
 *                         writing unsynced bytes until killed.
 *   commits  <root> <db>: ingests clips c0, c1, ... printing `committed <id>` after each commit.
 */
import { openDb } from '../../gateway/db.js';
import { ClipStore } from '../../gateway/store/clip-store.js';
import { clipBytes, factsFor, ingest } from './helpers.js';

const [mode, root, dbPath] = process.argv.slice(2) as [string, string, string];
const db = await openDb(dbPath);
const store = await ClipStore.open({ root, db });
const say = (line: string) => process.stdout.write(`${line}\n`);

if (mode === 'transfer') {
  const bytes = clipBytes(900, 8 * 1024 * 1024);
  const w = await store.createTempWriter({ clipId: 'crash-1', source: { kind: 'recorder', id: 'REC-K' } });
  const chunk = 64 * 1024;
  for (let at = w.offset; at < bytes.length; at += chunk) {
    await w.append(bytes.subarray(at, at + chunk), at);
    const end = at + chunk;
    if (end <= 4 * 1024 * 1024 && end % (512 * 1024) === 0) say(`ckpt ${await w.checkpoint()}`);
    if (end === 4 * 1024 * 1024) say('ready');
    if (end > 4 * 1024 * 1024) await new Promise((r) => setTimeout(r, 5));
  }
  setInterval(() => {}, 1000);
} else if (mode === 'commits') {
  for (let i = 0; ; i++) {
    const bytes = clipBytes(1000 + i, 200_000);
    await ingest(store, bytes, factsFor(bytes, { clipId: `c${i}`, start: i, end: i + 1 }));
    say(`committed c${i}`);
    await store.audit.append({
      type: 'time-sync',
      actor: 'gateway',
      subject: 'recorder:REC-001',
      details: { i },
    });
  }
}
