/** `gateway recorder add|list`: the credential is printed once, only its hash is stored. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from '../broker/mqtt-helpers.js';

let dir: string;
let config: string;
const gateway = (...args: string[]) => run('npx', ['tsx', 'gateway/main.ts', '-c', config, ...args], 60_000);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw-cli-'));
  config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ dataDir: join(dir, 'data') }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('adds a recorder, prints its credential once, lists it without secrets, refuses a duplicate', async () => {
  const add = await gateway('recorder', 'add', 'CLI-0001', '--model', 'BC-9', '--unit', '执法一处');
  expect(add.code).toBe(0);
  const out = JSON.parse(add.stdout);
  expect(out).toMatchObject({
    serial: 'CLI-0001',
    username: 'CLI-0001',
    clientId: 'CLI-0001',
    unit: '执法一处',
  });
  expect(out.password).toMatch(/^[A-Za-z0-9_-]{40,}$/);

  const list = await gateway('recorder', 'list');
  expect(list.code).toBe(0);
  expect(JSON.parse(list.stdout)).toMatchObject([{ serial: 'CLI-0001', model: 'BC-9' }]);
  expect(list.stdout).not.toContain(out.password);
  expect(list.stdout).not.toContain('credentialHash');

  // The stored database has the hash, never the credential.
  let raw = '';
  for (const f of await readdir(join(dir, 'data', 'index')))
    raw += await readFile(join(dir, 'data', 'index', f), 'latin1');
  expect(raw).toContain('CLI-0001');
  expect(raw).not.toContain(out.password);

  const dup = await gateway('recorder', 'add', 'CLI-0001');
  expect(dup.code).not.toBe(0);
  expect(dup.stderr).toContain('CONFLICT');
});
