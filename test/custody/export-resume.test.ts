/**
 * A disc build cut off by a crash (R23, R25): the gateway is SIGKILLed while xorriso packs the
 * image; after the restart the build is resumed, not lost or marked failed. The disc then holds one
 * `export-built` entry (its manifest unchanged from before the crash), the restart is logged, and
 * the disc's own verifier passes on the image read back with a foreign tool.
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { discPaths } from '../../gateway/exports/disc.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { clipBytes, sha256 } from '../store/helpers.js';
import { writeConfig } from './helpers.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./export-crash-child.ts', import.meta.url));

let work: string;
let gw: TestGateway | undefined;

afterAll(async () => {
  await gw?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs the child gateway until its stand-in xorriso has started, then SIGKILLs its process group. */
async function buildAndKill(config: string, shimDir: string, mark: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, config, work], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PATH: `${shimDir}:${process.env.PATH}`, XORRISO_STARTED: mark },
    // Its own process group: the kill takes the stand-in xorriso and cat with it.
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exportId = '';
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (l.startsWith('approved ')) exportId = l.slice(9);
  });
  try {
    await waitFor(
      async () =>
        exportId !== '' &&
        (await stat(mark).then(
          () => true,
          () => false,
        )),
      'the build to reach xorriso',
      60_000,
      50,
    );
  } finally {
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }
  return exportId;
}

it('resumes a disc build after the gateway was killed mid-build; the disc verifies', async () => {
  work = await mkdtemp(join(tmpdir(), 'export-resume-'));
  const dataDir = join(work, 'data');
  const shimDir = join(work, 'bin');
  await mkdir(shimDir);
  await writeFile(join(shimDir, 'xorriso'), '#!/bin/sh\ntouch "$XORRISO_STARTED"\nexec sleep 600\n');
  await chmod(join(shimDir, 'xorriso'), 0o755);
  const config = await writeConfig(work, {
    dataDir,
    mqtt: { port: 0, host: '127.0.0.1' },
    http: { port: 0, host: '127.0.0.1' },
  });
  const id = await buildAndKill(config, shimDir, join(work, 'xorriso-started'));
  const paths = discPaths(join(dataDir, 'exports'), id);
  const before = await readFile(join(paths.root, 'manifest.json'));

  gw = await startGateway({ dataDir });
  await gw.app.exports.settled(id);
  const legal = await gw.app.users.get('legal');
  const done = await gw.app.exports.get(id, legal!);
  expect(done.error).toBeUndefined();
  expect(done.state).toBe('ready');

  const entries = await gw.app.store.audit.bySubject(`export:${id}`);
  const types = entries.map((e) => e.type);
  expect(types.filter((t) => t === 'export-built')).toHaveLength(1);
  expect(types).toEqual([
    'export-request',
    'export-approval',
    'export-built',
    'export-resumed',
    'export-ready',
  ]);
  // The manifest the logged entry names, kept across the crash.
  expect(sha256(await readFile(join(paths.root, 'manifest.json')))).toBe(sha256(before));

  const disc = join(work, 'disc');
  await run('xorriso', ['-indev', paths.image, '-osirrox', 'on', '-extract', '/', disc]);
  expect((await readdir(join(disc, 'clips'))).sort()).toEqual(['crash-a.bin', 'crash-b.bin', 'crash-c.bin']);
  for (const [i, name] of ['crash-a', 'crash-b', 'crash-c'].entries()) {
    const onDisc = await readFile(join(disc, 'clips', `${name}.bin`));
    expect(onDisc.equals(clipBytes(700 + i, 400_000 + i * 123_457)), name).toBe(true);
  }
  const verified = await run(process.execPath, [join(disc, 'verify.mjs'), disc, '--json']).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  const report = JSON.parse(verified.stdout);
  expect(report.findings).toEqual([]);
  expect(report).toMatchObject({ ok: true, counts: { files: 3, filesOk: 3 } });
  expect(sha256(await readFile(paths.image))).toBe(done.image!.sha256);
}, 120_000);
