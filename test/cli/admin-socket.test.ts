/**
 * The real CLI as a child process against a running gateway (`gateway run`, also a child): every
 * admin command goes through the admin socket (0600) and takes effect in the running gateway at
 * once; a refusal is one line with its code; a gateway holding the data dir without a socket gives
 * a plain one-line error, not classic-level's LEVEL_LOCKED stack; a stopped gateway's data dir is
 * opened directly.
 */
import { execFile } from 'node:child_process';
import { lstat, unlink } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildGateway, REPO, startChildGateway } from '../helpers/child-gateway.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

let gw: ChildGateway;
let cfg: string;

function cli(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'gateway/main.ts', '-c', cfg, ...args],
      { cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
      (err, out, errText) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errText }),
    );
    child.stdin?.end(stdin);
  });
}

const login = (username: string, password: string) =>
  fetch(`http://127.0.0.1:${gw.httpPort}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  }).then((r) => r.status);

/** A refusal is exactly one line: the code and a message, no stack, no library internals. */
function expectOneLineError(r: Run, code: string): void {
  expect(r.code, r.out).toBe(1);
  const lines = r.err.trimEnd().split('\n');
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error \\[${code}\\]: `));
  expect(r.err).not.toMatch(/LEVEL_|\n\s+at |Error:/);
}

/** Raw bytes on the socket: the answer line. */
function raw(path: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path, () => s.write(bytes));
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
    });
    s.on('close', () => resolve(buf));
    s.on('error', reject);
  });
}

beforeAll(async () => {
  gw = await startChildGateway({ http: { login: { lockAfter: 2, backoffAfter: 5 } } });
  cfg = join(gw.dataDir, 'gateway.json');
}, 90_000);
afterAll(() => gw?.stop());

describe('admin commands on a running gateway', () => {
  it('listens on a 0600 socket in the data dir and answers bad requests with a code', async () => {
    const path = join(gw.dataDir, 'data', 'admin.sock');
    const st = await lstat(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(JSON.parse(await raw(path, 'not json\n'))).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    expect(JSON.parse(await raw(path, '{"command":"rm -rf"}\n'))).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    expect(JSON.parse(await raw(path, 'x'.repeat(70_000)))).toMatchObject({
      ok: false,
      error: { code: 'PAYLOAD_TOO_LARGE' },
    });
  });

  it('adds, lists and unlocks users; registers recorders the running broker accepts', async () => {
    const added = await cli(
      ['user', 'add', '-u', 'legal.live', '-n', '法规处', '-r', 'legal-affairs', '--password-stdin'],
      'live-password\n',
    );
    expect(added.code, added.err).toBe(0);
    expect(added.err).toBe('');
    expect(await login('legal.live', 'live-password')).toBe(200);

    const reg = await cli(['recorder', 'add', 'LIVE-0001', '-m', 'DSJ-X1']);
    expect(reg.code, reg.err).toBe(0);
    const { password } = JSON.parse(reg.out) as { password: string };
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort}`, {
      clientId: 'LIVE-0001',
      username: 'LIVE-0001',
      password,
      reconnectPeriod: 0,
    });
    await client.endAsync();

    const [users, recorders] = await Promise.all([cli(['user', 'list']), cli(['recorder', 'list'])]);
    expect(JSON.parse(users.out).map((u: { username: string }) => u.username)).toContain('legal.live');
    expect(JSON.parse(recorders.out)).toMatchObject([{ serial: 'LIVE-0001', model: 'DSJ-X1' }]);

    expect(await login('legal.live', 'wrong-1')).toBe(401);
    expect(await login('legal.live', 'wrong-2')).toBe(401);
    expect(await login('legal.live', 'live-password')).toBe(423);
    const unlocked = await cli(['user', 'unlock', 'legal.live', '--by', 'legal.zhao']);
    expect(unlocked.code, unlocked.err).toBe(0);
    expect(await login('legal.live', 'live-password')).toBe(200);

    expectOneLineError(
      await cli(
        ['user', 'add', '-u', 'legal.live', '-n', '重复', '-r', 'officer', '--password-stdin'],
        'pw-12345678\n',
      ),
      'CONFLICT',
    );
    expectOneLineError(await cli(['recorder', 'add', 'bad serial!']), 'BAD_REQUEST');
  }, 120_000);

  it('verifies, signs a checkpoint, reindexes and repairs while running', async () => {
    const [verified, key] = await Promise.all([cli(['verify']), cli(['key', 'show'])]);
    expect(verified.code, verified.err).toBe(0);
    expect(verified.out).toContain('RESULT: OK');
    expect(key.code, key.err).toBe(0);
    const cp = await cli(['checkpoint', '--reason', '在线签发']);
    expect(cp.code, cp.err).toBe(0);
    expect(JSON.parse(cp.out)).toMatchObject({ treeSize: expect.any(Number) });
    const [reindexed, repaired] = await Promise.all([cli(['reindex']), cli(['repair', '--by', 'ops'])]);
    expect(reindexed.code, reindexed.err).toBe(0);
    expect(repaired.code, repaired.err).toBe(0);
    expect(JSON.parse(repaired.out)).toEqual({
      tornLineCut: null,
      indexRolledForward: null,
      indexRepaired: null,
    });
    const again = await cli(['verify', '--json']);
    expect(JSON.parse(again.out)).toMatchObject({ ok: true });
  }, 120_000);

  it('says in one line that the data dir is held when the socket is gone; opens it once stopped', async () => {
    await unlink(join(gw.dataDir, 'data', 'admin.sock'));
    const held = await cli(['user', 'list']);
    expectOneLineError(held, 'UNAVAILABLE');
    expect(held.err).toMatch(/in use by another process/);

    gw.child.kill('SIGTERM');
    await new Promise((r) => gw.child.once('exit', r));
    const offline = await cli(['user', 'list']);
    expect(offline.code, offline.err).toBe(0);
    expect(JSON.parse(offline.out).map((u: { username: string }) => u.username)).toContain('legal.live');
    const audit = await cli(['verify', '--json']);
    expect(JSON.parse(audit.out)).toMatchObject({ ok: true });
  }, 120_000);
});
