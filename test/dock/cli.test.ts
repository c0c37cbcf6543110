/**
 * `gateway verify` and `gateway reindex` on a real data dir: verify names an edited blob and a
 * removed audit entry precisely and exits 1; reindex rebuilds the clip index from blobs + sidecars.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayApp } from '../../gateway/app.js';
import { parseConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(cfg: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'gateway/main.ts'), '-c', cfg, ...args],
      {
        cwd: ROOT,
      },
    );
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe('gateway verify / reindex', () => {
  it('names an altered blob and a removed audit entry; reindex rebuilds the index', async () => {
    dir = await mkdtemp(join(tmpdir(), 'dock-cli-'));
    const dataDir = join(dir, 'data');
    const cfg = join(dir, 'gateway.json');
    await writeFile(cfg, JSON.stringify({ dataDir, dock: { ports: [] } }));
    const config = parseConfig({ dataDir, dock: { ports: [] } });

    // Two clips stored with full custody, through the store the dock ingest uses.
    const app = new GatewayApp({ config, log: createLogger({ level: 'silent' }) });
    await app.open();
    await app.store.start();
    const base = {
      source: { kind: 'recorder' as const, id: 'CLI1' },
      sessionId: 'S1',
      start: 1_000,
      end: 61_000,
    };
    const paths: string[] = [];
    for (const [i, text] of ['first clip bytes', 'second clip bytes'].entries()) {
      const src = join(dir, `clip${i}.bin`);
      await writeFile(src, text.repeat(1000));
      const rec = await app.store.ingestFile(src, { ...base, clipId: `CLI1-C${i}` });
      paths.push(app.store.layout.abs(rec.blob!));
    }
    await app.store.stop();
    await app.db.close();

    const clean = await cli(cfg, 'verify');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^OK: 2 blobs re-hashed for 2 clips/);

    // Someone edits an original and deletes an audit line.
    await chmod(paths[0]!, 0o644);
    await writeFile(paths[0]!, 'tampered');
    await chmod(paths[0]!, 0o444);
    const auditFile = join(dataDir, 'store', 'audit', 'audit.jsonl');
    const lines = (await readFile(auditFile, 'utf8')).split('\n').filter(Boolean);
    await chmod(auditFile, 0o644);
    await writeFile(auditFile, `${[lines[0], ...lines.slice(2)].join('\n')}\n`);

    const bad = await cli(cfg, 'verify');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAULTS FOUND/);
    expect(bad.stdout).toContain(`ALTERED blob ${paths[0]} (clip CLI1-C0)`);
    expect(bad.stdout).toMatch(/AUDIT (broken link at seq 3|entries 2\.\.2 missing)/);

    const re = await cli(cfg, 'reindex');
    expect(re.code).toBe(0);
    expect(JSON.parse(re.stdout).summary.verified).toBe(2);
  });
});
