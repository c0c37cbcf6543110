/**
 * A damaged index: with the MANIFEST or a table file (.ldb) gone the gateway, `verify` and every
 * admin command refuse in one line naming `gateway repair`; `gateway repair` runs LevelDB's repair,
 * rebuilds the clip rows from the blobs and their sidecars, is audited, and `verify` passes again.
 */
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayApp } from '../../gateway/app.js';
import { parseConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';
import { type CliRun, gatewayCli } from '../helpers/child-gateway.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const cli = gatewayCli;

/** A data dir with two clips, a user and a recorder, its index flushed to a table file (closed and reopened). */
async function dataDirWithClips(): Promise<{
  cfg: string;
  index: string;
  credential: string;
  interruptionId: string;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'idx-repair-'));
  dirs.push(dir);
  const dataDir = join(dir, 'data');
  const cfg = join(dir, 'gateway.json');
  await writeFile(cfg, JSON.stringify({ dataDir, dock: { ports: [] } }));
  const config = parseConfig({ dataDir, dock: { ports: [] } });
  const app = new GatewayApp({ config, log: createLogger({ level: 'silent' }) });
  await app.open();
  await app.store.start();
  for (const i of [0, 1]) {
    const src = join(dir, `clip${i}.bin`);
    await writeFile(src, `clip ${i} bytes`.repeat(500));
    await app.store.ingestFile(src, {
      source: { kind: 'recorder', id: 'REP1' },
      sessionId: 'S1',
      start: 1_000 + i * 60_000,
      end: 61_000 + i * 60_000,
      clipId: `REP1-C${i}`,
    });
  }
  await app.users.add({
    username: 'kept.user',
    displayName: '甲',
    roles: ['officer'],
    password: 'kept-password',
  });
  await app.users.setRoles('kept.user', ['officer', 'auditor'], 'cli');
  const { credential } = await app.field.registry.register({ serial: 'REP0001', unit: '法制科' }, 'cli');
  const interruption = await app.interruptions.open({
    source: 'recorder',
    device: 'REP0001',
    cause: 'battery',
    canContinue: true,
    start: 1_000,
  });
  await app.interruptions.stop(); // its writes done
  await app.store.stop();
  await app.db.close();
  // Reopening writes the write-ahead log into a table file, as a running gateway does in time.
  const again = new GatewayApp({ config, log: createLogger({ level: 'silent' }) });
  await again.open();
  await again.db.close();
  return { cfg, index: join(dataDir, 'index'), credential, interruptionId: interruption.id };
}

async function damageAndRepair(
  remove: (name: string) => boolean,
): Promise<{ cfg: string; repaired: CliRun; dataDir: string; credential: string; interruptionId: string }> {
  const { cfg, index, credential, interruptionId } = await dataDirWithClips();
  const victim = (await readdir(index)).find(remove);
  expect(victim).toBeDefined();
  await unlink(join(index, victim as string));

  const refused = await cli(cfg, 'user', 'list');
  expect(refused.code).toBe(1);
  expect(refused.err.trimEnd().split('\n')).toHaveLength(1);
  expect(refused.err).toMatch(/^error \[STORE_CORRUPT\]: .*run gateway repair/);

  const repaired = await cli(cfg, 'repair', '--by', 'ops.li');
  expect(repaired.code, repaired.err).toBe(0);
  expect(JSON.parse(repaired.out).indexRepaired).toMatchObject({ clipsReindexed: { verified: 2 } });
  const auditFile = join(index, '..', 'store', 'audit', 'audit.jsonl');
  const last = JSON.parse((await readFile(auditFile, 'utf8')).trim().split('\n').at(-1) as string);
  expect(last).toMatchObject({
    type: 'repair',
    actor: 'cli:ops.li',
    details: { indexRepaired: { reason: expect.any(String) } },
  });
  const verified = await cli(cfg, 'verify');
  expect(verified.code, verified.out).toBe(0);
  expect(verified.out).toMatch(/^OK: 2 blobs re-hashed for 2 clips/);
  const log = await cli(cfg, 'verify', '--json');
  expect(JSON.parse(log.out)).toMatchObject({ ok: true });
  return { cfg, repaired, dataDir: join(index, '..'), credential, interruptionId };
}

describe('gateway repair of a damaged index', () => {
  it('brings everything back after the MANIFEST is lost', async () => {
    const { cfg } = await damageAndRepair((n) => n.startsWith('MANIFEST-'));
    const users = await cli(cfg, 'user', 'list');
    expect(JSON.parse(users.out).map((u: { username: string }) => u.username)).toContain('kept.user');
  }, 120_000);

  it('rebuilds the clip rows, the accounts and the registrations after a table file is lost', async () => {
    const { repaired, dataDir, credential, interruptionId } = await damageAndRepair((n) =>
      n.endsWith('.ldb'),
    );
    expect(JSON.parse(repaired.out).indexRepaired.stateRebuilt).toMatchObject({
      users: { restored: ['kept.user'], passwordLost: ['kept.user'] },
      recorders: { restored: ['REP0001'], needRotation: [] },
      interruptions: { restored: [interruptionId] },
    });
    const app = new GatewayApp({
      config: parseConfig({ dataDir, dock: { ports: [] } }),
      log: createLogger({ level: 'silent' }),
    });
    await app.open();
    try {
      // The recorder connects with the credential it holds; the account waits for a new password.
      await app.field.registry.start();
      expect(app.field.registry.verify('REP0001', Buffer.from(credential))).toBe('ok');
      expect(await app.field.registry.get('REP0001')).toMatchObject({ unit: '法制科' });
      expect(await app.interruptions.get(interruptionId)).toMatchObject({
        device: 'REP0001',
        cause: 'battery',
      });
      expect(await app.users.get('kept.user')).toMatchObject({
        roles: ['officer', 'auditor'],
        passwordLost: true,
      });
      await expect(app.users.login('kept.user', 'kept-password')).rejects.toMatchObject({
        code: 'BAD_CREDENTIALS',
      });
      await app.store.start();
      await app.users.resetPassword('kept.user', 'a-new-password', 'cli:ops.li');
      expect((await app.users.login('kept.user', 'a-new-password')).user.passwordLost).toBeUndefined();
      await app.store.stop();
    } finally {
      await app.db.close();
    }
  }, 120_000);
});
