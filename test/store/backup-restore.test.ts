/**
 * `gateway backup` of a running gateway while it ingests (through the admin socket), then
 * `gateway restore` into a fresh data dir: `gateway verify` passes there, and the users and every
 * clip acknowledged before the backup began are in it; originals were hard-linked, not copied.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restoreOffline } from '../../gateway/admin/commands.js';
import { GatewayApp } from '../../gateway/app.js';
import { parseConfig } from '../../gateway/config.js';
import { verifyOffline } from '../../gateway/custody/offline-verify.js';
import { defaultKeyFile } from '../../gateway/custody/service.js';
import { createLogger } from '../../gateway/log.js';
import { restoreDataDir } from '../../gateway/store/restore.js';
import { gatewayCli } from '../helpers/child-gateway.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const cli = gatewayCli;

const entries = async (dataDir: string): Promise<{ type: string; actor: string }[]> =>
  (await readFile(join(dataDir, 'store', 'audit', 'audit.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

let dir: string;
let gw: TestGateway | undefined;
afterAll(async () => {
  await gw?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('backup and restore', () => {
  it('backs up a gateway under ingest and restores it into a fresh data dir that verifies', async () => {
    dir = await mkdtemp(join(tmpdir(), 'backup-'));
    const dataDir = join(dir, 'live');
    gw = await startGateway({ dataDir });
    const cfg = join(dir, 'live.json');
    await writeFile(cfg, JSON.stringify({ dataDir, dock: { ports: [] } }));
    const app = gw.app;
    await app.users.add({
      username: 'kept.user',
      displayName: '甲',
      roles: ['officer'],
      password: 'kept-password',
    });

    let n = 0;
    const ingest = async () => {
      const i = n++;
      const src = join(dir, `clip${i}.bin`);
      await writeFile(src, `clip ${i} `.repeat(20_000));
      await app.store.ingestFile(src, {
        source: { kind: 'recorder', id: 'BAK0001' },
        sessionId: 'S1',
        start: 1_000_000 + i * 60_000,
        end: 1_060_000 + i * 60_000,
        clipId: `BAK0001-C${String(i).padStart(4, '0')}`,
      });
      return `BAK0001-C${String(i).padStart(4, '0')}`;
    };
    const before: string[] = [];
    for (let i = 0; i < 12; i++) before.push(await ingest());

    // Ingest goes on while the backup runs.
    let ingesting = true;
    const during = (async () => {
      while (ingesting) await ingest();
    })();
    const dest = join(dir, 'backup');
    const backup = await cli(cfg, 'backup', dest, '--by', 'ops.li');
    ingesting = false;
    await during;
    expect(backup.code, backup.err).toBe(0);
    const made = JSON.parse(backup.out);
    expect(made.clips).toBeGreaterThanOrEqual(before.length);
    expect(made.linked).toBeGreaterThanOrEqual(made.originals);
    expect(made.originals).toBeGreaterThanOrEqual(before.length);
    // Hard links: the backup's original is the live one's inode.
    const live = await app.store.index.get(before[0] as string);
    const [a, b] = await Promise.all([
      stat(join(dataDir, 'store', live!.blob!)),
      stat(join(dest, 'store', live!.blob!)),
    ]);
    expect(b.ino).toBe(a.ino);
    expect((await entries(dataDir)).filter((e) => e.type === 'backup')).toMatchObject([
      { actor: 'cli:ops.li' },
    ]);
    await gw.stop();
    gw = undefined;

    // A restore never lands on a data dir that holds anything.
    await expect(restoreDataDir({ src: dest, dataDir })).rejects.toMatchObject({ code: 'CONFLICT' });

    const freshDir = join(dir, 'restored');
    // What `gateway restore` and `gateway verify` run on a stopped data dir (the CLI's own paths
    // are tested in test/cli; a process each costs seconds here).
    const config = parseConfig({ dataDir: freshDir, dock: { ports: [] } });
    const open = async () => {
      const a = new GatewayApp({ config, log: createLogger({ level: 'silent' }) });
      await a.open();
      return a;
    };
    await restoreOffline(config, open, dest, 'ops.li');
    expect((await entries(freshDir)).at(-1)).toMatchObject({ type: 'restore', actor: 'cli:ops.li' });
    const verified = await verifyOffline({ dataDir: freshDir, gatewayKeyFile: defaultKeyFile(freshDir) });
    expect(verified.ok, JSON.stringify(verified).slice(0, 2000)).toBe(true);
    expect(verified.store.summary).toMatchObject({
      clips: made.clips,
      blobsChecked: made.originals,
      orphans: 0,
    });

    const back = await open();
    try {
      expect((await back.users.list()).map((u) => u.username)).toContain('kept.user');
      for (const clipId of before) expect((await back.store.index.get(clipId))?.state).toBe('verified');
    } finally {
      await back.db.close();
    }
  }, 120_000);
});
