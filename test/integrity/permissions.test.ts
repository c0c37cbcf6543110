/**
 * Least privilege (R24, R25): after a gateway run with an ingested clip, a user, a recorder and
 * the camera key, nothing under the data dir has a group or other permission bit; originals are
 * 0400. A data dir left open by an older version is narrowed at start.
 */
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClipRecord } from '../../gateway/store/index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { ingestClip } from './helpers.js';

let dataDir: string;
let gw: TestGateway | undefined;
let clip: ClipRecord;

async function* walk(dir: string): AsyncGenerator<{ path: string; mode: number; dir: boolean }> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    const st = await lstat(path);
    if (st.isSymbolicLink()) continue;
    yield { path, mode: st.mode & 0o7777, dir: st.isDirectory() };
    if (st.isDirectory()) yield* walk(path);
  }
}

beforeAll(async () => {
  process.umask(0o022);
  dataDir = join(await mkdtemp(join(tmpdir(), 'gw-perm-')), 'data');
  // What an older version left: a world-readable data dir, folders 0755, files 0644.
  await mkdir(join(dataDir, 'store', 'audit'), { recursive: true, mode: 0o755 });
  await chmod(dataDir, 0o755);
  await writeFile(join(dataDir, 'store', 'audit', 'audit.jsonl'), '', { mode: 0o644 });
  await writeFile(join(dataDir, 'demo-secrets.json'), '{}', { mode: 0o664 });
  gw = await startGateway({ dataDir });
  await gw.as('legal-affairs');
  await gw.app.field.registry.register({ serial: 'PERM-01' }, 'test');
  clip = await ingestClip(gw.app, 512 * 1024);
  await gw.stop();
  gw = undefined;
});
afterAll(async () => {
  await gw?.stop();
  await rm(join(dataDir, '..'), { recursive: true, force: true });
});

describe('data dir permissions', () => {
  it('leaves no group or other bit anywhere, the data dir 0700, originals 0400', async () => {
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    const open: string[] = [];
    let files = 0;
    for await (const f of walk(dataDir)) {
      if ((f.mode & 0o077) !== 0) open.push(`${f.path} ${f.mode.toString(8)}`);
      if (f.dir) expect(f.mode, f.path).toBe(0o700);
      else files++;
    }
    expect(open).toEqual([]);
    expect(files).toBeGreaterThan(10); // LevelDB files, audit log, blob, sidecar, key
    const blob = join(
      dataDir,
      'store',
      'blobs',
      clip.sha256.slice(0, 2),
      clip.sha256.slice(2, 4),
      clip.sha256,
    );
    expect((await stat(blob)).mode & 0o777).toBe(0o400);
    expect((await stat(`${blob}.json`)).mode & 0o777).toBe(0o400);
    expect((await stat(join(dataDir, 'camera-secrets.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'demo-secrets.json'))).mode & 0o777).toBe(0o600);
  });
});
