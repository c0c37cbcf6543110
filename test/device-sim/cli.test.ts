/** The device-sim CLI as a user runs it: a child process against a real broker. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../protocol/mqtt/messages.js';
import { startBroker, startWatcher, type TestBroker, type Watcher } from './helpers.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const CLI = [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'device-sim/cli.ts')];
const WATCHER = { username: 'watcher', password: 'watcher-secret' };

describe('device-sim CLI', () => {
  let dir: string;
  let broker: TestBroker;
  let watcher: Watcher;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'device-sim-cli-'));
    broker = await startBroker({ BC0201: 'issued-201', [WATCHER.username]: WATCHER.password });
    watcher = await startWatcher(broker.url, WATCHER, ['BC0201']);
  });
  afterAll(async () => {
    await watcher?.close();
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints usage with --help', async () => {
    const { stdout } = await run(process.execPath, [...CLI, '--help']);
    for (const opt of ['--recorders', '--scenario', '--speed', '--broker', '--credentials']) {
      expect(stdout).toContain(opt);
    }
  });

  it('exits with a clear message on a bad scenario file or missing credentials', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({
        timeline: [
          { at: 'noon', action: 'dock' },
          { at: 0, action: 'dance' },
        ],
      }),
    );
    const r = await run(process.execPath, [...CLI, '--scenario', bad, '--broker', broker.url]).catch(
      (e) => e,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: invalid scenario/);
    expect(r.stderr).toMatch(/timeline\.0\.at: not a duration/);
    expect(r.stderr).toMatch(/timeline\.1\.action: Invalid discriminator/);
    const scenario = join(ROOT, 'device-sim/scenarios/network-loss.json');
    const r2 = await run(process.execPath, [...CLI, '--scenario', scenario, '--broker', broker.url]).catch(
      (e) => e,
    );
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/no credentials for 1 recorder\(s\): BC0201/);
  });

  it('plays a scenario sped up against the broker and exits when done', async () => {
    const creds = join(dir, 'creds.json');
    await writeFile(creds, JSON.stringify({ BC0201: 'issued-201' }));
    const scenario = join(ROOT, 'device-sim/scenarios/network-loss.json');
    await run(
      process.execPath,
      [
        ...CLI,
        '--scenario',
        scenario,
        '--broker',
        broker.url,
        '--credentials',
        creds,
        '--speed',
        '1200',
        '--exit',
      ],
      { timeout: 60_000 },
    );
    expect(watcher.bad()).toEqual([]);
    const events = watcher.events('BC0201');
    expect(events[0]?.type).toBe('session-started');
    expect(events.at(-1)?.type).toBe('session-ended');
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    // Last will during the loss; an orderly offline at exit.
    const statuses = watcher.seen.filter((s) => s.kind === 'status').map((s) => (s.value as Status).online);
    expect(statuses).toEqual([true, false, true, false]);
  });
});
