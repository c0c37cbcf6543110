/**
 * A full disk on a real small filesystem (a tmpfs mounted for the test; root only): the gateway
 * ingests and accepts logins until its reserve refuses them — the alarm raised while space was
 * still free — then another program fills the disk to the last byte while logins keep coming.
 * Space is freed, the gateway restarts: every clip and every login it acknowledged is there,
 * `verify` passes, and a login made after the space came back survives a restart too (a full disk
 * once tore LevelDB's log and the records after the tear were dropped at the next open).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyOffline } from '../../gateway/custody/offline-verify.js';
import { defaultKeyFile } from '../../gateway/custody/service.js';
import { DISK_WATCH_RULE, DISK_WATCH_SUBJECT } from '../../gateway/store/disk-watch.js';
import { apiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const root = process.getuid?.() === 0;
if (!root) console.warn('full-disk test skipped: mounting a tmpfs needs root (CI runs as root)');

const MiB = 1024 ** 2;
const FS_BYTES = 48 * MiB;
const WORK_RESERVE = 16 * MiB;
const STATE_RESERVE = 6 * MiB;
const CLIP_BYTES = 700 * 1024;
const PASSWORD = 'full-disk-password';

let mnt: string | undefined;
let scratch: string | undefined;
const gateways: TestGateway[] = [];

afterAll(async () => {
  for (const g of gateways) await g.stop().catch(() => undefined);
  if (mnt) {
    await run('umount', [mnt]).catch(() => undefined);
    await rmdir(mnt).catch(() => undefined);
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<TestGateway> {
  const gw = await startGateway({
    dataDir,
    dock: { ports: [], reserveBytes: WORK_RESERVE },
    storage: { stateReserveBytes: STATE_RESERVE, checkS: 0.2 },
  });
  gateways.push(gw);
  return gw;
}

async function login(url: string, username: string): Promise<Response> {
  return fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
}

/** Writes zeros until the filesystem refuses (ENOSPC); returns the bytes written. */
async function fillUp(path: string): Promise<number> {
  const fh = await open(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) {
      const { bytesWritten } = await fh.write(chunk);
      written += bytesWritten;
      if (bytesWritten < chunk.length) break;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await fh.close();
  }
  return written;
}

describe.skipIf(!root)('a full disk', () => {
  it('keeps everything acknowledged, refuses before full and raises the alarm first', async () => {
    scratch = await mkdtemp(join(tmpdir(), 'full-disk-src-'));
    mnt = await mkdtemp(join(tmpdir(), 'full-disk-mnt-'));
    await run('mount', ['-t', 'tmpfs', '-o', `size=${FS_BYTES},mode=0700`, 'tmpfs', mnt]);
    const dataDir = join(mnt, 'data');
    await mkdir(dataDir, { mode: 0o700 });
    // Other files on the same disk (old logs, say), which the operator deletes to make room.
    const ballast = join(mnt, 'old-logs.bin');
    await writeFile(ballast, Buffer.alloc(8 * MiB, 1));

    let gw = await start(dataDir);
    for (const u of ['clerk.a', 'clerk.b'])
      await gw.app.users.add({ username: u, displayName: u, roles: ['officer'], password: PASSWORD });

    // 1. Ingest and logins until the reserve refuses the ingest.
    const clips: string[] = [];
    const tokens: string[] = [];
    let refused: { code?: string } | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const src = join(scratch, `clip${i}.bin`);
      await writeFile(src, Buffer.alloc(CLIP_BYTES, i % 251));
      const clipId = `FULL0001-C${String(i).padStart(4, '0')}`;
      try {
        await gw.app.store.ingestFile(src, {
          source: { kind: 'recorder', id: 'FULL0001' },
          sessionId: 'S1',
          start: 1_000_000 + i * 60_000,
          end: 1_060_000 + i * 60_000,
          clipId,
        });
        clips.push(clipId);
      } catch (err) {
        refused = err as { code?: string };
      }
      const r = await login(gw.url, i % 2 ? 'clerk.a' : 'clerk.b');
      if (r.status === 200) tokens.push(((await r.json()) as { token: string }).token);
    }
    expect(refused?.code).toBe('DISK_RESERVE');
    expect(clips.length).toBeGreaterThan(10);
    // The alarm, raised while the reserve was still free.
    await waitFor(
      () => gw.app.alerts.activeFor(DISK_WATCH_RULE, DISK_WATCH_SUBJECT),
      'the disk alarm',
      20_000,
    );
    const alarm = gw.app.alerts.activeFor(DISK_WATCH_RULE, DISK_WATCH_SUBJECT);
    expect(alarm?.severity).toBe('critical');
    expect(alarm?.details?.freeBytes).toBeGreaterThan(STATE_RESERVE);

    // 2. Something else on the box fills the disk to the last byte; logins are refused, not broken.
    const filler = join(mnt, 'filler.bin');
    expect(await fillUp(filler)).toBeGreaterThan(0);
    const full = await login(gw.url, 'clerk.a');
    expect(full.status).toBe(507);
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe('DISK_RESERVE');
    const officer = await apiClient(gw.url, 'clerk.b', PASSWORD).catch((err: Error) => err);
    expect(officer).toBeInstanceOf(Error);
    // Writes no reserve refuses up front (alerts) meet the full disk: they fail, and must not take
    // the index's later writes with them (LevelDB's log is torn by the failed write).
    const failed: string[] = [];
    for (let i = 0; i < 100 && failed.length === 0; i++) {
      await gw.app.alerts
        .raise({ rule: 'probe', subject: `s${i}`, severity: 'warning', message: 'x'.repeat(900) })
        .catch((err: Error) => failed.push(err.message));
    }
    expect(failed[0]).toMatch(/No space left on device/);

    // 3. Space is freed: the alarm clears, logins work again; one made now must survive too.
    await rm(filler);
    await rm(ballast);
    await waitFor(
      () => gw.app.alerts.activeFor(DISK_WATCH_RULE, DISK_WATCH_SUBJECT) === undefined,
      'the alarm to clear',
      20_000,
    );
    const after = await login(gw.url, 'clerk.a');
    expect(after.status).toBe(200);
    tokens.push(((await after.json()) as { token: string }).token);
    await gw.stop();
    gateways.pop();

    // 4. Restart: everything acknowledged is there and nothing is corrupted.
    gw = await start(dataDir);
    for (const token of tokens) {
      const me = await fetch(`${gw.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status, `session ${tokens.indexOf(token)} of ${tokens.length}`).toBe(200);
    }
    for (const clipId of clips) expect((await gw.app.store.index.get(clipId))?.state).toBe('verified');
    await gw.stop();
    gateways.pop();
    const verified = await verifyOffline({ dataDir, gatewayKeyFile: defaultKeyFile(dataDir) });
    expect(verified.ok, JSON.stringify(verified).slice(0, 2000)).toBe(true);
  }, 120_000);
});
